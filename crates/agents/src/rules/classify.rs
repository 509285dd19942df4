//! Speaker / Sponsor / Other from additive evidence in the title, headline, bio, facts and
//! company. Other starts with a prior, so a profile without evidence stays Other.

use reachspark_domain::decision::{Decision, DecisionKind};
use reachspark_domain::event::Actor;
use reachspark_domain::lead::LeadClass;

use super::text::{Rule, Words};
use super::{engine, round2};
use crate::actors::LEAD_FINDER;
use crate::profile::{Profile, ProfileFact};

use LeadClass::{Other, Speaker, Sponsor};

/// Evidence Other starts with: what a speaker or sponsor signal must outweigh.
const OTHER_PRIOR: f64 = 1.0;

const TITLE: &[Rule<LeadClass>] = &[
    ("speaker", Speaker, 3.0),
    ("keynote", Speaker, 3.0),
    ("developer advocate", Speaker, 3.0),
    ("developer relations", Speaker, 3.0),
    ("devrel", Speaker, 3.0),
    ("evangelist", Speaker, 3.0),
    ("author", Speaker, 2.0),
    ("educator", Speaker, 2.0),
    ("trainer", Speaker, 2.0),
    ("principal", Speaker, 0.8),
    ("staff", Speaker, 0.8),
    ("distinguished", Speaker, 1.0),
    ("cto", Speaker, 0.8),
    ("chief technology officer", Speaker, 0.8),
    ("scientist", Speaker, 0.8),
    ("architect", Speaker, 0.8),
    ("partnerships", Sponsor, 3.0),
    ("partnership", Sponsor, 3.0),
    ("sponsorships", Sponsor, 3.0),
    ("sponsorship", Sponsor, 3.0),
    ("events", Sponsor, 3.0),
    ("event marketing", Sponsor, 3.0),
    ("partner marketing", Sponsor, 3.0),
    ("developer marketing", Sponsor, 3.0),
    ("marketing", Sponsor, 0.8),
    ("cmo", Sponsor, 1.5),
    ("chief marketing officer", Sponsor, 1.5),
    ("business development", Sponsor, 0.8),
    ("brand", Sponsor, 0.8),
    ("growth", Sponsor, 0.8),
    ("accountant", Other, 2.0),
    ("recruiter", Other, 2.0),
    ("hr", Other, 2.0),
    ("finance", Other, 1.5),
    ("analyst", Other, 1.0),
    ("office manager", Other, 2.0),
    ("qa", Other, 1.0),
    ("sales representative", Other, 1.5),
    ("customer success", Other, 1.5),
    ("operations", Other, 1.0),
    ("project manager", Other, 1.0),
    ("product manager", Other, 1.0),
    ("it administrator", Other, 1.5),
    ("junior", Other, 0.5),
];

const HEADLINE: &[Rule<LeadClass>] = &[
    ("speaker", Speaker, 2.0),
    ("speaker on", Speaker, 0.5),
    ("partnerships", Sponsor, 1.5),
    ("events", Sponsor, 1.0),
];

const BIO: &[Rule<LeadClass>] = &[
    ("speak at", Speaker, 2.0),
    ("speak at conferences", Speaker, 0.5),
    ("keynote speaker", Speaker, 2.5),
    ("gave a talk", Speaker, 2.5),
    ("meetup speaker", Speaker, 2.0),
    ("workshop host", Speaker, 1.0),
    ("author of", Speaker, 2.0),
    ("on stage", Speaker, 1.5),
    ("speaker", Speaker, 1.0),
    ("partnerships with", Sponsor, 2.0),
    ("sponsors events", Sponsor, 2.5),
    ("sponsorship budget", Sponsor, 2.5),
    ("sponsorship", Sponsor, 1.0),
    ("sponsors", Sponsor, 1.0),
    ("partner marketing", Sponsor, 2.0),
    ("our brand", Sponsor, 1.5),
    ("events where", Sponsor, 1.5),
    ("meet developers", Sponsor, 1.0),
];

