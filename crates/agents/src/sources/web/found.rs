//! What a strategy found about one person, merging finds from several strategies, and turning
//! the result into a candidate profile.

use super::text::{clean, plausible_name};
use super::Page;
use crate::profile::{Profile, ProfileFact};

/// Which strategy found a candidate first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    /// A schema.org `Person` in JSON-LD.
    JsonLd,
    /// A schema.org `Person` in microdata (`itemscope itemtype=".../Person"`).
    Microdata,
    /// A card whose class names say speaker, team member, person and the like.
    Markup,
}

/// What kind of listing a person was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A speaker, presenter or panelist: they give talks.
    Speaker,
    /// A team, staff or people page: the site's owner employs them.
    Team,
    /// Neither is clear.
    Unknown,
}

/// One person as a strategy saw them.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub(super) name: String,
    pub(super) position: Option<String>,
    pub(super) company: Option<String>,
    pub(super) talk_title: Option<String>,
    /// Canonical LinkedIn profile URL.
    pub(super) linkedin: Option<String>,
    /// Absolute URL of a page about the person on the same site.
    pub(super) page_link: Option<String>,
    pub(super) kind: Kind,
    pub(super) found_by: FoundBy,
}

/// A person found on a page.
#[derive(Debug, Clone, PartialEq)]
pub struct WebCandidate {
    /// Name, position, company, LinkedIn URL when linked, and facts (`talk_title`,
    /// `recent_talk`, `profile_page`) with the page as evidence.
    pub profile: Profile,
    /// The page the person was found on.
    pub evidence_url: String,
    /// The strategy that found the person first.
    pub found_by: FoundBy,
}

fn fill(slot: &mut Option<String>, other: Option<String>) {
    if slot.is_none() {
        *slot = other;
    }
}

fn same_person(a: &Found, b: &Found) -> bool {
    a.name.to_lowercase() == b.name.to_lowercase() || (a.linkedin.is_some() && a.linkedin == b.linkedin)
}

/// One entry per person, in order of first appearance; later finds fill what earlier ones
/// lack (JSON-LD often has the company, the card the talk).
pub(super) fn merge(found: Vec<Found>) -> Vec<Found> {
    let mut people: Vec<Found> = Vec::new();
    for f in found {
        match people.iter_mut().find(|p| same_person(p, &f)) {
            Some(p) => {
                fill(&mut p.position, f.position);
                fill(&mut p.company, f.company);
                fill(&mut p.talk_title, f.talk_title);
                fill(&mut p.linkedin, f.linkedin);
                fill(&mut p.page_link, f.page_link);
                if p.kind == Kind::Unknown {
                    p.kind = f.kind;
                }
            }
            None => people.push(f),
        }
    }
    people
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| clean(&s)).filter(|s| !s.is_empty())
}

impl Found {
    /// The candidate, or `None` when the name does not read like a person's.
    pub(super) fn into_candidate(self, page: &Page) -> Option<WebCandidate> {
        let name = clean(&self.name);
        if !plausible_name(&name) {
            return None;
        }
        let evidence = Some(page.url.to_string());
        let fact = |attribute: &str, value: String| ProfileFact {
            attribute: attribute.to_owned(),
            value,
            evidence_url: evidence.clone(),
        };
        let position = non_empty(self.position).unwrap_or_default();
        let mut company = non_empty(self.company);
        if company.is_none() && self.kind == Kind::Team {
            company.clone_from(&page.site_name);
        }
        let company = company.unwrap_or_default();
        let headline = match (position.is_empty(), company.is_empty()) {
            (false, false) => format!("{position} at {company}"),
            (false, true) => position.clone(),
            (true, _) => company.clone(),
        };
        let mut facts = Vec::new();
        match (non_empty(self.talk_title), self.kind) {
            (Some(talk), _) => {
                facts.push(fact(ProfileFact::TALK_TITLE, talk.clone()));
                facts.push(fact(ProfileFact::RECENT_TALK, talk));
            }
            (None, Kind::Speaker) => {
                let event = page.title.clone().unwrap_or_else(|| "speaker listing".to_owned());
                facts.push(fact(ProfileFact::RECENT_TALK, event));
            }
            (None, _) => {}
        }
        if let Some(link) = self.page_link {
            facts.push(fact(ProfileFact::PROFILE_PAGE, link));
        }
        let profile =
            Profile { name, position, company, headline, profile_url: self.linkedin, facts, ..Profile::default() };
        Some(WebCandidate { profile, evidence_url: page.url.to_string(), found_by: self.found_by })
    }
}
