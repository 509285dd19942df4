//! Classify and score a profile in one request. The prompt carries what the rules engine reads
//! (title, headline, bio, company, facts) but not the name, email or profile URL; the answer
//! names its evidence from a fixed list of signals, so the decisions hold no personal data.

use reachspark_domain::campaign::Targeting;
use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::event::Actor;
use reachspark_domain::lead::LeadClass;
use serde::Deserialize;
use serde_json::json;

use super::super::client::Prompt;
use super::super::schema::{self, array, integer, number, object, one_of};
use super::signed;
use crate::actors::LEAD_FINDER;
use crate::profile::Profile;

/// Where the evidence for a class or a point was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Signal {
    Title,
    Headline,
    Bio,
    RecentTalk,
    SponsoredEvent,
    CompanySize,
    Industry,
    Location,
    Seniority,
    TargetingKeyword,
    TargetingClass,
    Reachability,
}

pub(crate) const SIGNALS: [(Signal, &str); 12] = [
    (Signal::Title, "title"),
    (Signal::Headline, "headline"),
    (Signal::Bio, "bio"),
    (Signal::RecentTalk, "recent_talk"),
    (Signal::SponsoredEvent, "sponsored_event"),
    (Signal::CompanySize, "company_size"),
    (Signal::Industry, "industry"),
    (Signal::Location, "location"),
    (Signal::Seniority, "seniority"),
    (Signal::TargetingKeyword, "targeting_keyword"),
    (Signal::TargetingClass, "targeting_class"),
    (Signal::Reachability, "reachability"),
];

fn signal_name(signal: Signal) -> &'static str {
    SIGNALS.iter().find(|(s, _)| *s == signal).map_or("unknown", |(_, name)| name)
}

pub(crate) const CLASSES: [&str; 3] = ["speaker", "sponsor", "other"];
const MAX_ITEMS: usize = 12;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Evidence {
    signal: Signal,
    supports: LeadClass,
    weight: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Points {
    signal: Signal,
    points: i8,
}

/// The model's verdict, checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Answer {
    pub(crate) class: LeadClass,
    class_confidence: f64,
    class_evidence: Vec<Evidence>,
    pub(crate) score: u8,
    score_confidence: f64,
    score_factors: Vec<Points>,
}

pub(crate) fn prompt(profile: &Profile, targeting: &Targeting) -> Prompt {
    let facts: Vec<_> = profile.facts.iter().map(|f| json!({"attribute": f.attribute, "value": f.value})).collect();
    let case = json!({
        "profile": {
            "position": profile.position,
            "company": profile.company,
            "industry": profile.industry,
            "company_size": profile.company_size,
            "location": profile.location,
            "headline": profile.headline,
            "bio": profile.bio,
            "facts": facts,
            "has_email": profile.email.is_some(),
            "has_profile_url": profile.profile_url.is_some(),
        },
        "campaign_targeting": {
            "classes": targeting.classes,
            "keywords": targeting.keywords,
            "locations": targeting.locations,
        },
    });
    let signals: Vec<&str> = SIGNALS.iter().map(|(_, name)| *name).collect();
    let schema = object(&[
        ("class", one_of(&CLASSES)),
        ("class_confidence", number(0.0, 1.0)),
        (
            "class_evidence",
            array(
                object(&[("signal", one_of(&signals)), ("supports", one_of(&CLASSES)), ("weight", number(-5.0, 5.0))]),
                MAX_ITEMS,
            ),
        ),
        ("score", integer(1, 10)),
        ("score_confidence", number(0.0, 1.0)),
        ("score_factors", array(object(&[("signal", one_of(&signals)), ("points", integer(-3, 3))]), MAX_ITEMS)),
    ]);
    Prompt {
        task: "profile_judgement",
        system: "You qualify leads for a company that runs developer events. Classify the person as \
                 `speaker` (gives talks, writes, teaches, advocates for developers), `sponsor` (can buy \
                 sponsorships or partnerships for their company) or `other`, and score them from 1 \
                 (useless) to 10 (ideal) as a lead for the campaign's targeting. Use only the facts given. \
                 List the evidence for and against by signal, with signed weights and points. Confidence \
                 is the probability that you are right. Answer with JSON matching the schema."
            .to_owned(),
        user: case.to_string(),
        schema,
    }
}

