//! Why an agent command was rejected.

use chrono::NaiveDate;
use uuid::Uuid;

/// A rejected agent command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum AgentError {
    /// A required text was blank.
    #[error("{field} must not be blank")]
    Blank {
        /// The field.
        field: &'static str,
    },
    /// A text is longer than the field allows (raw provider output does not belong here).
    #[error("{field} is longer than {max} characters")]
    TooLong {
        /// The field.
        field: &'static str,
        /// The most characters allowed.
        max: usize,
    },
    /// The day's report is already out.
    #[error("the report of {0} was already published")]
    ReportAlreadyPublished(NaiveDate),
    /// A day that has not begun has nothing to report.
    #[error("the report of {day} cannot be published on {today}")]
    ReportDayInFuture {
        /// The report's day.
        day: NaiveDate,
        /// The UTC day of publication.
        today: NaiveDate,
    },
    /// A retry of this error was already requested (a failed retry raises a new error).
    #[error("a retry of error {0} was already requested")]
    RetryAlreadyRequested(Uuid),
}
