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
    let lead_events =
        lead::schedule(lead, cmd.message_id, cmd.account_id, cmd.reservation_id, cmd.action_type, cmd.at)?;
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

#[cfg(test)]
mod tests {
    use esrs::Aggregate;

    use super::*;
    use crate::decision::DecisionKind;
    use crate::event::Actor;
    use crate::lead::{
        AllocateLead, ApproveMessage, DiscoverLead, DraftMessage, FailureKind, Lead, LeadCommand, LeadSource, OptOut,
        OptOutSource, RecordSendFailed, RejectMessage, Step,
    };
    use crate::pii::Pii;
    use crate::sender_account::{Channel, SenderAccount, SenderAccountEvent, SendingLimits};
    use crate::testing::{approval, at, decision};

    const LEAD: Uuid = Uuid::from_u128(0x1EAD);
    const ACCOUNT: Uuid = Uuid::from_u128(0xA1);
    const MSG: Uuid = Uuid::from_u128(0x31);
    const SLOT: Uuid = Uuid::from_u128(0x51);

    /// Builds a lead's history by running real commands, so fixtures cannot drift from rules.
    fn lead_after(commands: Vec<LeadCommand>) -> LeadState {
        commands.into_iter().fold(LeadState::default(), |state, command| {
            let events = Lead::handle_command(&state, command).expect("fixture command accepted");
            events.into_iter().fold(state, Lead::apply_event)
        })
    }

    fn drafted_lead(requires_approval: bool) -> Vec<LeadCommand> {
        let pii = |s: &str| Pii::new(s.to_owned());
        vec![
            DiscoverLead {
                source: LeadSource::Sandbox,
                source_ref: pii("sandbox#1"),
                campaign_id: Uuid::from_u128(0xC),
                name: pii("Grace Hopper"),
                profile_url: Some(pii("https://linkedin.com/in/grace")),
                email: None,
                position: "Rear Admiral".to_owned(),
                company: "US Navy".to_owned(),
                at: at(3, 9, 0),
            }
            .into(),
            AllocateLead {
                account_id: ACCOUNT,
                priority: 1,
                decision: decision(DecisionKind::Allocation),
                at: at(3, 9, 1),
            }
            .into(),
            DraftMessage {
                message_id: MSG,
                channel: Channel::LinkedIn,
                template_id: None,
                step: Step::First,
                body: pii("Hello Grace"),
                ai_generated: false,
                model: None,
                prompt_hash: None,
                requires_approval,
                decision: decision(DecisionKind::Draft),
                at: at(3, 9, 2),
            }
            .into(),
        ]
    }

    fn account(limits: SendingLimits, held: impl IntoIterator<Item = SenderAccountEvent>) -> SenderAccountState {
        let registered = SenderAccountEvent::SenderAccountRegistered {
            channel: Channel::LinkedIn,
            provider: "sandbox".to_owned(),
            limits,
            registered_at: at(3, 0, 0),
        };
        std::iter::once(registered).chain(held).fold(SenderAccountState::default(), SenderAccount::apply_event)
    }

    fn flat() -> SendingLimits {
        SendingLimits { ramp_up_days: 0, ..SendingLimits::linkedin() }
    }

    fn reserve() -> ReserveSend {
        ReserveSend {
            lead_id: LEAD,
            account_id: ACCOUNT,
            message_id: MSG,
            reservation_id: SLOT,
            action_type: ActionType::ConnectionInvitation,
            at: at(3, 10, 0),
        }
    }

    #[test]
    fn a_drafted_message_and_a_free_slot_are_scheduled_together() {
        let outcome = reserve_send(&lead_after(drafted_lead(false)), &account(flat(), []), reserve());
        let expected = (
            vec![LeadEvent::MessageScheduled {
                message_id: MSG,
                account_id: ACCOUNT,
                reservation_id: SLOT,
                action_type: ActionType::ConnectionInvitation,
                at: at(3, 10, 0),
            }],
            vec![SenderAccountEvent::SendSlotReserved {
                reservation_id: SLOT,
                lead_id: LEAD,
                message_id: Some(MSG),
                action_type: ActionType::ConnectionInvitation,
                at: at(3, 10, 0),
            }],
        );
        assert_eq!(outcome, Ok(expected));
    }

    #[test]
    fn an_opted_out_lead_is_refused_even_on_a_fresh_account() {
        let mut commands = drafted_lead(false);
        commands.push(OptOut { source: OptOutSource::Link, at: at(3, 9, 30) }.into());
        let outcome = reserve_send(&lead_after(commands), &account(flat(), []), reserve());
        assert_eq!(outcome, Err(ReserveSendError::Lead(LeadError::OptedOut)));
        // The lead is checked first: an objection wins over any account problem.
        let mut commands = drafted_lead(false);
        commands.push(OptOut { source: OptOutSource::Link, at: at(3, 9, 30) }.into());
        let outcome = reserve_send(&lead_after(commands), &SenderAccountState::default(), reserve());
        assert_eq!(outcome, Err(ReserveSendError::Lead(LeadError::OptedOut)));
    }

