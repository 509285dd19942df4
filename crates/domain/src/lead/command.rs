//! What may be asked of a lead. Each command carries everything from the outside world: the
//! time (`at`), new ids, the decision record, and facts looked up elsewhere (such as whether
//! a draft needs approval, from the campaign's policy).
//!
//! Scheduling a message has no command here: it needs a send slot from a sender account at
//! the same time, see [`crate::outreach::reserve_send`].

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::types::{CloseOutcome, Fact, FailureKind, Intent, LeadClass, LeadSource, OptOutSource, Sentiment, Step};
use crate::decision::Decision;
use crate::event::Actor;
use crate::pii::Pii;
use crate::sender_account::Channel;

crate::commands! {
    /// A command to the Lead aggregate; build one from its struct with `.into()`.
    enum LeadCommand;

    /// Record a newly found person. The stream id is `SubjectKey::lead_id` of their profile
    /// URL or email, so a person is discovered once, ever.
    DiscoverLead {
        source: LeadSource,
        source_ref: Pii<String>,
        campaign_id: Uuid,
        name: Pii<String>,
        profile_url: Option<Pii<String>>,
        email: Option<Pii<String>>,
        position: String,
        company: String,
        at: DateTime<Utc>,
    }
    /// Add facts with their evidence.
    EnrichLead { facts: Vec<Fact>, at: DateTime<Utc> }
    /// Record a classification decision.
    ClassifyLead { class: LeadClass, decision: Decision, at: DateTime<Utc> }
    /// Record a quality score (1–10) decision.
    ScoreLead { score: u8, decision: Decision }
    /// Give the lead to a sender account.
    AllocateLead {
        account_id: Uuid,
        /// Higher goes first.
        priority: u8,
        decision: Decision,
        at: DateTime<Utc>,
    }
    /// Move the lead to another sender account.
    ReassignLead { to: Uuid, decision: Decision, at: DateTime<Utc> }
    /// Record a written message.
    DraftMessage {
        message_id: Uuid,
        channel: Channel,
        template_id: Option<String>,
        step: Step,
        body: Pii<String>,
        ai_generated: bool,
        model: Option<String>,
        prompt_hash: Option<String>,
        /// From `CampaignState::requires_approval`.
        requires_approval: bool,
        decision: Decision,
        at: DateTime<Utc>,
    }
    /// Put a draft in front of a person.
    RequestApproval { message_id: Uuid, at: DateTime<Utc> }
    /// A person approves a draft, optionally with their edited text.
    ApproveMessage {
        message_id: Uuid,
        by: Actor,
        edited_body: Option<Pii<String>>,
        /// An [`Approval`](crate::decision::DecisionKind::Approval) decision with output
        /// `approved`, decided by `by` (engine typically [`Human`](crate::decision::Engine::Human)).
        decision: Decision,
        at: DateTime<Utc>,
    }
    /// A person rejects a draft.
    RejectMessage {
        message_id: Uuid,
        by: Actor,
        reason: Pii<String>,
        /// An [`Approval`](crate::decision::DecisionKind::Approval) decision with output
        /// `rejected`, decided by `by`; its rationale holds no personal data (unlike `reason`).
        decision: Decision,
        at: DateTime<Utc>,
    }
    /// The provider accepted a scheduled message.
    RecordSent { message_id: Uuid, provider_message_id: String, at: DateTime<Utc> }
    /// Sending a scheduled message failed.
    RecordSendFailed {
        message_id: Uuid,
        kind: FailureKind,
        /// An error code or class, no personal data.
        reason: String,
        at: DateTime<Utc>,
    }
    /// The person wrote back.
    RecordResponse {
        response_id: Uuid,
        message_id: Option<Uuid>,
        text: Pii<String>,
        at: DateTime<Utc>,
    }
    /// Record the reading of a reply.
    AnalyzeResponse {
        response_id: Uuid,
        sentiment: Sentiment,
        intent: Intent,
        decision: Decision,
        at: DateTime<Utc>,
    }
    /// Plan the next follow-up.
    ScheduleFollowUp { step: u32, due_at: DateTime<Utc>, at: DateTime<Utc> }
    /// Hand the lead to a human salesperson.
    QualifyLead { by: Actor, note: Option<Pii<String>>, at: DateTime<Utc> }
    /// Finish with an outcome.
    CloseLead { outcome: CloseOutcome, at: DateTime<Utc> }
    /// Record an objection; takes effect at once.
    OptOut { source: OptOutSource, at: DateTime<Utc> }
    /// Erase the person's data (the store destroys the subject key).
    ErasePersonalData { requested_by: Actor, at: DateTime<Utc> }
    /// Add a free-text note.
    AddNote { text: Pii<String>, author: Actor, at: DateTime<Utc> }
}
