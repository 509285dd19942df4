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
}
