//! Why a lead command was rejected. Variants carry ids and states, never personal data, so
//! errors can be logged and returned as they are.

use uuid::Uuid;

use super::state::MessageStatus;
use super::types::ContactStatus;
use crate::decision::DecisionError;
use crate::event::Actor;
use crate::sender_account::{ActionType, Channel};

/// A rejected lead command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum LeadError {
    /// The lead has not been discovered yet.
    #[error("the lead has not been discovered")]
    NotDiscovered,
    /// Discovery happens once per person.
    #[error("the lead was already discovered")]
    AlreadyDiscovered,
    /// Neither a profile URL nor an email address was given.
    #[error("a lead needs a profile URL or an email address")]
    MissingIdentifier,
    /// The person objected to contact; nothing may reach them again.
    #[error("the person opted out of all contact")]
    OptedOut,
    /// The objection is already recorded.
    #[error("the person already opted out")]
    AlreadyOptedOut,
    /// The person's data was erased; no new personal data and no contact.
    #[error("the person's data was erased")]
    Erased,
    /// Erasure is already done.
    #[error("the person's data was already erased")]
    AlreadyErased,
    /// The command does not fit the lead's contact status.
    #[error("{command} is not allowed when the lead is {from:?}")]
    InvalidTransition {
        /// The current status.
        from: ContactStatus,
        /// The rejected command.
        command: &'static str,
    },
    /// The attached decision is malformed or of the wrong kind.
    #[error("invalid decision: {0}")]
    InvalidDecision(#[from] DecisionError),
    /// A human decision must be recorded as decided by the actor who issued the command.
    #[error("the decision names {decided_by:?} as its decider, but the command is by {by:?}")]
    DecisionActorMismatch {
        /// The command's actor.
        by: Actor,
        /// The decision's `decided_by`.
        decided_by: Actor,
    },
    /// An approval's decision must say "approved", a rejection's "rejected".
    #[error("the decision's output is {actual:?}, but the command {expected}")]
    DecisionOutputMismatch {
        /// What the command does: "approved" or "rejected".
        expected: &'static str,
        /// The decision's output.
        actual: String,
    },
    /// Scores run from 1 to 10.
    #[error("score {0} is outside 1..=10")]
    ScoreOutOfRange(u8),
    /// One active allocation at a time; reassign instead.
    #[error("the lead is already allocated to account {account_id}")]
    AlreadyAllocated {
        /// The account it is allocated to.
        account_id: Uuid,
    },
    /// The command needs an allocated sender account.
    #[error("the lead is not allocated to a sender account")]
    NotAllocated,
    /// The send was asked of another account than the lead's.
    #[error("the lead is allocated to account {allocated}, not {requested}")]
    WrongAccount {
        /// The lead's account.
        allocated: Uuid,
        /// The account named in the command.
        requested: Uuid,
    },
    /// The lead has no address on that channel.
    #[error("the lead has no address for {channel:?}")]
    MissingAddress {
        /// The channel asked for.
        channel: Channel,
    },
    /// The action type does not carry messages of that channel.
    #[error("a {channel:?} message cannot be sent as {action:?}")]
    ActionMismatch {
        /// The message's channel.
        channel: Channel,
        /// The action asked for.
        action: ActionType,
    },
    /// Machine-written text must name its model and prompt hash.
    #[error("an AI-generated draft must record its model and prompt hash")]
    MissingAiProvenance,
    /// A message id was used twice.
    #[error("message {0} already exists")]
    DuplicateMessage(Uuid),
    /// No such message on this lead.
    #[error("message {0} is unknown")]
    UnknownMessage(Uuid),
    /// The message is not in a state the command accepts.
    #[error("{command} is not allowed for message {message_id} in state {status:?}")]
    InvalidMessageState {
        /// The message.
        message_id: Uuid,
        /// Its state.
        status: MessageStatus,
        /// The rejected command.
        command: &'static str,
    },
    /// The draft needs a person's approval first.
    #[error("message {0} needs approval before it can be sent")]
    ApprovalRequired(Uuid),
    /// A rejected draft is never sent.
    #[error("message {0} was rejected")]
    DraftRejected(Uuid),
    /// The message already holds a send slot.
    #[error("message {0} is already scheduled")]
    AlreadyScheduled(Uuid),
    /// Only a scheduled message can be recorded as sent or failed.
    #[error("message {0} is not scheduled")]
    NotScheduled(Uuid),
    /// Follow-ups stop once the person replied.
    #[error("the person already responded; follow-ups stop")]
    AlreadyResponded,
    /// Follow-up steps are scheduled in order, starting at 1.
    #[error("expected follow-up step {expected}, got {got}")]
    FollowUpOutOfOrder {
        /// The next step.
        expected: u32,
        /// The step given.
        got: u32,
    },
    /// A response id was used twice.
    #[error("response {0} already exists")]
    DuplicateResponse(Uuid),
    /// No such response on this lead.
    #[error("response {0} is unknown")]
    UnknownResponse(Uuid),
}
