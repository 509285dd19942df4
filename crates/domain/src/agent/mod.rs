//! The Agent aggregate: one stream per autonomous agent (Sales Manager, Lead Finder, Outreach)
//! for what it reports about its own work: errors, the daily report, performance alerts. The
//! stream id is [`agent_stream_id`] of the agent's name, so every process finds the same one.

mod command;
mod error;
mod event;
mod state;

#[cfg(test)]
mod tests;

pub use command::{AgentCommand, PublishDailyReport, RaiseAlert, RaiseError, RequestRetry};
pub use error::AgentError;
pub use event::{AgentEvent, AlertKind, ErrorKind};
pub use state::AgentState;

use uuid::Uuid;

/// The Agent aggregate type.
#[derive(Debug, Clone, Copy)]
pub struct Agent;

/// The most characters of an error's context or an alert's detail: codes and ids, not dumps.
pub const MAX_CONTEXT_CHARS: usize = 1_000;

/// The most characters of a daily report.
pub const MAX_REPORT_CHARS: usize = 64_000;

/// The most characters of a command name.
const MAX_COMMAND_CHARS: usize = 100;

/// Namespace of agent stream ids (UUID v5 of the agent's name in it).
const AGENT_NAMESPACE: Uuid = Uuid::from_u128(0x5b1c_6f0e_2a4d_4c8e_9f3a_7d21_e0c4_a9b7);

/// The agents that have a stream, by name (their actor ids).
pub const AGENT_NAMES: [&str; 3] = ["lead_finder", "sales_manager", "outreach"];

/// The stream id of the agent called `name` (e.g. `outreach`): stable across processes.
pub fn agent_stream_id(name: &str) -> Uuid {
    Uuid::new_v5(&AGENT_NAMESPACE, name.as_bytes())
}

/// The event whose handling failed, as an error's context names it (`event=<uuid>`, the way
/// the agents' runtime writes it), if it does.
pub fn context_event(context: &str) -> Option<Uuid> {
    context.split_whitespace().find_map(|part| part.strip_prefix("event=")).and_then(|id| id.parse().ok())
}

/// The name of the agent whose stream is `stream_id`, if it is one of [`AGENT_NAMES`].
pub fn agent_of_stream(stream_id: Uuid) -> Option<&'static str> {
    AGENT_NAMES.into_iter().find(|name| agent_stream_id(name) == stream_id)
}

type Outcome = Result<Vec<AgentEvent>, AgentError>;

impl esrs::Aggregate for Agent {
    const NAME: &'static str = "agent";
    type State = AgentState;
    type Command = AgentCommand;
    type Event = AgentEvent;
    type Error = AgentError;

    fn handle_command(state: &AgentState, command: AgentCommand) -> Outcome {
        match command {
            AgentCommand::RaiseError(c) => raise_error(c),
            AgentCommand::PublishDailyReport(c) => publish_report(state, c),
            AgentCommand::RaiseAlert(c) => raise_alert(c),
            AgentCommand::RequestRetry(c) => request_retry(state, c),
        }
    }

    fn apply_event(state: AgentState, payload: AgentEvent) -> AgentState {
        state.apply(payload)
    }
}

fn text(field: &'static str, value: &str, max: usize) -> Result<(), AgentError> {
    if value.trim().is_empty() {
        return Err(AgentError::Blank { field });
    }
    if value.chars().count() > max {
        return Err(AgentError::TooLong { field, max });
    }
    Ok(())
}

fn raise_error(c: RaiseError) -> Outcome {
    text("context", &c.context, MAX_CONTEXT_CHARS)?;
    if let Some(command) = &c.command {
        text("command", command, MAX_COMMAND_CHARS)?;
    }
    Ok(vec![AgentEvent::AgentErrorRaised { kind: c.kind, context: c.context, command: c.command, at: c.at }])
}

fn publish_report(state: &AgentState, c: PublishDailyReport) -> Outcome {
    let today = c.at.date_naive();
    if c.day > today {
        return Err(AgentError::ReportDayInFuture { day: c.day, today });
    }
    if state.has_report(c.day) {
        return Err(AgentError::ReportAlreadyPublished(c.day));
    }
    text("report_markdown", &c.report_markdown, MAX_REPORT_CHARS)?;
    Ok(vec![AgentEvent::DailyReportPublished { day: c.day, report_markdown: c.report_markdown, at: c.at }])
}

fn raise_alert(c: RaiseAlert) -> Outcome {
    text("detail", &c.detail, MAX_CONTEXT_CHARS)?;
    Ok(vec![AgentEvent::PerformanceAlertRaised { alert: c.alert, detail: c.detail, at: c.at }])
}

fn request_retry(state: &AgentState, c: RequestRetry) -> Outcome {
    if state.retry_requested(c.error_event_id) {
        return Err(AgentError::RetryAlreadyRequested(c.error_event_id));
    }
    text("requested_by", &c.requested_by, MAX_COMMAND_CHARS)?;
    Ok(vec![AgentEvent::AgentErrorRetryRequested {
        error_event_id: c.error_event_id,
        requested_by: c.requested_by,
        at: c.at,
    }])
}
