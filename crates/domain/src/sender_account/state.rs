//! A sender account's state and its budget arithmetic. Only active reservations of the last
//! seven days are kept: nothing older can affect a daily or a 7-day budget.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::action::{ActionType, Channel};
use super::error::SenderAccountError;
use super::event::SenderAccountEvent;
use super::limits::SendingLimits;

/// The sliding window of the weekly invitation budget.
fn week() -> Duration {
    Duration::days(7)
}

/// The account as it stands.
#[derive(Debug, Clone, Default)]
pub struct SenderAccountState {
    registration: Option<Registration>,
    reservations: BTreeMap<Uuid, Reservation>,
    latest_slot: Option<DateTime<Utc>>,
}

/// What the account is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub channel: Channel,
    pub provider: String,
    pub limits: SendingLimits,
    pub registered_at: DateTime<Utc>,
}

/// A held slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    pub lead_id: Uuid,
    pub message_id: Option<Uuid>,
    pub action_type: ActionType,
    pub at: DateTime<Utc>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl SenderAccountState {
    pub fn registration(&self) -> Option<&Registration> {
        self.registration.as_ref()
    }

    /// Active reservations of the last seven days (relative to the latest slot).
    pub fn reservations(&self) -> &BTreeMap<Uuid, Reservation> {
        &self.reservations
    }

    /// How many more `action`s fit on `at`'s UTC day, under every budget that applies
    /// (the action's daily budget, the total, and for invitations the 7-day window).
    /// Spacing is not considered: see [`Self::next_allowed_at`].
    pub fn remaining_today(&self, action: ActionType, at: DateTime<Utc>) -> u32 {
        let Some(registration) = &self.registration else { return 0 };
        if action.channel() != registration.channel {
            return 0;
        }
        let day = at.date_naive();
        let own = self.daily_limit(action, at).saturating_sub(self.used_on(day, |a| a == action));
        let total = if action.is_contact() {
            self.total_limit(at).saturating_sub(self.used_on(day, ActionType::is_contact))
        } else {
            u32::MAX
        };
        let weekly = if action == ActionType::ConnectionInvitation {
            registration.limits.weekly_invitations.saturating_sub(self.weekly_peak(at))
        } else {
            u32::MAX
        };
        own.min(total).min(weekly)
    }

    /// The earliest time at or after `at` that keeps the minimum spacing from every held
    /// contact slot, before and after it. Budgets are not considered: see
    /// [`Self::remaining_today`].
    pub fn next_allowed_at(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let Some(registration) = &self.registration else { return at };
        let spacing = registration.limits.min_spacing();
        let mut times: Vec<_> =
            self.reservations.values().filter(|r| r.action_type.is_contact()).map(|r| r.at).collect();
        times.sort_unstable();
        let mut earliest = at;
        for slot in times {
            if slot >= earliest + spacing {
                break;
            }
            if slot + spacing > earliest {
                earliest = slot + spacing;
            }
        }
        earliest
    }

    /// The action's daily budget on `at`'s day, after ramp-up.
    pub fn daily_limit(&self, action: ActionType, at: DateTime<Utc>) -> u32 {
        self.ramp(at, |limits| limits.daily(action))
    }

    /// The total daily budget on `at`'s day, after ramp-up.
    pub fn total_limit(&self, at: DateTime<Utc>) -> u32 {
        self.ramp(at, |limits| limits.daily_total)
    }

    fn ramp(&self, at: DateTime<Utc>, limit: impl FnOnce(&SendingLimits) -> u32) -> u32 {
        self.registration.as_ref().map_or(0, |r| {
            let day = (at.date_naive() - r.registered_at.date_naive()).num_days();
            r.limits.ramped(limit(&r.limits), day)
        })
    }

    fn used_on(&self, day: NaiveDate, counts: impl Fn(ActionType) -> bool) -> u32 {
        count(self.reservations.values().filter(|r| r.at.date_naive() == day && counts(r.action_type)).count())
    }

    /// The most invitations already held in any 7-day window that would also hold a new one
    /// at `at`. Windows ending at `at` or at a later held invitation cover every case.
    fn weekly_peak(&self, at: DateTime<Utc>) -> u32 {
        let times: Vec<_> = self
            .reservations
            .values()
            .filter(|r| r.action_type == ActionType::ConnectionInvitation)
            .map(|r| r.at)
            .collect();
        let ends = std::iter::once(at).chain(times.iter().copied().filter(|t| *t > at && *t < at + week()));
        ends.map(|end| count(times.iter().filter(|t| **t > end - week() && **t <= end).count())).max().unwrap_or(0)
    }

    /// Every budget and the spacing, in the order the scheduler can act on: the action's own
    /// budget, the 7-day window, the total, then time.
    pub(super) fn check_reserve(&self, action: ActionType, at: DateTime<Utc>) -> Result<(), SenderAccountError> {
        let registration = self.registration.as_ref().ok_or(SenderAccountError::NotRegistered)?;
        if action.channel() != registration.channel {
            return Err(SenderAccountError::ChannelMismatch { channel: registration.channel, action });
        }
        let day = at.date_naive();
        let limit = self.daily_limit(action, at);
        if self.used_on(day, |a| a == action) >= limit {
            return Err(SenderAccountError::DailyLimitReached { action, limit });
        }
        if action == ActionType::ConnectionInvitation {
            let limit = registration.limits.weekly_invitations;
            if self.weekly_peak(at) >= limit {
                return Err(SenderAccountError::WeeklyLimitReached { action, limit });
            }
        }
        if action.is_contact() {
            let limit = self.total_limit(at);
            if self.used_on(day, ActionType::is_contact) >= limit {
                return Err(SenderAccountError::TotalDailyLimitReached { limit });
            }
            let earliest = self.next_allowed_at(at);
            if earliest > at {
                return Err(SenderAccountError::TooSoon { earliest });
            }
        }
        Ok(())
    }

    pub(super) fn apply(mut self, event: SenderAccountEvent) -> Self {
        use SenderAccountEvent as E;
        match event {
            E::SenderAccountRegistered { channel, provider, limits, registered_at } => {
                self.registration = Some(Registration { channel, provider, limits, registered_at });
            }
            E::LimitsChanged { limits, .. } => {
                if let Some(registration) = &mut self.registration {
                    registration.limits = limits;
                }
            }
            E::SendSlotReserved { reservation_id, lead_id, message_id, action_type, at } => {
                let latest = self.latest_slot.map_or(at, |latest| latest.max(at));
                self.latest_slot = Some(latest);
                self.reservations.insert(reservation_id, Reservation { lead_id, message_id, action_type, at });
                self.reservations.retain(|_, r| r.at > latest - week());
            }
            E::SendSlotReleased { reservation_id, .. } => {
                self.reservations.remove(&reservation_id);
            }
        }
        self
    }
}
