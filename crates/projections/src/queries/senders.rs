//! Reads of `read.sender_accounts` and `read.sender_usage`: what each account used on a day and
//! in the 7 days ending on it, against its caps.
//!
//! The caps are the domain's own ([`SenderAccountState::daily_limit`] and friends, ramp-up
//! included) under the account's current limits, so they are what a booking on that day would
//! meet now; the rows of `sender_usage` keep the caps in force when they were written.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use esrs::Aggregate as _;
use reachspark_domain::sender_account::{
    ActionType, Channel, SenderAccount, SenderAccountEvent, SenderAccountState, SendingLimits,
};
use sqlx::types::Json;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

use crate::models::label;

/// Every budgeted action, in the order answers list them.
const ACTIONS: [ActionType; 4] =
    [ActionType::ConnectionInvitation, ActionType::Message, ActionType::ProfileView, ActionType::Email];

/// A row of `read.sender_accounts`: an account's registration and current limits.
#[derive(Debug, Clone, FromRow)]
pub struct SenderAccountRow {
    pub account_id: Uuid,
    /// `linkedin` or `email`.
    pub channel: String,
    pub provider: String,
    pub limits: Json<SendingLimits>,
    pub registered_at: DateTime<Utc>,
}

/// Slots an account used for one action type, as `read.sender_usage` counts them.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UsageRow {
    pub account_id: Uuid,
    pub action_type: String,
    /// On the day asked about.
    pub used_today: i64,
    /// In the 7 calendar days ending on it (as the view `read.sender_usage_weekly` counts).
    pub used_7d: i64,
}

/// One action type's budget on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionUsage {
    /// `connection_invitation`, `message`, `profile_view` or `email`.
    pub action_type: String,
    pub used_today: i64,
    pub daily_cap: i64,
    pub used_7d: i64,
    /// The 7-day cap; invitations only.
    pub weekly_cap: Option<i64>,
    /// How many more fit today under every cap that applies (never negative).
    pub remaining: i64,
}

/// An account's budgets on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUsage {
    pub account_id: Uuid,
    pub day: NaiveDate,
    /// Contact actions (all but profile views) used that day, against `daily_total_cap`.
    pub contacts_used: i64,
    pub daily_total_cap: i64,
    /// The actions of the account's channel.
    pub actions: Vec<ActionUsage>,
}

impl SenderAccountRow {
    fn state(&self) -> Result<SenderAccountState, sqlx::Error> {
        let channel: Channel = serde_json::from_value(serde_json::Value::String(self.channel.clone()))
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let event = SenderAccountEvent::SenderAccountRegistered {
            channel,
            provider: self.provider.clone(),
            limits: self.limits.0,
            registered_at: self.registered_at,
        };
        Ok(SenderAccount::apply_event(SenderAccountState::default(), event))
    }

    /// This account's budgets on `day`, given `usage` (rows of any accounts; others are ignored).
    pub fn usage_on(&self, day: NaiveDate, usage: &[UsageRow]) -> Result<AccountUsage, sqlx::Error> {
        let state = self.state()?;
        let at = day.and_time(NaiveTime::MIN).and_utc();
        let used = |action: ActionType| {
            let name = label(&action);
            usage
                .iter()
                .find(|u| u.account_id == self.account_id && u.action_type == name)
                .map_or((0, 0), |u| (u.used_today, u.used_7d))
        };
        let contacts_used: i64 = ACTIONS.iter().filter(|a| a.is_contact()).map(|a| used(*a).0).sum();
        let daily_total_cap = i64::from(state.total_limit(at));
        let channel = state.registration().map(|r| r.channel);
        let actions = ACTIONS
            .iter()
            .filter(|a| Some(a.channel()) == channel)
            .map(|&action| {
                let (used_today, used_7d) = used(action);
                let daily_cap = i64::from(state.daily_limit(action, at));
                let weekly_cap =
                    (action == ActionType::ConnectionInvitation).then(|| i64::from(self.limits.0.weekly_invitations));
                let mut remaining = daily_cap - used_today;
                if action.is_contact() {
                    remaining = remaining.min(daily_total_cap - contacts_used);
                }
                if let Some(cap) = weekly_cap {
                    remaining = remaining.min(cap - used_7d);
                }
                ActionUsage {
                    action_type: label(&action),
                    used_today,
                    daily_cap,
                    used_7d,
                    weekly_cap,
                    remaining: remaining.max(0),
                }
            })
            .collect();
        Ok(AccountUsage { account_id: self.account_id, day, contacts_used, daily_total_cap, actions })
    }
}

/// The accounts with these ids (all of them with `None`), by id.
pub async fn sender_accounts(pool: &PgPool, ids: Option<&[Uuid]>) -> Result<Vec<SenderAccountRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT account_id, channel, provider, limits, registered_at FROM read.sender_accounts
         WHERE $1::uuid[] IS NULL OR account_id = ANY($1) ORDER BY account_id",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// What the accounts used per action type on `day` and in the 7 days ending on it; action
/// types they did not use in that week have no row.
pub async fn sender_usage(pool: &PgPool, account_ids: &[Uuid], day: NaiveDate) -> Result<Vec<UsageRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT account_id, action_type,
                coalesce(sum(used) FILTER (WHERE day = $2), 0)::bigint AS used_today,
                sum(used)::bigint AS used_7d
         FROM read.sender_usage
         WHERE account_id = ANY($1) AND day BETWEEN $2 - 6 AND $2
         GROUP BY account_id, action_type",
    )
    .bind(account_ids)
    .bind(day)
    .fetch_all(pool)
    .await
}
