//! `leadChanged(id)`: each event of one lead, with the lead's row once the `leads` read model
//! has applied it.

use async_graphql::{Context, SimpleObject, Subscription, ID};
use chrono::{DateTime, Utc};
use futures::{stream, Stream};
use reachspark_projections::queries;
use reachspark_store::{RecordedEvent, Store};
use uuid::Uuid;

use super::{applied_through, hub};
use crate::auth::Permission;
use crate::graphql::leads::{allowed, parse_id, store, Lead};
use crate::graphql::ApiError;
use crate::hub::{Follower, Route};

/// One event of a lead and the lead as it stands after it.
#[derive(SimpleObject)]
pub(in crate::graphql) struct LeadChange {
    /// The event's cursor (`TRANSACTION:POSITION`).
    cursor: String,
    /// The event's global position.
    position: i64,
    event_type: String,
    /// The lead's version after this event.
    version: i64,
    recorded_at: DateTime<Utc>,
    /// The lead as the `leads` read model holds it once it has applied this event: its
    /// `version` is this event's or a later one's, never an older one. Null when the read
    /// model has no row for the lead.
    lead: Option<Lead>,
}

#[derive(Default, Debug)]
pub(super) struct LeadSubscription;

#[Subscription]
impl LeadSubscription {
    /// Every event of lead `id` from now on, each with the lead's read-model row after it.
    /// Events the read model applied together show the same (latest) row.
    async fn lead_changed(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LeadChange>>> {
        let viewer = allowed(ctx, Permission::ReadLeads)?;
        let pii = viewer.allows(Permission::ReadPersonalData);
        let lead_id = parse_id("id", &id)?;
        let store = store(ctx)?.clone();
        let follower = Follower::new(hub(ctx)?, Route::Stream(lead_id), None).await.map_err(ApiError::from)?;
        Ok(stream::unfold(Some((follower, store)), move |state| async move {
            let (mut follower, store) = state?;
            let next = async {
                let event = follower.next().await?;
                change(&store, lead_id, &event, pii).await
            };
            match next.await {
                Ok(change) => Some((Ok(change), Some((follower, store)))),
                Err(err) => Some((Err(err.into()), None)),
            }
        }))
    }
}

async fn change(store: &Store, lead_id: Uuid, event: &RecordedEvent, pii: bool) -> Result<LeadChange, ApiError> {
    applied_through(store, "leads", event.position()).await?;
    let row = queries::lead(store.pool(), lead_id).await?;
    Ok(LeadChange {
        cursor: event.position().to_string(),
        position: event.global_position,
        event_type: event.event_type.clone(),
        version: event.stream_version,
        recorded_at: event.recorded_at,
        lead: row.map(|row| Lead::new(row, pii)),
    })
}
