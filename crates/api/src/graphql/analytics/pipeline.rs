//! `pipeline`: a campaign's funnel per day and over a range, with reply and positive rates.

use async_graphql::{Object, SimpleObject, ID};
use chrono::Duration;
use reachspark_projections::queries::analytics::{Funnel, PipelineDay as DayRow};

use super::date::Date;
use crate::graphql::ApiError;

/// The longest range `pipeline` answers, in days: a year, leap day included.
pub(super) const MAX_DAYS: i64 = 366;

/// The range `pipeline` reports on: `to` defaults to today, `from` to 29 days before `to`.
pub(super) fn range(today: Date, from: Option<Date>, to: Option<Date>) -> Result<(Date, Date), ApiError> {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(Date(to.0 - Duration::days(29)));
    if from > to {
        return Err(ApiError::validation("from", "must not be after to"));
    }
    if (to.0 - from.0).num_days() >= MAX_DAYS {
        return Err(ApiError::validation("from", "the range may span at most 366 days"));
    }
    Ok((from, to))
}

/// Funnel counters: events per stage (a lead classified twice counts twice; follow-ups count
/// under `sent`).
pub(super) struct FunnelCounts(Funnel);

#[Object]
impl FunnelCounts {
    async fn discovered(&self) -> i64 {
        self.0.discovered
    }
    async fn classified(&self) -> i64 {
        self.0.classified
    }
    async fn allocated(&self) -> i64 {
        self.0.allocated
    }
    async fn drafted(&self) -> i64 {
        self.0.drafted
    }
    async fn sent(&self) -> i64 {
        self.0.sent
    }
    async fn responded(&self) -> i64 {
        self.0.responded
    }
    /// Replies analysed as positive.
    async fn positive(&self) -> i64 {
        self.0.positive
    }
    async fn qualified(&self) -> i64 {
        self.0.qualified
    }
    async fn closed(&self) -> i64 {
        self.0.closed
    }
    async fn opted_out(&self) -> i64 {
        self.0.opted_out
    }
    /// `responded / sent`; null when nothing was sent.
    async fn reply_rate(&self) -> Option<f64> {
        self.0.reply_rate()
    }
    /// `positive / sent`; null when nothing was sent.
    async fn positive_rate(&self) -> Option<f64> {
        self.0.positive_rate()
    }
}

/// One UTC day of the funnel (by the event's own time).
#[derive(SimpleObject)]
pub(super) struct PipelineDay {
    day: Date,
    counts: FunnelCounts,
}

/// A campaign's funnel from `from` to `to`.
#[derive(SimpleObject)]
pub(super) struct Pipeline {
    campaign_id: ID,
    from: Date,
    to: Date,
    /// Every day of the range, oldest first; zeros on days nothing happened.
    days: Vec<PipelineDay>,
    /// The sums over the range, and the rates over those sums.
    totals: FunnelCounts,
}

impl Pipeline {
    pub(super) fn new(campaign_id: ID, (from, to): (Date, Date), rows: Vec<DayRow>) -> Self {
        let totals = FunnelCounts(Funnel::total(rows.iter().map(|r| &r.funnel)));
        let days = rows.into_iter().map(|r| PipelineDay { day: Date(r.day), counts: FunnelCounts(r.funnel) }).collect();
        Self { campaign_id, from, to, days, totals }
    }
}