    #[test]
    fn an_account_over_budget_is_refused_naming_the_budget() {
        let limits = SendingLimits { daily_invitations: 1, ..flat() };
        let held = SenderAccountEvent::SendSlotReserved {
            reservation_id: Uuid::from_u128(0x99),
            lead_id: Uuid::from_u128(0x2),
            message_id: None,
            action_type: ActionType::ConnectionInvitation,
            at: at(3, 8, 0),
        };
        let outcome = reserve_send(&lead_after(drafted_lead(false)), &account(limits, [held]), reserve());
        assert_eq!(
            outcome,
            Err(ReserveSendError::Account(SenderAccountError::DailyLimitReached {
                action: ActionType::ConnectionInvitation,
                limit: 1,
            }))
        );
    }

    #[test]
    fn a_draft_needing_approval_waits_for_it() {
        let outcome = reserve_send(&lead_after(drafted_lead(true)), &account(flat(), []), reserve());
        assert_eq!(outcome, Err(ReserveSendError::Lead(LeadError::ApprovalRequired(MSG))));
        let mut commands = drafted_lead(true);
        commands.push(
            ApproveMessage {
                message_id: MSG,
                by: Actor::person("reviewer"),
                edited_body: None,
                decision: approval(&Actor::person("reviewer"), "approved"),
                at: at(3, 9, 5),
            }
            .into(),
        );
        assert!(reserve_send(&lead_after(commands), &account(flat(), []), reserve()).is_ok());
    }

    #[test]
    fn rejected_or_already_scheduled_drafts_are_refused() {
        let mut commands = drafted_lead(false);
        commands.push(
            RejectMessage {
                message_id: MSG,
                by: Actor::person("r"),
                reason: Pii::new("tone".to_owned()),
                decision: approval(&Actor::person("r"), "rejected"),
                at: at(3, 9, 5),
            }
            .into(),
        );
        let outcome = reserve_send(&lead_after(commands), &account(flat(), []), reserve());
        assert_eq!(outcome, Err(ReserveSendError::Lead(LeadError::DraftRejected(MSG))));

        let lead = lead_after(drafted_lead(false));
        let (events, _) = reserve_send(&lead, &account(flat(), []), reserve()).expect("first reservation");
        let lead = events.into_iter().fold(lead, Lead::apply_event);
        let again = ReserveSend { reservation_id: Uuid::from_u128(0x52), at: at(3, 11, 0), ..reserve() };
        let outcome = reserve_send(&lead, &account(flat(), []), again);
        assert_eq!(outcome, Err(ReserveSendError::Lead(LeadError::AlreadyScheduled(MSG))));
    }

    #[test]
    fn the_slot_must_be_on_the_lead_account_and_fit_the_channel() {
        let lead = lead_after(drafted_lead(false));
        let other = ReserveSend { account_id: Uuid::from_u128(0xA2), ..reserve() };
        let outcome = reserve_send(&lead, &account(flat(), []), other);
        let wrong = LeadError::WrongAccount { allocated: ACCOUNT, requested: Uuid::from_u128(0xA2) };
        assert_eq!(outcome, Err(ReserveSendError::Lead(wrong)));
        let as_email = ReserveSend { action_type: ActionType::Email, ..reserve() };
        let outcome = reserve_send(&lead, &account(flat(), []), as_email);
        let mismatch = LeadError::ActionMismatch { channel: Channel::LinkedIn, action: ActionType::Email };
        assert_eq!(outcome, Err(ReserveSendError::Lead(mismatch)));
    }

    #[test]
    fn only_a_transient_failure_may_be_rescheduled() {
        for (kind, allowed) in [(FailureKind::Transient, true), (FailureKind::Permanent, false)] {
            let lead = lead_after(drafted_lead(false));
            let (events, _) = reserve_send(&lead, &account(flat(), []), reserve()).expect("reserved");
            let lead = events.into_iter().fold(lead, Lead::apply_event);
            let failure = RecordSendFailed { message_id: MSG, kind, reason: "e".to_owned(), at: at(3, 10, 0) };
            let events = Lead::handle_command(&lead, failure.into()).expect("failure recorded");
            let lead = events.into_iter().fold(lead, Lead::apply_event);
            let retry = ReserveSend { reservation_id: Uuid::from_u128(0x52), at: at(3, 11, 0), ..reserve() };
            assert_eq!(reserve_send(&lead, &account(flat(), []), retry).is_ok(), allowed, "{kind:?}");
        }
    }
}
