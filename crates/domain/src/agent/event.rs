//! The agent stream's persisted facts. Variant names are stored: never rename one.
//!
//! Nothing here may carry personal data: these events are never sealed, so they stay readable
//! after an erasure, and reports and alerts are built from aggregates only.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::DomainEvent;

/// How bad an agent's error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Retrying later may help (rate limit, timeout, lost race).
    Transient,
    /// Retrying will not help (bad configuration, a provider refusing for good).
    Permanent,
    /// An aggregate rejected the agent's command: the agent asked for something the rules
    /// forbid (a budget spent, an opted-out lead). Not a failure of the system.
    Rejected,
}

/// What an agent's performance alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Replies fell well below their recent rate.
    ReplyRateDrop,
    /// Errors rose well above their recent rate.
    ErrorSpike,
    /// The sender accounts have no budget left for the day.
    BudgetExhausted,
}

/// Something an agent reported about its own work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AgentEvent {
    /// The agent hit an error.
    AgentErrorRaised {
        kind: ErrorKind,
        /// Command name, error code and ids; never a person's data or a provider's raw text.
        context: String,
        /// The command that failed, by name, when there was one.
        command: Option<String>,
        at: DateTime<Utc>,
    },
    /// The day's report, in Markdown, built from aggregates only.
    DailyReportPublished { day: NaiveDate, report_markdown: String, at: DateTime<Utc> },
    /// Performance moved enough that a person should look.
    PerformanceAlertRaised {
        alert: AlertKind,
        /// The numbers behind the alert (aggregates only).
        detail: String,
        at: DateTime<Utc>,
    },
    /// An operator asked the agent to try again the item behind the error `error_event_id`
    /// (an `AgentErrorRaised` of this stream). The agent retries its dead letter; when that
    /// fails again it raises a new error.
    AgentErrorRetryRequested {
        error_event_id: Uuid,
        /// The operator's login (the token subject), as in the event's metadata.
        requested_by: String,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for AgentEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::AgentErrorRaised { .. } => "AgentErrorRaised",
            Self::DailyReportPublished { .. } => "DailyReportPublished",
            Self::PerformanceAlertRaised { .. } => "PerformanceAlertRaised",
            Self::AgentErrorRetryRequested { .. } => "AgentErrorRetryRequested",
        }
    }
}
