//! Deciding message commands: drafting, approval, sending, replies and follow-ups. A message
//! reaches a person only through a reserved slot (`schedule`, called by
//! [`crate::outreach::reserve_send`]), and only if nobody objected, it was approved when it had
//! to be, and the person has not replied to the sequence yet.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::command::{
    AnalyzeResponse, ApproveMessage, DraftMessage, RecordResponse, RecordSendFailed, RecordSent, RejectMessage,
    RequestApproval, ScheduleFollowUp,
};
use super::error::LeadError;
use super::event::LeadEvent;
use super::state::{LeadState, MessageRecord, MessageStatus};
use super::types::{ContactStatus, FailureKind, Step};
use crate::decision::{Decision, DecisionKind};
use crate::event::Actor;
use crate::sender_account::{ActionType, Channel};

type Outcome = Result<Vec<LeadEvent>, LeadError>;

/// The operation name used in errors raised while reserving a send slot.
pub(crate) const RESERVE_SEND: &str = "ReserveSend";

impl LeadState {
    fn known(&self, message_id: Uuid) -> Result<&MessageRecord, LeadError> {
        self.messages.get(&message_id).ok_or(LeadError::UnknownMessage(message_id))
    }

    fn wrong_state(message_id: Uuid, m: &MessageRecord, command: &'static str) -> LeadError {
        LeadError::InvalidMessageState { message_id, status: m.status, command }
    }

    /// A follow-up is pointless, and unwelcome, once the person replied.
    fn follow_up_allowed(&self, step: Step) -> Result<(), LeadError> {
        match step {
            Step::FollowUp(_) if self.has_replied() => Err(LeadError::AlreadyResponded),
            _ => Ok(()),
        }
    }

    /// Whether a scheduled message may go out now. A sending worker asks this right before it
    /// calls the provider; `RecordSent` applies the same rules.
    pub fn check_send(&self, message_id: Uuid) -> Result<&MessageRecord, LeadError> {
        self.accepts_outreach("RecordSent")?;
        let message = self.known(message_id)?;
        if message.status != MessageStatus::Scheduled {
            return Err(LeadError::NotScheduled(message_id));
        }
        self.follow_up_allowed(message.step)?;
        Ok(message)
    }
}

pub(super) fn draft(state: &LeadState, c: DraftMessage, name: &'static str) -> Outcome {
    let person = state.accepts_outreach(name)?;
    if state.messages.contains_key(&c.message_id) {
        return Err(LeadError::DuplicateMessage(c.message_id));
    }
    if state.allocated_account.is_none() {
        return Err(LeadError::NotAllocated);
    }
    match c.step {
        Step::First if state.status != ContactStatus::Allocated => return Err(state.invalid(name)),
        Step::First => {}
        Step::FollowUp(step) => {
            state.follow_up_allowed(c.step)?;
            if step == 0 {
                return Err(LeadError::FollowUpOutOfOrder { expected: 1, got: 0 });
            }
            if state.status != ContactStatus::Sent {
                return Err(state.invalid(name));
            }
        }
    }
    let address = match c.channel {
        Channel::Email => &person.email,
        Channel::LinkedIn => &person.profile_url,
    };
    if address.is_none() {
        return Err(LeadError::MissingAddress { channel: c.channel });
    }
    if c.ai_generated && (c.model.is_none() || c.prompt_hash.is_none()) {
        return Err(LeadError::MissingAiProvenance);
    }
    c.decision.validate(DecisionKind::Draft)?;
    Ok(vec![LeadEvent::MessageDrafted {
        message_id: c.message_id,
        channel: c.channel,
        template_id: c.template_id,
        step: c.step,
        body: c.body,
        ai_generated: c.ai_generated,
        model: c.model,
        prompt_hash: c.prompt_hash,
        requires_approval: c.requires_approval,
        decision: c.decision,
        at: c.at,
    }])
}

pub(super) fn request_approval(state: &LeadState, c: RequestApproval, name: &'static str) -> Outcome {
    state.accepts_outreach(name)?;
    let message = state.known(c.message_id)?;
    if message.status != MessageStatus::Drafted {
        return Err(LeadState::wrong_state(c.message_id, message, name));
    }
    Ok(vec![LeadEvent::MessageApprovalRequested { message_id: c.message_id, at: c.at }])
}

pub(super) fn approve(state: &LeadState, c: ApproveMessage, name: &'static str) -> Outcome {
    state.accepts_outreach(name)?;
    let message = state.known(c.message_id)?;
    if !matches!(message.status, MessageStatus::Drafted | MessageStatus::AwaitingApproval) {
        return Err(LeadState::wrong_state(c.message_id, message, name));
    }
    check_approval_decision(&c.decision, &c.by, "approved")?;
    Ok(vec![LeadEvent::MessageApproved {
        message_id: c.message_id,
        by: c.by,
        edited: c.edited_body.is_some(),
        edited_body: c.edited_body,
        decision: c.decision,
        at: c.at,
    }])
}

pub(super) fn reject(state: &LeadState, c: RejectMessage, name: &'static str) -> Outcome {
    // Rejecting is not contact, so it stays possible after an objection.
    state.accepts_personal_data()?;
    let message = state.known(c.message_id)?;
    if !matches!(message.status, MessageStatus::Drafted | MessageStatus::AwaitingApproval | MessageStatus::Approved) {
        return Err(LeadState::wrong_state(c.message_id, message, name));
    }
    check_approval_decision(&c.decision, &c.by, "rejected")?;
    Ok(vec![LeadEvent::MessageRejected {
        message_id: c.message_id,
        by: c.by,
        reason: c.reason,
        decision: c.decision,
        at: c.at,
    }])
}