/// Industries whose companies tend to sponsor developer events.
const TECH_INDUSTRY_WORDS: &[&str] =
    &["cloud", "software", "developer", "security", "cybersecurity", "data", "ai", "saas", "fintech", "devtools"];

struct Evidence {
    totals: [f64; 3],
    hits: Vec<(String, LeadClass, f64)>,
}

fn index(class: LeadClass) -> usize {
    match class {
        Speaker => 0,
        Sponsor => 1,
        Other => 2,
    }
}

impl Evidence {
    fn add(&mut self, name: String, class: LeadClass, weight: f64) {
        self.totals[index(class)] += weight;
        self.hits.push((name, class, weight));
    }

    fn rules(&mut self, field: &str, words: &Words, rules: &[Rule<LeadClass>], skip: Option<&Words>) {
        for &(phrase, class, weight) in rules {
            if words.has(phrase) && !skip.is_some_and(|s| s.has(phrase)) {
                self.add(format!("{field}_contains:{phrase}"), class, weight);
            }
        }
    }
}

fn class_name(class: LeadClass) -> &'static str {
    match class {
        Speaker => "Speaker",
        Sponsor => "Sponsor",
        Other => "Other",
    }
}

/// Classifies a profile; the decision lists every rule that fired, signed for (+) or against
/// (−) the chosen class, and its confidence is the chosen class's softmax share of evidence.
pub fn classify(profile: &Profile) -> (LeadClass, Decision) {
    let mut ev = Evidence { totals: [0.0, 0.0, OTHER_PRIOR], hits: Vec::new() };
    let title = Words::new(&profile.position);
    ev.rules("title", &title, TITLE, None);
    // The headline usually repeats the title; count only what it adds.
    ev.rules("headline", &Words::new(&profile.headline), HEADLINE, Some(&title));
    ev.rules("bio", &Words::new(&profile.bio), BIO, None);
    if profile.has_fact(ProfileFact::RECENT_TALK) {
        ev.add(format!("fact:{}", ProfileFact::RECENT_TALK), Speaker, 3.0);
    }
    if profile.has_fact(ProfileFact::SPONSORED_EVENT) {
        ev.add(format!("fact:{}", ProfileFact::SPONSORED_EVENT), Sponsor, 3.0);
    }
    let tech = profile.industry.as_deref().is_some_and(|i| {
        let words = Words::new(i);
        TECH_INDUSTRY_WORDS.iter().any(|w| words.has(w))
    });
    match profile.company_size {
        Some(size) if tech && size >= 200 => ev.add("company:tech_200+".to_owned(), Sponsor, 1.0),
        Some(size) if size < 50 => ev.add("company_size:<50".to_owned(), Sponsor, -0.5),
        _ => {}
    }

    let [s, p, o] = ev.totals;
    let class = if s > p && s > o {
        Speaker
    } else if p > o && p >= s {
        Sponsor
    } else {
        Other
    };
    let best = ev.totals[index(class)];
    let z: f64 = ev.totals.iter().map(|t| (t - best).exp()).sum();
    let confidence = round2(1.0 / z);

    ev.hits.sort_by(|a, b| b.2.abs().total_cmp(&a.2.abs()).then_with(|| a.0.cmp(&b.0)));
    let strongest: Vec<&str> = ev.hits.iter().filter(|h| h.1 == class).take(3).map(|h| h.0.as_str()).collect();
    let rationale = format!(
        "{}: evidence Speaker {:.1}, Sponsor {:.1}, Other {:.1} (prior {OTHER_PRIOR}); strongest: {}",
        class_name(class),
        s,
        p,
        o,
        if strongest.is_empty() { "no signal, prior".to_owned() } else { strongest.join(", ") }
    );
    let mut decision =
        Decision::new(DecisionKind::Classification, class_name(class), rationale, lead_finder(), engine())
            .with_confidence(confidence);
    for (name, supports, weight) in ev.hits {
        let signed = if supports == class { weight } else { -weight };
        decision = decision.with_factor(name, class_name(supports), round2(signed));
    }
    (class, decision)
}

fn lead_finder() -> Actor {
    Actor::agent(LEAD_FINDER)
}

#[cfg(test)]
mod tests;
