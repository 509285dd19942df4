//! Drawing companies and people. Class comes first, then observable fields drawn from
//! class-conditional lists with deliberate overlap (see `vocab`), then the hidden propensities.
//!
//! Every draw comes from the one seeded generator in a fixed order, so a seed always yields
//! the same world (for this crate version and the `fake` version in Cargo.lock).

use fake::faker::company::en::CompanyName;
use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::{Distribution, Normal};
use reachspark_domain::lead::LeadClass;

use super::person::{SandboxPerson, Truth};
use super::vocab::{
    Title, CONFUSER_BIO, COUNTRIES, EVENTS, INDUSTRIES, MARKETING_TITLES, NEUTRAL_BIO, OTHER_TITLES, SPEAKER_BIO,
    SPEAKER_TITLES, SPONSOR_BIO, SPONSOR_TITLES, TECH_LEADER_TITLES, TOPICS,
};
use crate::profile::{Profile, ProfileFact};

/// An employer in the sandbox world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Display name.
    pub name: String,
    /// Industry.
    pub industry: &'static str,
    /// Head count.
    pub size: u32,
    /// Whether it is the kind of company that sponsors developer events (hidden).
    pub(super) sponsor_like: bool,
    /// Mail domain, always under the reserved `.example` top-level domain.
    pub(super) domain: String,
}

pub(super) fn company<R: Rng>(rng: &mut R) -> Company {
    let name: String = CompanyName().fake_with_rng(rng);
    let &(industry, tech) = INDUSTRIES.choose(rng).unwrap_or(&INDUSTRIES[0]);
    let size = log_uniform(rng, 5, 20_000);
    let domain = format!("{}.example", slug(&name));
    Company { name, industry, size, sponsor_like: tech && size >= 200, domain }
}

/// A head count between `lo` and `hi`, uniform on a log scale: most companies are small.
#[expect(clippy::cast_possible_truncation, reason = "the value is clamped to [lo, hi] before the cast")]
fn log_uniform<R: Rng>(rng: &mut R, lo: u32, hi: u32) -> u32 {
    let (lo_f, hi_f) = (f64::from(lo), f64::from(hi));
    let x = (lo_f * (hi_f / lo_f).powf(rng.gen::<f64>())).round();
    if x.is_finite() {
        x.clamp(lo_f, hi_f) as u32
    } else {
        lo
    }
}

/// Lowercase ASCII letters and digits, words joined by `-`.
pub(super) fn slug(text: &str) -> String {
    let cleaned: String =
        text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { ' ' }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join("-")
}

fn pick<'a, R: Rng, T>(rng: &mut R, items: &'a [T]) -> &'a T {
    items.choose(rng).unwrap_or(&items[0])
}

