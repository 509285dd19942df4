//! Reads of the aggregate read models for analysts and agents: the funnel per campaign and day,
//! what each template earns, and what each actor did. None of them holds personal data.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// `numerator / denominator`, or `None` when nothing was in the denominator: a rate of 0 would
/// claim something failed that was never tried.
pub fn rate(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The funnel's counters, as in `read.pipeline_daily`: events counted per stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct Funnel {
    pub discovered: i64,
    pub classified: i64,
    pub allocated: i64,
    pub drafted: i64,
    pub sent: i64,
    pub responded: i64,
    pub positive: i64,
    pub qualified: i64,
    pub closed: i64,
    pub opted_out: i64,
}

impl Funnel {
    /// Replies per message sent.
    pub fn reply_rate(&self) -> Option<f64> {
        rate(self.responded, self.sent)
    }

    /// Replies analysed as positive per message sent.
    pub fn positive_rate(&self) -> Option<f64> {
        rate(self.positive, self.sent)
    }

    /// The sum of `days`' counters.
    pub fn total<'a>(days: impl IntoIterator<Item = &'a Self>) -> Self {
        days.into_iter().fold(Self::default(), |t, d| Self {
            discovered: t.discovered + d.discovered,
            classified: t.classified + d.classified,
            allocated: t.allocated + d.allocated,
            drafted: t.drafted + d.drafted,
            sent: t.sent + d.sent,
            responded: t.responded + d.responded,
            positive: t.positive + d.positive,
            qualified: t.qualified + d.qualified,
            closed: t.closed + d.closed,
            opted_out: t.opted_out + d.opted_out,
        })
    }
}

/// One day of a campaign's funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct PipelineDay {
    pub day: NaiveDate,
    #[sqlx(flatten)]
    pub funnel: Funnel,
}

/// A campaign's funnel for every day from `from` to `to` (both included, in order), with zeros
/// on days nothing happened, so charts need no gap filling.
pub async fn pipeline(
    pool: &PgPool,
    campaign_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PipelineDay>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.day::date AS day,
                coalesce(p.discovered, 0) AS discovered, coalesce(p.classified, 0) AS classified,
                coalesce(p.allocated, 0) AS allocated, coalesce(p.drafted, 0) AS drafted,
                coalesce(p.sent, 0) AS sent, coalesce(p.responded, 0) AS responded,
                coalesce(p.positive, 0) AS positive, coalesce(p.qualified, 0) AS qualified,
                coalesce(p.closed, 0) AS closed, coalesce(p.opted_out, 0) AS opted_out
         FROM generate_series($2::date, $3::date, INTERVAL '1 day') AS d(day)
         LEFT JOIN read.pipeline_daily p ON p.campaign_id = $1 AND p.day = d.day::date
         ORDER BY d.day",
    )
    .bind(campaign_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// A row of `read.template_performance`.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TemplatePerformanceRow {
    pub campaign_id: Uuid,
    pub template_id: String,
    /// The lead's classification when the message was sent, or `Unclassified`.
    pub segment: String,
    pub sent: i64,
    pub replies: i64,
    pub positive: i64,
    pub negative: i64,
    pub opt_outs: i64,
}

impl TemplatePerformanceRow {
    /// Replies per message sent.
    pub fn reply_rate(&self) -> Option<f64> {
        rate(self.replies, self.sent)
    }

    /// Positive replies per message sent.
    pub fn positive_rate(&self) -> Option<f64> {
        rate(self.positive, self.sent)
    }
}

/// Template performance, optionally of one campaign and one segment, by campaign, template
/// and segment.
pub async fn template_performance(
    pool: &PgPool,
    campaign_id: Option<Uuid>,
    segment: Option<&str>,
) -> Result<Vec<TemplatePerformanceRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT campaign_id, template_id, segment, sent, replies, positive, negative, opt_outs
         FROM read.template_performance
         WHERE ($1::uuid IS NULL OR campaign_id = $1) AND ($2::text IS NULL OR segment = $2)
         ORDER BY campaign_id, template_id, segment",
    )
    .bind(campaign_id)
    .bind(segment)
    .fetch_all(pool)
    .await
}

/// A row of `read.agent_activity`. The error context is written by agents for operators and
/// holds no personal data (see the `AgentErrorRaised` event).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AgentActivityRow {
    /// `agent`, `person` or `system`.
    pub actor_kind: String,
    pub actor_id: String,
    pub commands: i64,
    pub events: i64,
    pub rejections: i64,
    pub errors: i64,
    pub last_error_kind: Option<String>,
    pub last_error_command: Option<String>,
    pub last_error_context: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_seen: DateTime<Utc>,
}

/// Every actor's activity, by kind and id.
pub async fn agent_activity(pool: &PgPool) -> Result<Vec<AgentActivityRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT actor_kind, actor_id, commands, events, rejections, errors, last_error_kind, last_error_command,
                last_error_context, last_error_at, last_seen
         FROM read.agent_activity ORDER BY actor_kind, actor_id",
    )
    .fetch_all(pool)
    .await
}

/// An error an agent raised and no operator has asked to retry yet: one of its dead letters
/// (`read.agent_errors`). The context holds codes and ids only.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OpenAgentErrorRow {
    /// The `AgentErrorRaised` event: what `retryAgentError` takes.
    pub error_event_id: Uuid,
    /// `lead_finder`, `sales_manager` or `outreach`.
    pub agent: String,
    pub kind: String,
    pub command: Option<String>,
    pub context: String,
    /// The event whose handling failed, when the context names it.
    pub triggering_event_id: Option<Uuid>,
    pub raised_at: DateTime<Utc>,
}

/// Every agent's open errors, oldest first.
pub async fn open_agent_errors(pool: &PgPool) -> Result<Vec<OpenAgentErrorRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT error_event_id, agent, kind, command, context, triggering_event_id, raised_at
         FROM read.agent_errors WHERE retry_requested_at IS NULL ORDER BY agent, global_position",
    )
    .fetch_all(pool)
    .await
}
