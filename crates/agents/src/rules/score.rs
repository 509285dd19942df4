//! Lead quality 1–10: a base of 4 plus signed points for seniority, class against the
//! campaign's targeting, hard evidence, company size, targeting keywords and location, and
//! reachability. Each point is a factor, so the score explains itself (GDPR Art. 15(1)(h)).

use reachspark_domain::campaign::Targeting;
use reachspark_domain::decision::{Decision, DecisionKind};
use reachspark_domain::event::Actor;
use reachspark_domain::lead::LeadClass;
use serde::{Deserialize, Serialize};

use super::engine;
use super::text::Words;
use crate::actors::LEAD_FINDER;
use crate::profile::{Profile, ProfileFact};

/// Points every lead starts with.
const BASE: i32 = 4;

/// How senior a title reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seniority {
    /// Junior, intern, assistant, trainee.
    Junior,
    /// No marker either way.
    Mid,
    /// Senior, lead, principal, staff, manager of a team.
    Senior,
    /// Chief, VP, head, director, founder, partner.
    Executive,
}

impl Seniority {
    /// The lowercase name used in factors and bandit segments.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Junior => "junior",
            Self::Mid => "mid",
            Self::Senior => "senior",
            Self::Executive => "executive",
        }
    }
}

const EXECUTIVE: &[&str] = &[
    "chief",
    "ceo",
    "cto",
    "cmo",
    "cfo",
    "coo",
    "vp",
    "vice president",
    "head",
    "director",
    "founder",
    "co founder",
    "owner",
    "distinguished",
];
const SENIOR: &[&str] = &["senior", "lead", "principal", "staff", "engineering manager", "architect", "sr"];
const JUNIOR: &[&str] = &["junior", "intern", "assistant", "trainee", "graduate", "jr"];

/// Reads seniority from a job title.
pub fn seniority(position: &str) -> Seniority {
    let words = Words::new(position);
    let any = |list: &[&str]| list.iter().any(|w| words.has(w));
    if any(JUNIOR) {
        Seniority::Junior
    } else if any(EXECUTIVE) {
        Seniority::Executive
    } else if any(SENIOR) {
        Seniority::Senior
    } else {
        Seniority::Mid
    }
}

fn class_key(class: LeadClass) -> &'static str {
    match class {
        LeadClass::Speaker => "speaker",
        LeadClass::Sponsor => "sponsor",
        LeadClass::Other => "other",
    }
}

/// Scores a classified profile against a campaign's targeting. The decision lists every
/// non-zero factor, largest first, with its signed points.
pub fn score(profile: &Profile, class: LeadClass, targeting: &Targeting) -> (u8, Decision) {
    let mut factors: Vec<(String, String, i32)> = Vec::new();
    let mut add = |name: &str, value: &str, points: i32| factors.push((name.to_owned(), value.to_owned(), points));

    let level = seniority(&profile.position);
    let points = match level {
        Seniority::Executive => 2,
        Seniority::Senior => 1,
        Seniority::Mid => 0,
        Seniority::Junior => -1,
    };
    add("seniority", level.as_str(), points);

    let key = class_key(class);
    if targeting.classes.is_empty() {
        add("class", key, if class == LeadClass::Other { -1 } else { 2 });
    } else if targeting.classes.contains(&class) {
        add("class_targeted", key, 2);
    } else {
        add("class_not_targeted", key, -3);
    }

    for attribute in [ProfileFact::RECENT_TALK, ProfileFact::SPONSORED_EVENT] {
        if profile.has_fact(attribute) {
            add("evidence", attribute, 1);
        }
    }

    if class == LeadClass::Sponsor {
        match profile.company_size {
            Some(size) if size >= 500 => add("company_size", "500+", 1),
            Some(size) if size < 50 => add("company_size", "<50", -1),
            _ => {}
        }
    }

    let text = Words::new(&format!("{} {} {}", profile.position, profile.company, profile.headline));
    let hits: Vec<&String> = targeting
        .keywords
        .iter()
        .filter(|k| {
            let phrase = Words::new(k).as_phrase();
            !phrase.is_empty() && text.has(&phrase)
        })
        .collect();
    for keyword in hits.iter().take(2) {
        add("targeting_keyword", &keyword.to_lowercase(), 1);
    }

    if !targeting.locations.is_empty() {
        if let Some(location) = &profile.location {
            let inside = targeting.locations.iter().any(|l| l.eq_ignore_ascii_case(location.trim()));
            if inside {
                add("location", "targeted", 1);
            } else {
                add("location", "outside_targeting", -2);
            }
        }
    }

    if profile.email.is_none() {
        add("no_email", "missing", -1);
    }
    if profile.profile_url.is_none() {
        add("no_profile_url", "missing", -1);
    }

    factors.retain(|f| f.2 != 0);
    factors.sort_by(|a, b| b.2.abs().cmp(&a.2.abs()).then_with(|| a.0.cmp(&b.0)));
    let total = BASE + factors.iter().map(|f| f.2).sum::<i32>();
    let quality = u8::try_from(total.clamp(1, 10)).unwrap_or(1);

    // How much of what the model reads was known: missing inputs make the score a guess.
    let known = [
        profile.industry.is_some(),
        profile.company_size.is_some(),
        profile.location.is_some(),
        !profile.headline.trim().is_empty(),
        !profile.bio.trim().is_empty(),
    ];
    let known = known.iter().filter(|k| **k).count();
    let confidence = 0.5 + 0.1 * f64::from(u8::try_from(known).unwrap_or(5));

    let top: Vec<String> = factors.iter().take(3).map(|f| format!("{:+} {}:{}", f.2, f.0, f.1)).collect();
    let rationale = format!(
        "{quality}/10 = base {BASE} {} (clamped to 1..10); top factors: {}",
        factors.iter().map(|f| format!("{:+}", f.2)).collect::<Vec<_>>().join(" "),
        if top.is_empty() { "none".to_owned() } else { top.join(", ") },
    );
    let mut decision =
        Decision::new(DecisionKind::Score, quality.to_string(), rationale, Actor::agent(LEAD_FINDER), engine())
            .with_confidence(confidence);
    for (name, value, points) in factors {
        decision = decision.with_factor(name, value, f64::from(points));
    }
    (quality, decision)
}

#[cfg(test)]
mod tests;
