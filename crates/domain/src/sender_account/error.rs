//! Why a sender account command was rejected. Budget rejections name the budget, so the
//! scheduler knows whether to try another action, another account, or a later time.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::action::{ActionType, Channel};

/// A rejected sender account command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum SenderAccountError {
    /// The account was never registered.
    #[error("the sender account is not registered")]
    NotRegistered,
    /// Registration happens once.
    #[error("the sender account is already registered")]
    AlreadyRegistered,
    /// The limits cannot work.
    #[error("invalid sending limits: {reason}")]
    InvalidLimits {
        /// What is wrong.
        reason: &'static str,
    },
    /// The account cannot perform that action.
    #[error("a {channel:?} account cannot perform {action:?}")]
    ChannelMismatch {
        /// The account's channel.
        channel: Channel,
        /// The action asked for.
        action: ActionType,
    },
    /// A reservation id was used twice.
    #[error("reservation {0} already exists")]
    DuplicateReservation(Uuid),
    /// No active reservation with that id.
    #[error("reservation {0} is unknown or already released")]
    UnknownReservation(Uuid),
    /// The day's budget for this action is spent.
    #[error("daily limit of {limit} {action:?} actions reached")]
    DailyLimitReached {
        /// The action.
        action: ActionType,
        /// The day's effective (ramped) limit.
        limit: u32,
    },
    /// The sliding 7-day budget for this action is spent.
    #[error("weekly limit of {limit} {action:?} actions reached")]
    WeeklyLimitReached {
        /// The action.
        action: ActionType,
        /// The 7-day limit.
        limit: u32,
    },
    /// The day's budget for all contact actions is spent.
    #[error("total daily limit of {limit} actions reached")]
    TotalDailyLimitReached {
        /// The day's effective (ramped) limit.
        limit: u32,
    },
    /// Too close to another action.
    #[error("too soon after another action; earliest allowed at {earliest}")]
    TooSoon {
        /// The earliest allowed time at or after the requested one.
        earliest: DateTime<Utc>,
    },
}
