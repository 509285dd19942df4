//! The analytics queries: `pipeline`, `senderUsage`, `agents` and `templatePerformance`, over
//! the aggregate read models. Each needs [`Permission::ReadAnalytics`]; none returns personal
//! data.

mod activity;
mod date;
mod pipeline;
mod senders;

use async_graphql::{Context, Object, ID};
use reachspark_projections::queries::{analytics, senders as sender_queries};

use super::leads::{allowed, parse_id, store};
use super::ApiError;
use crate::auth::Permission;
use activity::{AgentActivity, TemplatePerformance};
pub(crate) use date::Date;
use pipeline::Pipeline;
pub(crate) use senders::{SenderAccount, SenderAccountUsage};

/// The segments `template_performance` counts in.
const SEGMENTS: [&str; 4] = ["Speaker", "Sponsor", "Other", "Unclassified"];

#[derive(Default, Debug)]
pub(super) struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// A campaign's funnel per UTC day from `from` to `to` (both included; default the 30 days
    /// ending today; at most 366 days), with totals and rates over the range.
    async fn pipeline(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        from: Option<Date>,
        to: Option<Date>,
    ) -> async_graphql::Result<Pipeline> {
        allowed(ctx, Permission::ReadAnalytics)?;
        let campaign = parse_id("campaignId", &campaign_id)?;
        let (from, to) = pipeline::range(Date::today(ctx), from, to)?;
        let rows = analytics::pipeline(store(ctx)?.pool(), campaign, from.0, to.0).await.map_err(ApiError::from)?;
        Ok(Pipeline::new(campaign_id, (from, to), rows))
    }

    /// Each sender account's budgets on `day` (default today, UTC): used that day and in the
    /// 7 days ending on it, against the caps, and what remains. All accounts without
    /// `accountId`; an empty list for an unknown one.
    async fn sender_usage(
        &self,
        ctx: &Context<'_>,
        account_id: Option<ID>,
        day: Option<Date>,
    ) -> async_graphql::Result<Vec<SenderAccountUsage>> {
        allowed(ctx, Permission::ReadAnalytics)?;
        let account = account_id.as_ref().map(|id| parse_id("accountId", id)).transpose()?;
        let day = day.unwrap_or_else(|| Date::today(ctx));
        let pool = store(ctx)?.pool();
        let accounts = sender_queries::sender_accounts(pool, account.as_ref().map(std::slice::from_ref))
            .await
            .map_err(ApiError::from)?;
        let ids: Vec<_> = accounts.iter().map(|a| a.account_id).collect();
        let usage = sender_queries::sender_usage(pool, &ids, day.0).await.map_err(ApiError::from)?;
        let answer: Result<Vec<_>, ApiError> = accounts
            .iter()
            .map(|a| Ok(SenderAccountUsage::new(a, a.usage_on(day.0, &usage).map_err(ApiError::from)?)))
            .collect();
        Ok(answer?)
    }

    /// What each actor (agent, person, the system) did: commands, events, rejections, errors,
    /// the last error and when it was last seen; for an agent also its open errors (dead
    /// letters an operator can retry with `retryAgentError`).
    async fn agents(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AgentActivity>> {
        allowed(ctx, Permission::ReadAnalytics)?;
        let pool = store(ctx)?.pool();
        let rows = analytics::agent_activity(pool).await.map_err(ApiError::from)?;
        let mut open = analytics::open_agent_errors(pool).await.map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|row| AgentActivity::new(row, &mut open)).collect())
    }

    /// Sends, replies, sentiment and opt-outs per campaign, template and segment (the lead's
    /// classification when the message was sent), with reply and positive rates.
    async fn template_performance(
        &self,
        ctx: &Context<'_>,
        campaign_id: Option<ID>,
        segment: Option<String>,
    ) -> async_graphql::Result<Vec<TemplatePerformance>> {
        allowed(ctx, Permission::ReadAnalytics)?;
        let campaign = campaign_id.as_ref().map(|id| parse_id("campaignId", id)).transpose()?;
        if segment.as_deref().is_some_and(|s| !SEGMENTS.contains(&s)) {
            return Err(ApiError::validation("segment", "must be Speaker, Sponsor, Other or Unclassified").into());
        }
        let rows = analytics::template_performance(store(ctx)?.pool(), campaign, segment.as_deref())
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(TemplatePerformance::from).collect())
    }
}
