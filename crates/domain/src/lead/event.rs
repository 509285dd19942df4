//! The Lead stream's persisted facts. Variant names are the stored event type names: never
//! rename one; change a payload by bumping its schema version and adding an upcast step.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::types::{CloseOutcome, Fact, FailureKind, Intent, LeadClass, LeadSource, OptOutSource, Sentiment, Step};
use crate::decision::Decision;
use crate::event::{Actor, DomainEvent, UpcastError};
use crate::pii::Pii;
use crate::sender_account::{ActionType, Channel};

/// Something that happened to a lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum LeadEvent {
    /// A person entered the funnel.
    LeadDiscovered {
        /// Where they were found.
        source: LeadSource,
        /// File and row, page, or API request the lead came from; may identify the person.
        source_ref: Pii<String>,
        /// The campaign that looked for them.
        campaign_id: Uuid,
        /// Full name.
        name: Pii<String>,
        /// Canonical profile URL, if known.
        profile_url: Option<Pii<String>>,
        /// Email address, if known.
        email: Option<Pii<String>>,
        /// Job title (not personal data in our model).
        position: String,
        /// Employer (not personal data in our model).
        company: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Facts were learned about the person.
    LeadEnriched { facts: Vec<Fact>, at: DateTime<Utc> },
    /// Speaker, sponsor or other.
    LeadClassified { class: LeadClass, decision: Decision, at: DateTime<Utc> },
    /// Quality score 1–10. Schema v2: v1 called the field `score`. No `at`: v1 had none, and
    /// the store's recorded time serves.
    LeadScored { quality_score: u8, decision: Decision },
    /// Given to a sender account.
    LeadAllocated { account_id: Uuid, priority: u8, decision: Decision, at: DateTime<Utc> },
    /// A message was written (by an AI or a person).
    MessageDrafted {
        message_id: Uuid,
        channel: Channel,
        /// The campaign template it follows, if any.
        template_id: Option<String>,
        step: Step,
        body: Pii<String>,
        /// Machine-written (EU AI Act Art. 50).
        ai_generated: bool,
        /// The model, when AI-generated.
        model: Option<String>,
        /// SHA-256 of the prompt, hex, when AI-generated.
        prompt_hash: Option<String>,
        /// Looked up from the campaign's approval policy by the caller.
        requires_approval: bool,
        decision: Decision,
        at: DateTime<Utc>,
    },
    /// A draft was put in front of a person for review.
    MessageApprovalRequested { message_id: Uuid, at: DateTime<Utc> },
    /// A person approved a draft, possibly after editing it.
    MessageApproved {
        message_id: Uuid,
        by: Actor,
        /// Whether a human changed the text (EU AI Act Art. 50).
        edited: bool,
        /// The edited text; present exactly when `edited`.
        edited_body: Option<Pii<String>>,
        /// The approval decision (kind `Approval`, output `approved`, decided by `by`).
        decision: Decision,
        at: DateTime<Utc>,
    },
    /// A person rejected a draft; it can never be sent.
    MessageRejected {
        message_id: Uuid,
        by: Actor,
        reason: Pii<String>,
        /// The approval decision (kind `Approval`, output `rejected`, decided by `by`).
        decision: Decision,
        at: DateTime<Utc>,
    },
    /// A send slot was reserved on a sender account (written with that account's
    /// `SendSlotReserved`, in one transaction). `at` is the slot's time.
    MessageScheduled {
        message_id: Uuid,
        account_id: Uuid,
        reservation_id: Uuid,
        action_type: ActionType,
        at: DateTime<Utc>,
    },
    /// The provider accepted the message.
    MessageSent { message_id: Uuid, account_id: Uuid, channel: Channel, provider_message_id: String, at: DateTime<Utc> },
    /// The provider refused or could not be reached.
    MessageSendFailed {
        message_id: Uuid,
        kind: FailureKind,
        /// 1 for the first failure of this message, and so on.
        attempt: u32,
        /// An error code or class, never the provider's raw text (it may echo the address).
        reason: String,
        at: DateTime<Utc>,
    },
    /// The person wrote back.
    ResponseReceived {
        response_id: Uuid,
        /// The message replied to, when known.
        message_id: Option<Uuid>,
        text: Pii<String>,
        at: DateTime<Utc>,
    },
    /// A reply was read. An `OptOut` intent does not opt out by itself: the caller decides.
    ResponseAnalyzed { response_id: Uuid, sentiment: Sentiment, intent: Intent, decision: Decision, at: DateTime<Utc> },
    /// The n-th follow-up is due at `due_at`.
    FollowUpScheduled { step: u32, due_at: DateTime<Utc>, at: DateTime<Utc> },
    /// Handed to a human salesperson.
    LeadQualified { by: Actor, note: Option<Pii<String>>, at: DateTime<Utc> },
    /// Finished.
    LeadClosed { outcome: CloseOutcome, at: DateTime<Utc> },
    /// The person objected (GDPR Art. 21): every channel, every account, forever.
    LeadOptedOut {
        source: OptOutSource,
        /// The legal deadline (CAN-SPAM); we honour the objection at `at` already.
        honour_by: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// The subject's key was destroyed (GDPR Art. 17); decisions stay readable.
    PersonalDataErased { requested_by: Actor, at: DateTime<Utc> },
    /// A free-text note (may mention the person).
    NoteAdded { text: Pii<String>, author: Actor, at: DateTime<Utc> },
    /// Moved from one sender account to another.
    LeadReassigned { from: Uuid, to: Uuid, decision: Decision, at: DateTime<Utc> },
}

impl LeadEvent {
    /// The decision record this event carries, if it is one of the decided events.
    pub fn decision(&self) -> Option<&Decision> {
        match self {
            Self::LeadClassified { decision, .. }
            | Self::LeadScored { decision, .. }
            | Self::LeadAllocated { decision, .. }
            | Self::MessageDrafted { decision, .. }
            | Self::MessageApproved { decision, .. }
            | Self::MessageRejected { decision, .. }
            | Self::ResponseAnalyzed { decision, .. }
            | Self::LeadReassigned { decision, .. } => Some(decision),
            Self::LeadDiscovered { .. }
            | Self::LeadEnriched { .. }
            | Self::MessageApprovalRequested { .. }
            | Self::MessageScheduled { .. }
            | Self::MessageSent { .. }
            | Self::MessageSendFailed { .. }
            | Self::ResponseReceived { .. }
            | Self::FollowUpScheduled { .. }
            | Self::LeadQualified { .. }
            | Self::LeadClosed { .. }
            | Self::LeadOptedOut { .. }
            | Self::PersonalDataErased { .. }
            | Self::NoteAdded { .. } => None,
        }
    }
}

impl DomainEvent for LeadEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::LeadDiscovered { .. } => "LeadDiscovered",
            Self::LeadEnriched { .. } => "LeadEnriched",
            Self::LeadClassified { .. } => "LeadClassified",
            Self::LeadScored { .. } => "LeadScored",
            Self::LeadAllocated { .. } => "LeadAllocated",
            Self::MessageDrafted { .. } => "MessageDrafted",
            Self::MessageApprovalRequested { .. } => "MessageApprovalRequested",
            Self::MessageApproved { .. } => "MessageApproved",
            Self::MessageRejected { .. } => "MessageRejected",
            Self::MessageScheduled { .. } => "MessageScheduled",
            Self::MessageSent { .. } => "MessageSent",
            Self::MessageSendFailed { .. } => "MessageSendFailed",
            Self::ResponseReceived { .. } => "ResponseReceived",
            Self::ResponseAnalyzed { .. } => "ResponseAnalyzed",
            Self::FollowUpScheduled { .. } => "FollowUpScheduled",
            Self::LeadQualified { .. } => "LeadQualified",
            Self::LeadClosed { .. } => "LeadClosed",
            Self::LeadOptedOut { .. } => "LeadOptedOut",
            Self::PersonalDataErased { .. } => "PersonalDataErased",
            Self::NoteAdded { .. } => "NoteAdded",
            Self::LeadReassigned { .. } => "LeadReassigned",
        }
    }

    fn schema_version(event_type: &str) -> i32 {
        match event_type {
            "LeadScored" => 2,
            _ => 1,
        }
    }

    fn upcast(
        event_type: &str,
        from_version: i32,
        mut payload: serde_json::Value,
    ) -> Result<serde_json::Value, UpcastError> {
        let fail =
            |reason: &str| UpcastError { event_type: event_type.to_owned(), from_version, reason: reason.to_owned() };
        if from_version == Self::schema_version(event_type) {
            return Ok(payload);
        }
        match (event_type, from_version) {
            ("LeadScored", 1) => {
                let fields = payload.as_object_mut().ok_or_else(|| fail("payload is not an object"))?;
                let score = fields.remove("score").ok_or_else(|| fail("missing field `score`"))?;
                fields.insert("quality_score".to_owned(), score);
                Ok(payload)
            }
            _ => Err(fail("no upcast path to the current schema version")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v1_payload() -> serde_json::Value {
        let decision = crate::testing::decision(crate::DecisionKind::Score);
        json!({"score": 7, "decision": decision})
    }

    #[test]
    fn lead_scored_is_at_version_two_and_others_at_one() {
        assert_eq!(LeadEvent::schema_version("LeadScored"), 2);
        assert_eq!(LeadEvent::schema_version("LeadDiscovered"), 1);
    }

    #[test]
    fn upcasting_v1_lead_scored_renames_score() {
        let upcast = LeadEvent::upcast("LeadScored", 1, v1_payload()).unwrap();
        assert_eq!(upcast["quality_score"], json!(7));
        assert!(upcast.get("score").is_none());
        let event: LeadEvent = serde_json::from_value(json!({"type": "LeadScored", "data": upcast})).unwrap();
        assert!(matches!(event, LeadEvent::LeadScored { quality_score: 7, .. }));
    }

    #[test]
    fn current_versions_pass_through_unchanged() {
        let payload = json!({"quality_score": 3, "decision": null});
        assert_eq!(LeadEvent::upcast("LeadScored", 2, payload.clone()).unwrap(), payload);
        assert_eq!(LeadEvent::upcast("NoteAdded", 1, payload.clone()).unwrap(), payload);
    }

    #[test]
    fn unknown_or_future_versions_are_refused() {
        assert!(LeadEvent::upcast("LeadScored", 3, v1_payload()).is_err());
        assert!(LeadEvent::upcast("LeadScored", 0, v1_payload()).is_err());
        assert!(LeadEvent::upcast("NoteAdded", 2, json!({})).is_err());
        assert!(LeadEvent::upcast("LeadScored", 1, json!({"quality_score": 1})).is_err());
        assert!(LeadEvent::upcast("LeadScored", 1, json!([7])).is_err());
    }
}
