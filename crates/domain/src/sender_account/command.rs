//! What may be asked of a sender account. Time and ids come in with the command.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::action::{ActionType, Channel};
use super::event::ReleaseReason;
use super::limits::SendingLimits;

crate::commands! {
    /// A command to the SenderAccount aggregate; build one from its struct with `.into()`.
    enum SenderAccountCommand;

    /// Register an account with its budgets; ramp-up starts on `at`'s UTC day.
    RegisterSenderAccount { channel: Channel, provider: String, limits: SendingLimits, at: DateTime<Utc> }
    /// Replace the budgets.
    ChangeLimits { limits: SendingLimits, at: DateTime<Utc> }
    /// Hold a slot at `at` for one action, if every budget allows it. Lead outreach goes
    /// through `outreach::reserve_send`, which also schedules the message.
    ReserveSlot {
        reservation_id: Uuid,
        lead_id: Uuid,
        message_id: Option<Uuid>,
        action_type: ActionType,
        /// The slot's time.
        at: DateTime<Utc>,
    }
    /// Give a held slot back.
    ReleaseSlot { reservation_id: Uuid, reason: ReleaseReason, at: DateTime<Utc> }
}
