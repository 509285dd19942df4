//! Sentiment and intent of a reply. The model reads the reply's own words (quoted earlier
//! messages removed, as the rules do) and names its evidence from a fixed list of signals.
//! Answers whose sentiment contradicts their intent are refused as invalid.

use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::event::Actor;
use reachspark_domain::lead::{Intent, Sentiment};
use serde::Deserialize;
use serde_json::json;

use super::super::client::Prompt;
use super::super::schema::{self, array, number, object, one_of};
use crate::actors::OUTREACH;

/// What in the reply points to the intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Signal {
    ObjectionRequest,
    AbsenceNotice,
    ExplicitInterest,
    ExplicitDisinterest,
    MeetingRequest,
    Question,
    PricingQuestion,
    Referral,
    Timing,
    WarmTone,
    ColdTone,
}

pub(crate) const SIGNALS: [(Signal, &str); 11] = [
    (Signal::ObjectionRequest, "objection_request"),
    (Signal::AbsenceNotice, "absence_notice"),
    (Signal::ExplicitInterest, "explicit_interest"),
    (Signal::ExplicitDisinterest, "explicit_disinterest"),
    (Signal::MeetingRequest, "meeting_request"),
    (Signal::Question, "question"),
    (Signal::PricingQuestion, "pricing_question"),
    (Signal::Referral, "referral"),
    (Signal::Timing, "timing"),
    (Signal::WarmTone, "warm_tone"),
    (Signal::ColdTone, "cold_tone"),
];

pub(crate) const SENTIMENTS: [&str; 3] = ["positive", "negative", "neutral"];
pub(crate) const INTENTS: [&str; 5] = ["interested", "not_interested", "info_request", "opt_out", "out_of_office"];
const MAX_ITEMS: usize = 8;

fn signal_name(signal: Signal) -> &'static str {
    SIGNALS.iter().find(|(s, _)| *s == signal).map_or("unknown", |(_, name)| name)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Evidence {
    signal: Signal,
    weight: f64,
}

/// The model's reading, checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Answer {
    pub(crate) sentiment: Sentiment,
    pub(crate) intent: Intent,
    confidence: f64,
    evidence: Vec<Evidence>,
}

pub(crate) fn prompt(own_words: &str) -> Prompt {
    let signals: Vec<&str> = SIGNALS.iter().map(|(_, name)| *name).collect();
    let schema = object(&[
        ("sentiment", one_of(&SENTIMENTS)),
        ("intent", one_of(&INTENTS)),
        ("confidence", number(0.0, 1.0)),
        ("evidence", array(object(&[("signal", one_of(&signals)), ("weight", number(-5.0, 5.0))]), MAX_ITEMS)),
    ]);
    Prompt {
        task: "reply_analysis",
        system: "You read replies to a sales outreach message about developer events. Give the reply's \
                 sentiment and intent: `interested` (wants to talk or take part), `not_interested`, \
                 `info_request` (asks for details first), `opt_out` (asks not to be contacted again, \
                 however politely: when in doubt, choose it), or `out_of_office` (an automatic absence \
                 notice). List the signals you relied on with weights (positive for the chosen intent). \
                 Confidence is the probability that you are right. Answer with JSON matching the schema."
            .to_owned(),
        user: json!({ "reply": own_words }).to_string(),
        schema,
    }
}

pub(crate) fn parse(content: &str) -> Result<Answer, String> {
    let answer: Answer = schema::parse(content)?;
    schema::within("confidence", answer.confidence, 0.0, 1.0)?;
    schema::at_most("evidence", &answer.evidence, MAX_ITEMS)?;
    for e in &answer.evidence {
        schema::within("evidence.weight", e.weight, -5.0, 5.0)?;
    }
    let contradiction = match answer.intent {
        Intent::OptOut | Intent::NotInterested => answer.sentiment == Sentiment::Positive,
        Intent::Interested => answer.sentiment == Sentiment::Negative,
        Intent::InfoRequest | Intent::OutOfOffice => false,
    };
    if contradiction {
        return Err("sentiment contradicts intent".to_owned());
    }
    Ok(answer)
}

pub(crate) fn intent_name(intent: Intent) -> &'static str {
    match intent {
        Intent::Interested => "Interested",
        Intent::NotInterested => "NotInterested",
        Intent::InfoRequest => "InfoRequest",
        Intent::OptOut => "OptOut",
        Intent::OutOfOffice => "OutOfOffice",
    }
}

pub(crate) fn decision(answer: &Answer, engine: &Engine) -> Decision {
    let intent = intent_name(answer.intent);
    let mut evidence: Vec<(&str, f64)> =
        answer.evidence.iter().map(|e| (signal_name(e.signal), super::round2(e.weight))).collect();
    evidence.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(b.0)));
    let named: Vec<String> = evidence.iter().take(3).map(|(s, w)| format!("{w:+.1} {s}")).collect();
    let rationale = format!(
        "{intent} ({:?}) by language model, confidence {:.2}; signals: {}",
        answer.sentiment,
        answer.confidence,
        if named.is_empty() { "none given".to_owned() } else { named.join(", ") }
    );
    let mut d = Decision::new(DecisionKind::ReplyAnalysis, intent, rationale, Actor::agent(OUTREACH), engine.clone())
        .with_confidence(answer.confidence);
    for (signal, weight) in evidence {
        d = d.with_factor(format!("llm:{signal}"), intent, weight);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_value_parses() {
        for (signal, name) in SIGNALS {
            assert_eq!(serde_json::from_value::<Signal>(json!(name)).unwrap(), signal);
        }
        for name in SENTIMENTS {
            serde_json::from_value::<Sentiment>(json!(name)).unwrap();
        }
        for name in INTENTS {
            serde_json::from_value::<Intent>(json!(name)).unwrap();
        }
    }

    #[test]
    fn contradictions_and_unknown_values_are_invalid() {
        let answer = |s: &str, i: &str| json!({"sentiment": s, "intent": i, "confidence": 0.9, "evidence": []});
        assert!(parse(&answer("positive", "interested").to_string()).is_ok());
        assert_eq!(parse(&answer("positive", "opt_out").to_string()).unwrap_err(), "sentiment contradicts intent");
        assert!(parse(&answer("positive", "maybe").to_string()).is_err());
        let loud = json!({"sentiment": "neutral", "intent": "info_request", "confidence": 1.2, "evidence": []});
        assert_eq!(parse(&loud.to_string()).unwrap_err(), "confidence is outside 0..=1");
    }
}