fn word<R: Rng>(rng: &mut R, words: &[&'static str]) -> &'static str {
    words.choose(rng).copied().unwrap_or("")
}

fn fill<R: Rng>(rng: &mut R, sentence: &str) -> String {
    let topic = word(rng, TOPICS);
    let event = word(rng, EVENTS);
    sentence.replace("{topic}", topic).replace("{event}", event)
}

fn class_for<R: Rng>(rng: &mut R, company: &Company) -> LeadClass {
    let (speaker, sponsor) = if company.sponsor_like { (0.28, 0.40) } else { (0.32, 0.12) };
    let u: f64 = rng.gen();
    if u < speaker {
        LeadClass::Speaker
    } else if u < speaker + sponsor {
        LeadClass::Sponsor
    } else {
        LeadClass::Other
    }
}

/// A title from the class's own list, an ambiguous list, or (rarely) another class's list,
/// with the seniority it implies.
fn title_for<R: Rng>(rng: &mut R, class: LeadClass) -> (String, u8) {
    let u: f64 = rng.gen();
    let list = match class {
        LeadClass::Speaker if u < 0.55 => SPEAKER_TITLES,
        LeadClass::Speaker if u < 0.88 => TECH_LEADER_TITLES,
        LeadClass::Speaker => OTHER_TITLES,
        LeadClass::Sponsor if u < 0.50 => SPONSOR_TITLES,
        LeadClass::Sponsor if u < 0.88 => MARKETING_TITLES,
        LeadClass::Sponsor => OTHER_TITLES,
        LeadClass::Other if u < 0.80 => OTHER_TITLES,
        LeadClass::Other if u < 0.92 => TECH_LEADER_TITLES,
        LeadClass::Other => MARKETING_TITLES,
    };
    let &(title, level): &Title = pick(rng, list);
    if level != 1 {
        return (title.to_owned(), level);
    }
    match rng.gen_range(0..10) {
        0 | 1 => (format!("Junior {title}"), 0),
        2..=4 => (format!("Senior {title}"), 2),
        5 => (format!("Lead {title}"), 2),
        _ => (title.to_owned(), 1),
    }
}

fn bio_for<R: Rng>(rng: &mut R, class: LeadClass) -> String {
    let mut sentences = Vec::new();
    let (own, p_own) = match class {
        LeadClass::Speaker => (SPEAKER_BIO, 0.6),
        LeadClass::Sponsor => (SPONSOR_BIO, 0.50),
        LeadClass::Other => (CONFUSER_BIO, 0.12),
    };
    if rng.gen_bool(p_own) {
        let sentence = word(rng, own);
        sentences.push(fill(rng, sentence));
    }
    let count = rng.gen_range(1..=2);
    let neutral: Vec<&str> = NEUTRAL_BIO.choose_multiple(rng, count).copied().collect();
    for sentence in neutral {
        sentences.push(fill(rng, sentence));
    }
    sentences.shuffle(rng);
    sentences.join(" ")
}

fn headline_for<R: Rng>(rng: &mut R, class: LeadClass, title: &str, company: &str) -> String {
    let tag = match class {
        LeadClass::Speaker if rng.gen_bool(0.25) => format!(" | Speaker on {}", pick(rng, TOPICS)),
        LeadClass::Sponsor if rng.gen_bool(0.2) => " | Partnerships & Events".to_owned(),
        _ => String::new(),
    };
    format!("{title} at {company}{tag}")
}

fn facts_for<R: Rng>(rng: &mut R, class: LeadClass) -> Vec<ProfileFact> {
    let (p_talk, p_sponsored) = match class {
        LeadClass::Speaker => (0.30, 0.0),
        LeadClass::Sponsor => (0.0, 0.30),
        LeadClass::Other => (0.02, 0.01),
    };
    let mut facts = Vec::new();
    if rng.gen_bool(p_talk) {
        let event = pick(rng, EVENTS);
        facts.push(ProfileFact {
            attribute: ProfileFact::RECENT_TALK.to_owned(),
            value: format!("Talk at {event} on {}", pick(rng, TOPICS)),
            evidence_url: Some(format!("https://{}.example/speakers", slug(event))),
        });
    }
    if rng.gen_bool(p_sponsored) {
        let event = pick(rng, EVENTS);
        facts.push(ProfileFact {
            attribute: ProfileFact::SPONSORED_EVENT.to_owned(),
            value: format!("Sponsor of {event}"),
            evidence_url: Some(format!("https://{}.example/sponsors", slug(event))),
        });
    }
    facts
}

fn truth_for<R: Rng>(rng: &mut R, class: LeadClass, seniority: u8, company: &Company) -> Truth {
    let noise = Normal::new(0.0, 0.08).map_or(0.0, |n| n.sample(rng));
    let class_bonus = match class {
        LeadClass::Speaker => 0.25,
        LeadClass::Sponsor if company.size >= 500 => 0.35,
        LeadClass::Sponsor => 0.2,
        LeadClass::Other => 0.0,
    };
    let fit = (0.15 + 0.12 * f64::from(seniority) + class_bonus + noise).clamp(0.0, 1.0);
    let taste = Normal::new(0.0, 0.5).map_or(0.0, |n| n.sample(rng));
    Truth {
        class,
        fit,
        seniority,
        base_reply: 0.12 + 0.28 * fit,
        base_positive: 0.3 + 0.4 * fit,
        style_taste: taste,
        opt_out: rng.gen_range(0.01..0.08),
        out_of_office: rng.gen_range(0.0..0.05),
    }
}

pub(super) fn person<R: Rng>(rng: &mut R, id: u32, company: &Company) -> SandboxPerson {
    let first: String = FirstName().fake_with_rng(rng);
    let last: String = LastName().fake_with_rng(rng);
    let name = format!("{first} {last}");
    let class = class_for(rng, company);
    let (position, seniority) = title_for(rng, class);
    let email = rng.gen_bool(0.45).then(|| format!("{}.{}@{}", slug(&first), slug(&last), company.domain));
    let profile = Profile {
        profile_url: Some(format!("https://www.linkedin.com/in/{}-{id}", slug(&name))),
        email,
        headline: headline_for(rng, class, &position, &company.name),
        bio: bio_for(rng, class),
        facts: facts_for(rng, class),
        location: Some((*pick(rng, COUNTRIES)).to_owned()),
        position,
        company: company.name.clone(),
        industry: Some(company.industry.to_owned()),
        company_size: Some(company.size),
        name,
    };
    let truth = truth_for(rng, class, seniority, company);
    SandboxPerson { id, profile, truth }
}