/// An approval or rejection records an `Approval` decision made by the command's actor. The
/// engine is not checked: it is `Human` today, an approval policy may decide later.
fn check_approval_decision(decision: &Decision, by: &Actor, expected: &'static str) -> Result<(), LeadError> {
    decision.validate(DecisionKind::Approval)?;
    if decision.decided_by != *by {
        return Err(LeadError::DecisionActorMismatch { by: by.clone(), decided_by: decision.decided_by.clone() });
    }
    if decision.output != expected {
        return Err(LeadError::DecisionOutputMismatch { expected, actual: decision.output.clone() });
    }
    Ok(())
}

/// The lead's half of a send reservation.
pub(crate) fn schedule(
    state: &LeadState,
    message_id: Uuid,
    account_id: Uuid,
    reservation_id: Uuid,
    action_type: ActionType,
    at: DateTime<Utc>,
) -> Outcome {
    state.accepts_outreach(RESERVE_SEND)?;
    let allocated = state.allocated_account.ok_or(LeadError::NotAllocated)?;
    if allocated != account_id {
        return Err(LeadError::WrongAccount { allocated, requested: account_id });
    }
    let message = state.known(message_id)?;
    state.follow_up_allowed(message.step)?;
    let carries = matches!(
        (message.channel, action_type),
        (Channel::Email, ActionType::Email)
            | (Channel::LinkedIn, ActionType::ConnectionInvitation | ActionType::Message)
    );
    if !carries {
        return Err(LeadError::ActionMismatch { channel: message.channel, action: action_type });
    }
    match message.status {
        MessageStatus::Scheduled => return Err(LeadError::AlreadyScheduled(message_id)),
        MessageStatus::Rejected => return Err(LeadError::DraftRejected(message_id)),
        MessageStatus::AwaitingApproval => return Err(LeadError::ApprovalRequired(message_id)),
        MessageStatus::Drafted if message.requires_approval && !message.approved => {
            return Err(LeadError::ApprovalRequired(message_id));
        }
        MessageStatus::Drafted | MessageStatus::Approved | MessageStatus::Failed(FailureKind::Transient) => {}
        MessageStatus::Sent | MessageStatus::Failed(FailureKind::Permanent) => {
            return Err(LeadState::wrong_state(message_id, message, RESERVE_SEND));
        }
    }
    Ok(vec![LeadEvent::MessageScheduled { message_id, account_id, reservation_id, action_type, at }])
}

pub(super) fn record_sent(state: &LeadState, c: RecordSent) -> Outcome {
    let message = state.check_send(c.message_id)?;
    let slot = message.slot.ok_or(LeadError::NotScheduled(c.message_id))?;
    Ok(vec![LeadEvent::MessageSent {
        message_id: c.message_id,
        account_id: slot.account_id,
        channel: message.channel,
        provider_message_id: c.provider_message_id,
        at: c.at,
    }])
}

pub(super) fn record_send_failed(state: &LeadState, c: RecordSendFailed) -> Outcome {
    // A failure report carries no personal data and must be recordable in any state.
    state.discovered()?;
    let message = state.known(c.message_id)?;
    if message.status != MessageStatus::Scheduled {
        return Err(LeadError::NotScheduled(c.message_id));
    }
    Ok(vec![LeadEvent::MessageSendFailed {
        message_id: c.message_id,
        kind: c.kind,
        attempt: message.failures + 1,
        reason: c.reason,
        at: c.at,
    }])
}

pub(super) fn record_response(state: &LeadState, c: RecordResponse) -> Outcome {
    state.accepts_personal_data()?;
    if state.responses.contains_key(&c.response_id) {
        return Err(LeadError::DuplicateResponse(c.response_id));
    }
    if let Some(message_id) = c.message_id {
        state.known(message_id)?;
    }
    Ok(vec![LeadEvent::ResponseReceived {
        response_id: c.response_id,
        message_id: c.message_id,
        text: c.text,
        at: c.at,
    }])
}

pub(super) fn analyze_response(state: &LeadState, c: AnalyzeResponse) -> Outcome {
    state.accepts_personal_data()?;
    if !state.responses.contains_key(&c.response_id) {
        return Err(LeadError::UnknownResponse(c.response_id));
    }
    c.decision.validate(DecisionKind::ReplyAnalysis)?;
    Ok(vec![LeadEvent::ResponseAnalyzed {
        response_id: c.response_id,
        sentiment: c.sentiment,
        intent: c.intent,
        decision: c.decision,
        at: c.at,
    }])
}

pub(super) fn schedule_follow_up(state: &LeadState, c: ScheduleFollowUp, name: &'static str) -> Outcome {
    state.accepts_outreach(name)?;
    if state.has_replied() {
        return Err(LeadError::AlreadyResponded);
    }
    if state.status != ContactStatus::Sent {
        return Err(state.invalid(name));
    }
    let expected = state.follow_ups_scheduled + 1;
    if c.step != expected {
        return Err(LeadError::FollowUpOutOfOrder { expected, got: c.step });
    }
    Ok(vec![LeadEvent::FollowUpScheduled { step: c.step, due_at: c.due_at, at: c.at }])
}
