//! Deciding lead commands: who the lead is and where it stands. Message commands live in
//! `messaging`. Guards run in a fixed order (exists, erased, opted out, status) so that the
//! strongest reason for a rejection is the one reported.

use super::command::{
    AddNote, AllocateLead, ClassifyLead, CloseLead, DiscoverLead, EnrichLead, ErasePersonalData, LeadCommand, OptOut,
    QualifyLead, ReassignLead, ScoreLead,
};
use super::error::LeadError;
use super::event::LeadEvent;
use super::messaging;
use super::state::{LeadState, Person};
use super::types::{add_business_days, ContactStatus, OPT_OUT_BUSINESS_DAYS};
use crate::decision::DecisionKind;

type Outcome = Result<Vec<LeadEvent>, LeadError>;

pub(super) fn handle(state: &LeadState, command: LeadCommand) -> Outcome {
    use LeadCommand as C;
    let name = command.name();
    match command {
        C::DiscoverLead(c) => discover(state, c),
        C::EnrichLead(c) => enrich(state, c),
        C::ClassifyLead(c) => classify(state, c),
        C::ScoreLead(c) => score(state, c),
        C::AllocateLead(c) => allocate(state, c, name),
        C::ReassignLead(c) => reassign(state, c, name),
        C::DraftMessage(c) => messaging::draft(state, c, name),
        C::RequestApproval(c) => messaging::request_approval(state, c, name),
        C::ApproveMessage(c) => messaging::approve(state, c, name),
        C::RejectMessage(c) => messaging::reject(state, c, name),
        C::RecordSent(c) => messaging::record_sent(state, c),
        C::RecordSendFailed(c) => messaging::record_send_failed(state, c),
        C::RecordResponse(c) => messaging::record_response(state, c),
        C::AnalyzeResponse(c) => messaging::analyze_response(state, c),
        C::ScheduleFollowUp(c) => messaging::schedule_follow_up(state, c, name),
        C::QualifyLead(c) => qualify(state, c, name),
        C::CloseLead(c) => close(state, c, name),
        C::OptOut(c) => opt_out(state, c),
        C::ErasePersonalData(c) => erase(state, c),
        C::AddNote(c) => add_note(state, c),
    }
}

impl LeadState {
    pub(super) fn discovered(&self) -> Result<&Person, LeadError> {
        self.person.as_ref().ok_or(LeadError::NotDiscovered)
    }

    /// For commands that bring new personal data: the lead exists and was not erased.
    pub(super) fn accepts_personal_data(&self) -> Result<&Person, LeadError> {
        let person = self.discovered()?;
        if self.erased {
            return Err(LeadError::Erased);
        }
        Ok(person)
    }

    /// For processing aimed at contacting the person (GDPR Art. 21(3): after an objection the
    /// data is no longer processed for direct marketing).
    pub(super) fn accepts_marketing(&self) -> Result<&Person, LeadError> {
        let person = self.accepts_personal_data()?;
        if self.opt_out.is_some() {
            return Err(LeadError::OptedOut);
        }
        Ok(person)
    }

    /// For outreach: marketing is allowed and the lead is still being worked.
    pub(super) fn accepts_outreach(&self, command: &'static str) -> Result<&Person, LeadError> {
        let person = self.accepts_marketing()?;
        if matches!(self.status, ContactStatus::Qualified | ContactStatus::Closed) {
            return Err(self.invalid(command));
        }
        Ok(person)
    }

    pub(super) fn invalid(&self, command: &'static str) -> LeadError {
        LeadError::InvalidTransition { from: self.status, command }
    }
}

