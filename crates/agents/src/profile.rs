//! What an agent can observe about a prospect, whatever the source (CSV row, web page, sandbox).
//!
//! A profile holds personal data (name, profile URL, email, bio). The rules engine reads it but
//! never copies its free text into a decision: factor values come from the engine's own
//! vocabulary or from bucketed numbers, so decisions stay readable after erasure.

use serde::{Deserialize, Serialize};

/// A fact found about a person, e.g. a recent talk, with the page that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileFact {
    /// The attribute, e.g. [`ProfileFact::RECENT_TALK`] (never personal data).
    pub attribute: String,
    /// What was found (may identify the person).
    pub value: String,
    /// Where it was found (may identify the person).
    pub evidence_url: Option<String>,
}

impl ProfileFact {
    /// The person spoke at an event recently.
    pub const RECENT_TALK: &'static str = "recent_talk";
    /// The person's company sponsored an event recently.
    pub const SPONSORED_EVENT: &'static str = "sponsored_event";
    /// The title of a talk the person gives or gave (a speaker page's session).
    pub const TALK_TITLE: &'static str = "talk_title";
    /// A page about the person on the site where they were found (a speaker's detail page).
    pub const PROFILE_PAGE: &'static str = "profile_page";
    /// The one-line headline under the name.
    pub const HEADLINE: &'static str = "headline";
    /// The "about" section.
    pub const BIO: &'static str = "bio";
    /// The employer's industry.
    pub const INDUSTRY: &'static str = "industry";
    /// The employer's head count.
    pub const COMPANY_SIZE: &'static str = "company_size";
    /// Country or region.
    pub const LOCATION: &'static str = "location";
}

/// The observable side of a prospect: everything the Lead Finder may base a decision on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Profile {
    /// Full name (personal data).
    pub name: String,
    /// Job title.
    pub position: String,
    /// Employer.
    pub company: String,
    /// The employer's industry, when known.
    pub industry: Option<String>,
    /// The employer's head count, when known.
    pub company_size: Option<u32>,
    /// Country or region, when known.
    pub location: Option<String>,
    /// The one-line headline under the name.
    pub headline: String,
    /// The free-text "about" section (personal data).
    pub bio: String,
    /// Canonical profile URL (personal data).
    pub profile_url: Option<String>,
    /// Email address (personal data).
    pub email: Option<String>,
    /// Facts found by enrichment.
    pub facts: Vec<ProfileFact>,
}

impl Profile {
    /// The first word of the name, for a greeting; `None` when the name is blank.
    pub fn first_name(&self) -> Option<&str> {
        self.name.split_whitespace().next()
    }

    /// What enrichment records about the person beyond name, position, company and
    /// addresses: the facts, then headline, bio, industry, head count and location as facts of
    /// their own, each shown by `evidence_url` when the fact names no page.
    /// [`Profile::absorb_facts`] reads them back.
    pub fn enrichment(&self, evidence_url: &str) -> Vec<ProfileFact> {
        let field = |attribute: &str, value: String| ProfileFact {
            attribute: attribute.to_owned(),
            value,
            evidence_url: Some(evidence_url.to_owned()),
        };
        let mut facts: Vec<ProfileFact> = self
            .facts
            .iter()
            .map(|f| ProfileFact {
                evidence_url: f.evidence_url.clone().or_else(|| Some(evidence_url.to_owned())),
                ..f.clone()
            })
            .collect();
        let fields = [
            (ProfileFact::HEADLINE, Some(self.headline.clone()).filter(|h| !h.trim().is_empty())),
            (ProfileFact::BIO, Some(self.bio.clone()).filter(|b| !b.trim().is_empty())),
            (ProfileFact::INDUSTRY, self.industry.clone()),
            (ProfileFact::COMPANY_SIZE, self.company_size.map(|n| n.to_string())),
            (ProfileFact::LOCATION, self.location.clone()),
        ];
        facts.extend(fields.into_iter().filter_map(|(attribute, value)| Some(field(attribute, value?))));
        facts
    }

    /// Moves the facts that [`Profile::enrichment`] made of profile fields back into them; the
    /// other facts stay facts.
    #[must_use]
    pub fn absorb_facts(mut self) -> Self {
        let mut kept = Vec::with_capacity(self.facts.len());
        for fact in std::mem::take(&mut self.facts) {
            match fact.attribute.as_str() {
                ProfileFact::HEADLINE => self.headline = fact.value,
                ProfileFact::BIO => self.bio = fact.value,
                ProfileFact::INDUSTRY => self.industry = Some(fact.value),
                ProfileFact::COMPANY_SIZE => self.company_size = fact.value.parse().ok(),
                ProfileFact::LOCATION => self.location = Some(fact.value),
                _ => kept.push(fact),
            }
        }
        self.facts = kept;
        self
    }

    /// Whether a fact with `attribute` was found.
    pub fn has_fact(&self, attribute: &str) -> bool {
        self.facts.iter().any(|f| f.attribute == attribute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_name_is_the_first_word() {
        let p = Profile { name: "  Ada  Lovelace ".into(), ..Profile::default() };
        assert_eq!(p.first_name(), Some("Ada"));
        assert_eq!(Profile::default().first_name(), None);
    }

    #[test]
    fn enrichment_round_trips_through_facts() {
        let p = Profile {
            name: "Ada Lovelace".into(),
            position: "CTO".into(),
            company: "Engines".into(),
            industry: Some("Software".into()),
            company_size: Some(120),
            location: Some("London".into()),
            headline: "Keynote speaker".into(),
            bio: "Talks about engines.".into(),
            profile_url: Some("https://www.linkedin.com/in/ada".into()),
            facts: vec![ProfileFact {
                attribute: ProfileFact::RECENT_TALK.into(),
                value: "RustConf".into(),
                evidence_url: None,
            }],
            ..Profile::default()
        };
        let facts = p.enrichment("https://www.linkedin.com/in/ada");
        assert_eq!(facts.len(), 6);
        assert!(facts.iter().all(|f| f.evidence_url.as_deref() == Some("https://www.linkedin.com/in/ada")));
        let seen =
            Profile { facts, ..Profile { name: p.name.clone(), position: p.position.clone(), ..Profile::default() } }
                .absorb_facts();
        assert_eq!(seen.headline, p.headline);
        assert_eq!(seen.bio, p.bio);
        assert_eq!(seen.industry, p.industry);
        assert_eq!(seen.company_size, Some(120));
        assert_eq!(seen.location, p.location);
        assert_eq!(seen.facts.len(), 1);
        assert!(seen.has_fact(ProfileFact::RECENT_TALK));
    }
}
