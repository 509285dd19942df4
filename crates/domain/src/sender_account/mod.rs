//! The SenderAccount aggregate: one LinkedIn account or mailbox and its budgets. Every send
//! first reserves a slot here, so no account can be pushed past the limits that keep it from
//! being flagged, whatever the agents decide.

mod action;
mod command;
mod error;
mod event;
mod limits;
mod state;

#[cfg(test)]
mod tests;

pub use action::{ActionType, Channel};
pub use command::{ChangeLimits, RegisterSenderAccount, ReleaseSlot, ReserveSlot, SenderAccountCommand};
pub use error::SenderAccountError;
pub use event::{ReleaseReason, SenderAccountEvent};
pub use limits::SendingLimits;
pub use state::{Registration, Reservation, SenderAccountState};

/// The SenderAccount aggregate type.
#[derive(Debug, Clone, Copy)]
pub struct SenderAccount;

type Outcome = Result<Vec<SenderAccountEvent>, SenderAccountError>;

impl esrs::Aggregate for SenderAccount {
    const NAME: &'static str = "sender_account";
    type State = SenderAccountState;
    type Command = SenderAccountCommand;
    type Event = SenderAccountEvent;
    type Error = SenderAccountError;

    fn handle_command(state: &SenderAccountState, command: SenderAccountCommand) -> Outcome {
        match command {
            SenderAccountCommand::RegisterSenderAccount(c) => register(state, c),
            SenderAccountCommand::ChangeLimits(c) => change_limits(state, c),
            SenderAccountCommand::ReserveSlot(c) => reserve(state, c),
            SenderAccountCommand::ReleaseSlot(c) => release(state, c),
        }
    }

    fn apply_event(state: SenderAccountState, payload: SenderAccountEvent) -> SenderAccountState {
        state.apply(payload)
    }
}

fn register(state: &SenderAccountState, c: RegisterSenderAccount) -> Outcome {
    if state.registration().is_some() {
        return Err(SenderAccountError::AlreadyRegistered);
    }
    c.limits.validate()?;
    Ok(vec![SenderAccountEvent::SenderAccountRegistered {
        channel: c.channel,
        provider: c.provider,
        limits: c.limits,
        registered_at: c.at,
    }])
}

fn change_limits(state: &SenderAccountState, c: ChangeLimits) -> Outcome {
    let registration = state.registration().ok_or(SenderAccountError::NotRegistered)?;
    c.limits.validate()?;
    if registration.limits == c.limits {
        return Ok(Vec::new());
    }
    Ok(vec![SenderAccountEvent::LimitsChanged { limits: c.limits, at: c.at }])
}

pub(crate) fn reserve(state: &SenderAccountState, c: ReserveSlot) -> Outcome {
    if state.registration().is_none() {
        return Err(SenderAccountError::NotRegistered);
    }
    if state.reservations().contains_key(&c.reservation_id) {
        return Err(SenderAccountError::DuplicateReservation(c.reservation_id));
    }
    state.check_reserve(c.action_type, c.at)?;
    Ok(vec![SenderAccountEvent::SendSlotReserved {
        reservation_id: c.reservation_id,
        lead_id: c.lead_id,
        message_id: c.message_id,
        action_type: c.action_type,
        at: c.at,
    }])
}

fn release(state: &SenderAccountState, c: ReleaseSlot) -> Outcome {
    if state.registration().is_none() {
        return Err(SenderAccountError::NotRegistered);
    }
    if !state.reservations().contains_key(&c.reservation_id) {
        return Err(SenderAccountError::UnknownReservation(c.reservation_id));
    }
    Ok(vec![SenderAccountEvent::SendSlotReleased { reservation_id: c.reservation_id, reason: c.reason, at: c.at }])
}
