//! What may be asked of an agent's stream. Time comes in with the command.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::event::{AlertKind, ErrorKind};

crate::commands! {
    /// A command to the Agent aggregate; build one from its struct with `.into()`.
    enum AgentCommand;

    /// Record an error; `context` holds codes and ids, no personal data.
    RaiseError { kind: ErrorKind, context: String, command: Option<String>, at: DateTime<Utc> }
    /// Publish the report of `day`; once per day.
    PublishDailyReport { day: NaiveDate, report_markdown: String, at: DateTime<Utc> }
    /// Ask a person to look at a change in performance.
    RaiseAlert { alert: AlertKind, detail: String, at: DateTime<Utc> }
    /// An operator asks the agent to try again the item behind one of its errors. The caller
    /// has checked that `error_event_id` is an `AgentErrorRaised` of this agent's stream.
    RequestRetry { error_event_id: Uuid, requested_by: String, at: DateTime<Utc> }
}
