//! `pipelineChanged(campaign)`: a campaign's funnel totals, sent when they change.

use async_graphql::{Context, SimpleObject, Subscription, ID};
use futures::{stream, Stream};
use reachspark_projections::live;
use reachspark_projections::queries::analytics::Funnel;
use reachspark_store::{Position, Store};
use uuid::Uuid;

use super::{applied_through, hub};
use crate::auth::Permission;
use crate::graphql::leads::{allowed, parse_id, store};
use crate::graphql::ApiError;
use crate::hub::{Follower, Route};

/// A campaign's funnel over all days (`read.pipeline_daily` summed): events counted per stage.
#[derive(SimpleObject)]
pub(in crate::graphql) struct PipelineCounts {
    campaign_id: ID,
    /// The counts include every event up to this cursor (`TRANSACTION:POSITION`), and
    /// possibly a few after it.
    cursor: String,
    discovered: i64,
    classified: i64,
    allocated: i64,
    drafted: i64,
    sent: i64,
    responded: i64,
    /// Replies analysed as positive.
    positive: i64,
    qualified: i64,
    closed: i64,
    opted_out: i64,
}

impl PipelineCounts {
    fn new(campaign: Uuid, through: Position, t: Funnel) -> Self {
        Self {
            campaign_id: ID(campaign.to_string()),
            cursor: through.to_string(),
            discovered: t.discovered,
            classified: t.classified,
            allocated: t.allocated,
            drafted: t.drafted,
            sent: t.sent,
            responded: t.responded,
            positive: t.positive,
            qualified: t.qualified,
            closed: t.closed,
            opted_out: t.opted_out,
        }
    }
}

#[derive(Default, Debug)]
pub(super) struct PipelineSubscription;

struct Watch {
    follower: Follower,
    store: Store,
    campaign: Uuid,
    last: Option<Funnel>,
}

#[Subscription]
impl PipelineSubscription {
    /// The funnel of `campaign` now, then again each time it changes. Lead events that the
    /// read model applies together give one update.
    async fn pipeline_changed(
        &self,
        ctx: &Context<'_>,
        campaign: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<PipelineCounts>>> {
        allowed(ctx, Permission::ReadAnalytics)?;
        let campaign = parse_id("campaign", &campaign)?;
        let store = store(ctx)?.clone();
        let follower = Follower::new(hub(ctx)?, Route::All, None).await.map_err(ApiError::from)?;
        let watch = Watch { follower, store, campaign, last: None };
        Ok(stream::unfold(Some(watch), |watch| async move {
            let mut watch = watch?;
            match next_counts(&mut watch).await {
                Ok(counts) => Some((Ok(counts), Some(watch))),
                Err(err) => Some((Err(err.into()), None)),
            }
        }))
    }
}

/// The next totals that differ from the last ones sent (the first call: the current ones).
async fn next_counts(watch: &mut Watch) -> Result<PipelineCounts, ApiError> {
    loop {
        let through = if watch.last.is_none() {
            watch.follower.position()
        } else {
            let event = watch.follower.next().await?;
            if event.stream_type != "lead" {
                continue;
            }
            // Whatever else is already here is covered by the same look at the read model.
            let mut through = event.position();
            while let Some(more) = watch.follower.try_next() {
                through = more.position();
            }
            through
        };
        applied_through(&watch.store, "pipeline_daily", through).await?;
        let totals = live::campaign_funnel(watch.store.pool(), watch.campaign).await?;
        if watch.last != Some(totals) {
            watch.last = Some(totals);
            return Ok(PipelineCounts::new(watch.campaign, through, totals));
        }
    }
}
