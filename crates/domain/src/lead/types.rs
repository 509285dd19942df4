//! Value types of a lead's life: where it came from, where it stands, what was said.
//!
//! Kept apart from the events so that state, commands and errors can share them without
//! pulling in the whole event vocabulary.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::pii::Pii;

/// Where a lead was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSource {
    /// An imported CSV file.
    Csv,
    /// A public web page.
    Web,
    /// The sandbox world's synthetic people.
    Sandbox,
    /// An external system through the API.
    Api,
    /// Typed in by a person.
    Manual,
}

/// The contact status of the seed's sheet: New → Allocated → Sent → Responded → Closed, with
/// Qualified and OptedOut beside them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Discovered, not yet given to a sender account.
    #[default]
    New,
    /// Given to a sender account.
    Allocated,
    /// At least one message went out.
    Sent,
    /// The person replied.
    Responded,
    /// Handed to a human salesperson.
    Qualified,
    /// Finished, with an outcome.
    Closed,
    /// The person objected; final.
    OptedOut,
}

/// What kind of prospect a lead is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadClass {
    /// A potential speaker.
    Speaker,
    /// A potential sponsor.
    Sponsor,
    /// Neither.
    Other,
}

/// A fact learned about a person, with the page that shows it. Both the value and the page
/// may identify the person, so both are personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// The attribute, e.g. `recent_talk` (never personal data).
    pub attribute: String,
    /// What was found.
    pub value: Pii<String>,
    /// Where it was found.
    pub evidence_url: Pii<String>,
}

/// Which message of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The first contact (carries the Art. 14 notice).
    First,
    /// The n-th follow-up, n ≥ 1.
    FollowUp(u32),
}

/// Whether retrying a failed send can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Try again later (rate limit, network).
    Transient,
    /// Retrying will not help (address gone, account blocked).
    Permanent,
}

/// The tone of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    /// Warm.
    Positive,
    /// Cold or hostile.
    Negative,
    /// Neither.
    Neutral,
}

/// What a reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Wants to talk.
    Interested,
    /// Declines.
    NotInterested,
    /// Asks for details.
    InfoRequest,
    /// Asks not to be contacted; the caller then issues `OptOut`.
    OptOut,
    /// An automatic absence notice.
    OutOfOffice,
}

/// How a lead ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseOutcome {
    /// A meeting, a talk or a sponsorship came of it.
    Won,
    /// The person declined.
    Lost,
    /// Not a fit after all.
    Disqualified,
    /// The sequence ran out without a reply.
    NoResponse,
}

/// How an objection reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptOutSource {
    /// In a reply.
    Reply,
    /// Through the unsubscribe link.
    Link,
    /// Told to a person on our side.
    Person,
}

/// CAN-SPAM allows ten business days to honour an opt-out; we honour it at once and record
/// the legal deadline.
pub const OPT_OUT_BUSINESS_DAYS: u32 = 10;

/// `at` plus `days` business days (Monday to Friday; public holidays are not modelled, which
/// only makes the recorded deadline earlier, never later than the law's).
pub fn add_business_days(at: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let mut day = at;
    let mut left = days;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ten_business_days_skip_two_weekends() {
        // Friday 2025-01-03 + 10 business days = Friday 2025-01-17.
        let friday = Utc.with_ymd_and_hms(2025, 1, 3, 9, 0, 0).unwrap();
        let deadline = add_business_days(friday, OPT_OUT_BUSINESS_DAYS);
        assert_eq!(deadline, Utc.with_ymd_and_hms(2025, 1, 17, 9, 0, 0).unwrap());
    }

    #[test]
    fn steps_serialise_readably() {
        assert_eq!(serde_json::to_value(Step::First).unwrap(), serde_json::json!("first"));
        assert_eq!(serde_json::to_value(Step::FollowUp(2)).unwrap(), serde_json::json!({"follow_up": 2}));
    }
}
