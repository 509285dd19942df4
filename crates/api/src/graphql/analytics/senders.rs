//! Sender accounts and their budgets: used today and in the last 7 days against each cap.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use reachspark_projections::queries::senders::{AccountUsage, ActionUsage as ActionRow, SenderAccountRow};

use super::date::Date;
use crate::auth::Permission;
use crate::graphql::leads::allowed;
use crate::graphql::{loaders, ApiError};

/// A sender account (a LinkedIn account or a mailbox) the outreach agent sends from.
pub(crate) struct SenderAccount(pub(crate) SenderAccountRow);

#[Object]
impl SenderAccount {
    async fn id(&self) -> ID {
        ID(self.0.account_id.to_string())
    }
    /// `linkedin` or `email`.
    async fn channel(&self) -> &str {
        &self.0.channel
    }
    async fn provider(&self) -> &str {
        &self.0.provider
    }
    async fn registered_at(&self) -> DateTime<Utc> {
        self.0.registered_at
    }
    /// The budgets now in force (before ramp-up; `usage` shows the ramped caps of a day).
    async fn limits(&self) -> SendingLimits {
        let l = self.0.limits.0;
        SendingLimits {
            daily_invitations: l.daily_invitations,
            daily_messages: l.daily_messages,
            daily_profile_views: l.daily_profile_views,
            daily_emails: l.daily_emails,
            weekly_invitations: l.weekly_invitations,
            daily_total: l.daily_total,
            min_spacing_seconds: l.min_spacing_seconds,
            ramp_up_days: l.ramp_up_days,
            ramp_up_start_percent: l.ramp_up_start_percent,
        }
    }
    /// What it used on `day` (default today, UTC) against its caps. Needs analytics access.
    async fn usage(&self, ctx: &Context<'_>, day: Option<Date>) -> async_graphql::Result<SenderAccountUsage> {
        allowed(ctx, Permission::ReadAnalytics)?;
        let day = day.unwrap_or_else(|| Date::today(ctx));
        let rows = loaders::usage(ctx, self.0.account_id, day.0).await?;
        Ok(SenderAccountUsage::new(&self.0, self.0.usage_on(day.0, &rows).map_err(ApiError::from)?))
    }
}

/// An account's budgets, as registered or last changed.
#[derive(SimpleObject)]
pub(super) struct SendingLimits {
    daily_invitations: u32,
    daily_messages: u32,
    daily_profile_views: u32,
    daily_emails: u32,
    /// Invitations in any 7 days.
    weekly_invitations: u32,
    /// All contact actions a day (profile views excluded).
    daily_total: u32,
    min_spacing_seconds: u32,
    ramp_up_days: u32,
    ramp_up_start_percent: u32,
}

/// One action type's budget on a day.
#[derive(SimpleObject)]
pub(crate) struct ActionUsage {
    /// `connection_invitation`, `message`, `profile_view` or `email`.
    action_type: String,
    used_today: i64,
    /// The daily cap on that day, ramp-up included.
    daily_cap: i64,
    /// Used in the 7 UTC days ending on that day.
    #[graphql(name = "usedLast7Days")]
    used_7d: i64,
    /// The 7-day cap (invitations only).
    weekly_cap: Option<i64>,
    /// How many more fit that day under every cap that applies.
    remaining: i64,
}

/// A sender account's budgets on one day.
#[derive(SimpleObject)]
pub(crate) struct SenderAccountUsage {
    account_id: ID,
    channel: String,
    provider: String,
    day: Date,
    /// Contact actions (all but profile views) used that day.
    contacts_used: i64,
    /// The cap on contact actions that day, ramp-up included.
    daily_total_cap: i64,
    /// One entry per action type of the account's channel.
    actions: Vec<ActionUsage>,
}

impl SenderAccountUsage {
    pub(crate) fn new(account: &SenderAccountRow, usage: AccountUsage) -> Self {
        let action = |a: ActionRow| ActionUsage {
            action_type: a.action_type,
            used_today: a.used_today,
            daily_cap: a.daily_cap,
            used_7d: a.used_7d,
            weekly_cap: a.weekly_cap,
            remaining: a.remaining,
        };
        Self {
            account_id: ID(usage.account_id.to_string()),
            channel: account.channel.clone(),
            provider: account.provider.clone(),
            day: Date(usage.day),
            contacts_used: usage.contacts_used,
            daily_total_cap: usage.daily_total_cap,
            actions: usage.actions.into_iter().map(action).collect(),
        }
    }
}
