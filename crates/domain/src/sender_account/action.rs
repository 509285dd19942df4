//! Channels and the actions a sender account spends its budgets on.

use serde::{Deserialize, Serialize};

/// The channel a message travels on; a sender account works on exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    /// A LinkedIn account.
    #[serde(rename = "linkedin")]
    LinkedIn,
    /// A mailbox.
    #[serde(rename = "email")]
    Email,
}

/// One budgeted action. Each has its own daily budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionType {
    /// A LinkedIn connection request (with an optional note).
    ConnectionInvitation,
    /// A LinkedIn message to an existing connection.
    Message,
    /// A LinkedIn profile visit.
    ProfileView,
    /// An email.
    Email,
}

impl ActionType {
    /// Every action type.
    pub const ALL: [Self; 4] = [Self::ConnectionInvitation, Self::Message, Self::ProfileView, Self::Email];

    /// The channel the action belongs to.
    pub fn channel(self) -> Channel {
        match self {
            Self::ConnectionInvitation | Self::Message | Self::ProfileView => Channel::LinkedIn,
            Self::Email => Channel::Email,
        }
    }

    /// Profile views are budgeted apart (DOMAIN.md): they count neither toward the total
    /// daily budget nor toward the spacing between actions, so a view can precede an
    /// invitation without eating into the day's 45 contacts.
    pub fn is_contact(self) -> bool {
        !matches!(self, Self::ProfileView)
    }
}
