//! An agent's state: which daily reports are out, and how many errors and alerts it raised.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use uuid::Uuid;

use super::event::{AgentEvent, ErrorKind};

/// The agent as its stream tells it.
#[derive(Debug, Clone, Default)]
pub struct AgentState {
    reports: BTreeSet<NaiveDate>,
    errors: u64,
    rejections: u64,
    alerts: u64,
    retried: BTreeSet<Uuid>,
}

impl AgentState {
    /// Whether the report of `day` was published.
    pub fn has_report(&self, day: NaiveDate) -> bool {
        self.reports.contains(&day)
    }

    /// The days with a published report.
    pub fn report_days(&self) -> &BTreeSet<NaiveDate> {
        &self.reports
    }

    /// Transient and permanent errors raised.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Rejected commands reported.
    pub fn rejections(&self) -> u64 {
        self.rejections
    }

    /// Performance alerts raised.
    pub fn alerts(&self) -> u64 {
        self.alerts
    }

    /// Whether a retry of the error `error_event_id` was requested.
    pub fn retry_requested(&self, error_event_id: Uuid) -> bool {
        self.retried.contains(&error_event_id)
    }

    pub(super) fn apply(mut self, event: AgentEvent) -> Self {
        match event {
            AgentEvent::AgentErrorRaised { kind: ErrorKind::Rejected, .. } => self.rejections += 1,
            AgentEvent::AgentErrorRaised { .. } => self.errors += 1,
            AgentEvent::DailyReportPublished { day, .. } => {
                self.reports.insert(day);
            }
            AgentEvent::PerformanceAlertRaised { .. } => self.alerts += 1,
            AgentEvent::AgentErrorRetryRequested { error_event_id, .. } => {
                self.retried.insert(error_event_id);
            }
        }
        self
    }
}
