//! The sender account stream's persisted facts. Variant names are stored: never rename one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::action::{ActionType, Channel};
use super::limits::SendingLimits;
use crate::event::DomainEvent;

/// Why a reserved slot was given back (it then no longer counts toward any budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    /// The send failed before anything reached the person.
    SendFailed,
    /// The person objected before the slot came.
    LeadOptedOut,
    /// The person's data was erased before the slot came.
    LeadErased,
    /// The lead moved to another account.
    LeadReassigned,
    /// Withdrawn by a person or the scheduler.
    Cancelled,
}

/// Something that happened to a sender account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum SenderAccountEvent {
    /// The account joined; ramp-up counts from `registered_at`'s UTC day.
    SenderAccountRegistered {
        channel: Channel,
        /// E.g. `linkedin`, `smtp`, `sandbox`.
        provider: String,
        limits: SendingLimits,
        registered_at: DateTime<Utc>,
    },
    /// New budgets from `at` on.
    LimitsChanged { limits: SendingLimits, at: DateTime<Utc> },
    /// A slot at `at` is held for one action.
    SendSlotReserved {
        reservation_id: Uuid,
        lead_id: Uuid,
        /// `None` for an action not tied to a message, such as a profile view.
        message_id: Option<Uuid>,
        action_type: ActionType,
        at: DateTime<Utc>,
    },
    /// A held slot was given back.
    SendSlotReleased { reservation_id: Uuid, reason: ReleaseReason, at: DateTime<Utc> },
}

impl DomainEvent for SenderAccountEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::SenderAccountRegistered { .. } => "SenderAccountRegistered",
            Self::LimitsChanged { .. } => "LimitsChanged",
            Self::SendSlotReserved { .. } => "SendSlotReserved",
            Self::SendSlotReleased { .. } => "SendSlotReleased",
        }
    }
}
