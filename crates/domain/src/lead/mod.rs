//! The Lead aggregate: one stream per person, from discovery to a closed deal or an
//! objection. It is where the compliance rules bite: an opt-out blocks all outreach forever,
//! erasure stops new personal data, and unapproved drafts never reach anyone.

mod command;
mod error;
mod event;
mod handle;
mod messaging;
mod state;
mod types;

#[cfg(test)]
mod tests;

pub use command::{
    AddNote, AllocateLead, AnalyzeResponse, ApproveMessage, ClassifyLead, CloseLead, DiscoverLead, DraftMessage,
    EnrichLead, ErasePersonalData, LeadCommand, OptOut, QualifyLead, ReassignLead, RecordResponse, RecordSendFailed,
    RecordSent, RejectMessage, RequestApproval, ScheduleFollowUp, ScoreLead,
};
pub use error::LeadError;
pub use event::LeadEvent;
pub(crate) use messaging::schedule;
pub use state::{LeadState, MessageRecord, MessageStatus, OptOutRecord, Person, ResponseRecord, Slot};
pub use types::{
    add_business_days, CloseOutcome, ContactStatus, Fact, FailureKind, Intent, LeadClass, LeadSource, OptOutSource,
    Sentiment, Step, OPT_OUT_BUSINESS_DAYS,
};

/// The Lead aggregate type.
#[derive(Debug, Clone, Copy)]
pub struct Lead;

impl esrs::Aggregate for Lead {
    const NAME: &'static str = "lead";
    type State = LeadState;
    type Command = LeadCommand;
    type Event = LeadEvent;
    type Error = LeadError;

    fn handle_command(state: &LeadState, command: LeadCommand) -> Result<Vec<LeadEvent>, LeadError> {
        handle::handle(state, command)
    }

    fn apply_event(state: LeadState, payload: LeadEvent) -> LeadState {
        state.apply(payload)
    }
}
