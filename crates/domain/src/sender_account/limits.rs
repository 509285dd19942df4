//! A sender account's budgets. LinkedIn publishes no numbers; the defaults are the ones
//! sales-engagement tools use (DOMAIN.md, "Sending limits"). New accounts ramp up, because a
//! fresh account that sends at full volume on day one is what platforms flag.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::action::ActionType;
use super::error::SenderAccountError;

/// Budgets of one sender account. Days are UTC calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendingLimits {
    /// Connection invitations per day.
    pub daily_invitations: u32,
    /// Messages to existing connections per day.
    pub daily_messages: u32,
    /// Profile views per day.
    pub daily_profile_views: u32,
    /// Emails per day.
    pub daily_emails: u32,
    /// Invitations in any sliding 7-day window.
    pub weekly_invitations: u32,
    /// All contact actions per day (profile views excluded).
    pub daily_total: u32,
    /// The least time between two contact actions; the scheduler adds its random gap on top.
    pub min_spacing_seconds: u32,
    /// Days over which daily budgets grow to full size; 0 disables ramp-up.
    pub ramp_up_days: u32,
    /// Share of each daily budget on the first day, in percent (1..=100).
    pub ramp_up_start_percent: u32,
}

impl Default for SendingLimits {
    fn default() -> Self {
        Self::linkedin()
    }
}

impl SendingLimits {
    /// A LinkedIn account: about 45 actions a day, 5 minutes apart at least.
    pub fn linkedin() -> Self {
        Self {
            daily_invitations: 20,
            daily_messages: 45,
            daily_profile_views: 80,
            daily_emails: 0,
            weekly_invitations: 100,
            daily_total: 45,
            min_spacing_seconds: 5 * 60,
            ramp_up_days: 21,
            ramp_up_start_percent: 25,
        }
    }

    /// A mailbox: providers cap around 350 a day; a minute apart fits that into a working day.
    pub fn email() -> Self {
        Self {
            daily_invitations: 0,
            daily_messages: 0,
            daily_profile_views: 0,
            daily_emails: 350,
            weekly_invitations: 0,
            daily_total: 350,
            min_spacing_seconds: 60,
            ramp_up_days: 21,
            ramp_up_start_percent: 25,
        }
    }

    /// The full-size daily budget of an action.
    pub fn daily(&self, action: ActionType) -> u32 {
        match action {
            ActionType::ConnectionInvitation => self.daily_invitations,
            ActionType::Message => self.daily_messages,
            ActionType::ProfileView => self.daily_profile_views,
            ActionType::Email => self.daily_emails,
        }
    }

    /// The least time between two contact actions.
    pub fn min_spacing(&self) -> Duration {
        Duration::seconds(i64::from(self.min_spacing_seconds))
    }

    /// `limit` on day `day` since registration (day 0 is the registration day): grows
    /// linearly from the start percentage to the full limit, never below 1 unless the limit
    /// itself is 0 (the action is disabled).
    pub fn ramped(&self, limit: u32, day: i64) -> u32 {
        let days = u64::from(self.ramp_up_days);
        let day = u64::try_from(day).unwrap_or(0);
        if limit == 0 || day >= days {
            return limit;
        }
        let start = u64::from(self.ramp_up_start_percent.min(100));
        let percent = start + (100 - start) * day / days;
        let ramped = u64::from(limit) * percent / 100;
        u32::try_from(ramped).unwrap_or(limit).max(1)
    }

    /// Rejects limits that cannot work.
    pub fn validate(&self) -> Result<(), SenderAccountError> {
        if !(1..=100).contains(&self.ramp_up_start_percent) {
            return Err(SenderAccountError::InvalidLimits {
                reason: "ramp_up_start_percent must be between 1 and 100",
            });
        }
        if self.weekly_invitations < self.daily_invitations {
            return Err(SenderAccountError::InvalidLimits {
                reason: "weekly_invitations must be at least daily_invitations",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_up_grows_linearly_from_a_quarter_to_full() {
        let limits = SendingLimits::linkedin();
        assert_eq!(limits.ramped(20, 0), 5);
        assert_eq!(limits.ramped(20, 7), 10); // 25 + 75 * 7 / 21 = 50 %
        assert_eq!(limits.ramped(20, 20), 19);
        assert_eq!(limits.ramped(20, 21), 20);
        assert_eq!(limits.ramped(20, 400), 20);
        assert_eq!(limits.ramped(20, -3), 5, "slots before registration count as day 0");
    }

    #[test]
    fn ramp_up_never_drops_an_enabled_budget_to_zero() {
        let limits = SendingLimits::linkedin();
        assert_eq!(limits.ramped(2, 0), 1);
        assert_eq!(limits.ramped(0, 0), 0);
        let no_ramp = SendingLimits { ramp_up_days: 0, ..limits };
        assert_eq!(no_ramp.ramped(20, 0), 20);
    }

    #[test]
    fn validation_catches_impossible_limits() {
        assert!(SendingLimits::default().validate().is_ok());
        assert!(SendingLimits::email().validate().is_ok());
        let zero_start = SendingLimits { ramp_up_start_percent: 0, ..SendingLimits::default() };
        assert!(zero_start.validate().is_err());
        let weekly = SendingLimits { weekly_invitations: 5, ..SendingLimits::default() };
        assert!(weekly.validate().is_err());
    }
}