fn discover(state: &LeadState, c: DiscoverLead) -> Outcome {
    // Re-discovery must never undo an objection or bring back erased data.
    if state.erased {
        return Err(LeadError::Erased);
    }
    if state.opt_out.is_some() {
        return Err(LeadError::OptedOut);
    }
    if state.is_discovered() {
        return Err(LeadError::AlreadyDiscovered);
    }
    if c.profile_url.is_none() && c.email.is_none() {
        return Err(LeadError::MissingIdentifier);
    }
    Ok(vec![LeadEvent::LeadDiscovered {
        source: c.source,
        source_ref: c.source_ref,
        campaign_id: c.campaign_id,
        name: c.name,
        profile_url: c.profile_url,
        email: c.email,
        position: c.position,
        company: c.company,
        at: c.at,
    }])
}

fn enrich(state: &LeadState, c: EnrichLead) -> Outcome {
    state.accepts_marketing()?;
    Ok(vec![LeadEvent::LeadEnriched { facts: c.facts, at: c.at }])
}

fn classify(state: &LeadState, c: ClassifyLead) -> Outcome {
    state.accepts_marketing()?;
    c.decision.validate(DecisionKind::Classification)?;
    Ok(vec![LeadEvent::LeadClassified { class: c.class, decision: c.decision, at: c.at }])
}

fn score(state: &LeadState, c: ScoreLead) -> Outcome {
    state.accepts_marketing()?;
    if !(1..=10).contains(&c.score) {
        return Err(LeadError::ScoreOutOfRange(c.score));
    }
    c.decision.validate(DecisionKind::Score)?;
    Ok(vec![LeadEvent::LeadScored { quality_score: c.score, decision: c.decision }])
}

fn allocate(state: &LeadState, c: AllocateLead, name: &'static str) -> Outcome {
    state.accepts_outreach(name)?;
    if let Some(account_id) = state.allocated_account {
        return Err(LeadError::AlreadyAllocated { account_id });
    }
    if state.status != ContactStatus::New {
        return Err(state.invalid(name));
    }
    c.decision.validate(DecisionKind::Allocation)?;
    Ok(vec![LeadEvent::LeadAllocated {
        account_id: c.account_id,
        priority: c.priority,
        decision: c.decision,
        at: c.at,
    }])
}

fn reassign(state: &LeadState, c: ReassignLead, name: &'static str) -> Outcome {
    state.accepts_outreach(name)?;
    let from = state.allocated_account.ok_or(LeadError::NotAllocated)?;
    if from == c.to {
        return Err(LeadError::AlreadyAllocated { account_id: from });
    }
    c.decision.validate(DecisionKind::Allocation)?;
    Ok(vec![LeadEvent::LeadReassigned { from, to: c.to, decision: c.decision, at: c.at }])
}

fn qualify(state: &LeadState, c: QualifyLead, name: &'static str) -> Outcome {
    state.accepts_outreach(name)?;
    Ok(vec![LeadEvent::LeadQualified { by: c.by, note: c.note, at: c.at }])
}

fn close(state: &LeadState, c: CloseLead, name: &'static str) -> Outcome {
    state.discovered()?;
    if matches!(state.status, ContactStatus::Closed | ContactStatus::OptedOut) {
        return Err(state.invalid(name));
    }
    Ok(vec![LeadEvent::LeadClosed { outcome: c.outcome, at: c.at }])
}

fn opt_out(state: &LeadState, c: OptOut) -> Outcome {
    state.discovered()?;
    if state.opt_out.is_some() {
        return Err(LeadError::AlreadyOptedOut);
    }
    let honour_by = add_business_days(c.at, OPT_OUT_BUSINESS_DAYS);
    Ok(vec![LeadEvent::LeadOptedOut { source: c.source, honour_by, at: c.at }])
}

fn erase(state: &LeadState, c: ErasePersonalData) -> Outcome {
    state.discovered()?;
    if state.erased {
        return Err(LeadError::AlreadyErased);
    }
    Ok(vec![LeadEvent::PersonalDataErased { requested_by: c.requested_by, at: c.at }])
}

fn add_note(state: &LeadState, c: AddNote) -> Outcome {
    state.accepts_personal_data()?;
    Ok(vec![LeadEvent::NoteAdded { text: c.text, author: c.author, at: c.at }])
}