/// Checks what the schema cannot enforce on a server that ignores it.
pub(crate) fn parse(content: &str) -> Result<Answer, String> {
    let answer: Answer = schema::parse(content)?;
    schema::within("class_confidence", answer.class_confidence, 0.0, 1.0)?;
    schema::within("score_confidence", answer.score_confidence, 0.0, 1.0)?;
    schema::within("score", f64::from(answer.score), 1.0, 10.0)?;
    schema::at_most("class_evidence", &answer.class_evidence, MAX_ITEMS)?;
    schema::at_most("score_factors", &answer.score_factors, MAX_ITEMS)?;
    for e in &answer.class_evidence {
        schema::within("class_evidence.weight", e.weight, -5.0, 5.0)?;
    }
    for p in &answer.score_factors {
        schema::within("score_factors.points", f64::from(p.points), -3.0, 3.0)?;
    }
    Ok(answer)
}

pub(crate) fn class_name(class: LeadClass) -> &'static str {
    match class {
        LeadClass::Speaker => "Speaker",
        LeadClass::Sponsor => "Sponsor",
        LeadClass::Other => "Other",
    }
}

/// The classification and score decisions of a valid answer, under `engine`.
pub(crate) fn decisions(answer: &Answer, engine: &Engine) -> (Decision, Decision) {
    let class = class_name(answer.class);
    let mut evidence: Vec<(&str, &str, f64)> = answer
        .class_evidence
        .iter()
        .map(|e| (signal_name(e.signal), class_name(e.supports), signed(e.weight, e.supports == answer.class)))
        .collect();
    evidence.sort_by(|a, b| b.2.abs().total_cmp(&a.2.abs()).then_with(|| a.0.cmp(b.0)));
    let strongest: Vec<String> = evidence.iter().take(3).map(|(s, c, w)| format!("{w:+.1} {s} ({c})")).collect();
    let rationale = format!(
        "{class} by language model, confidence {:.2}; strongest evidence: {}",
        answer.class_confidence,
        if strongest.is_empty() { "none given".to_owned() } else { strongest.join(", ") }
    );
    let mut classification =
        Decision::new(DecisionKind::Classification, class, rationale, Actor::agent(LEAD_FINDER), engine.clone())
            .with_confidence(answer.class_confidence);
    for (signal, supports, weight) in evidence {
        classification = classification.with_factor(format!("llm:{signal}"), supports, weight);
    }

    let mut points: Vec<(&str, i8)> = answer.score_factors.iter().map(|p| (signal_name(p.signal), p.points)).collect();
    points.retain(|p| p.1 != 0);
    points.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then_with(|| a.0.cmp(b.0)));
    let top: Vec<String> = points.iter().take(3).map(|(s, p)| format!("{p:+} {s}")).collect();
    let rationale = format!(
        "{}/10 by language model, confidence {:.2}; top factors: {}",
        answer.score,
        answer.score_confidence,
        if top.is_empty() { "none given".to_owned() } else { top.join(", ") }
    );
    let mut score = Decision::new(
        DecisionKind::Score,
        answer.score.to_string(),
        rationale,
        Actor::agent(LEAD_FINDER),
        engine.clone(),
    )
    .with_confidence(answer.score_confidence);
    for (signal, p) in points {
        score = score.with_factor(format!("llm:{signal}"), "points", f64::from(p));
    }
    (classification, score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_signal_and_class_parses() {
        for (signal, name) in SIGNALS {
            assert_eq!(serde_json::from_value::<Signal>(json!(name)).unwrap(), signal);
        }
        for name in CLASSES {
            serde_json::from_value::<LeadClass>(json!(name)).unwrap();
        }
    }

    #[test]
    fn the_prompt_leaves_out_name_email_and_url() {
        let profile = Profile {
            name: "Ada Lovelace".into(),
            email: Some("ada@example.com".into()),
            profile_url: Some("https://example.com/in/ada".into()),
            position: "Developer Advocate".into(),
            ..Profile::default()
        };
        let p = prompt(&profile, &Targeting::default());
        assert!(p.user.contains("Developer Advocate"));
        for secret in ["Ada", "ada@example.com", "example.com/in"] {
            assert!(!p.user.contains(secret) && !p.system.contains(secret), "{secret}");
        }
    }
}
