//! The one rule that spans two aggregates: a message is scheduled only together with a send
//! slot on its sender account. Both sides are decided here, purely, from both states; the
//! store appends the lead's `MessageScheduled` and the account's `SendSlotReserved` in one
//! transaction (with an optimistic version check on each stream), so neither exists alone.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::lead::{self, LeadError, LeadEvent, LeadState};
use crate::sender_account::{
    self, ActionType, ReserveSlot, SenderAccountError, SenderAccountEvent, SenderAccountState,
};

/// Reserve a send slot for a drafted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveSend {
    /// The lead's stream id.
    pub lead_id: Uuid,
    /// The sender account's stream id; must be the lead's allocated account.
    pub account_id: Uuid,
    pub message_id: Uuid,
    /// New id for the account's reservation.
    pub reservation_id: Uuid,
    /// Must carry the message's channel: `Email` for email, `ConnectionInvitation` or
    /// `Message` for LinkedIn.
    pub action_type: ActionType,
    /// The slot's time, chosen by the scheduler (spacing gap included).
    pub at: DateTime<Utc>,
}

/// Why a send could not be reserved: the lead's reason, or the account's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReserveSendError {
    /// The lead may not be contacted with this message now.
    #[error(transparent)]
    Lead(#[from] LeadError),
    /// The account has no budget or time for it.
    #[error(transparent)]
    Account(#[from] SenderAccountError),
}

/// Decides both halves of a send reservation. The lead is checked first: a person who must
/// not be contacted is refused whatever the account's budget.
pub fn reserve_send(
    lead: &LeadState,
    account: &SenderAccountState,
    cmd: ReserveSend,
) -> Result<(Vec<LeadEvent>, Vec<SenderAccountEvent>), ReserveSendError> {
    let lead_events = lead::schedule(
        lead,
        cmd.message_id,
        cmd.account_id,
        cmd.reservation_id,
        cmd.action_type,
        cmd.at,
    )?;
    let account_events = sender_account::reserve(
        account,
        ReserveSlot {
            reservation_id: cmd.reservation_id,
            lead_id: cmd.lead_id,
            message_id: Some(cmd.message_id),
            action_type: cmd.action_type,
            at: cmd.at,
        },
    )?;
    Ok((lead_events, account_events))
}
