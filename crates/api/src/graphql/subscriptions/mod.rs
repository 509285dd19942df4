//! Subscriptions: the log as it grows (`events`), one lead (`leadChanged`) and one campaign's
//! funnel (`pipelineChanged`). All three are fed by the server's [`Hub`], never by a poll of
//! the database per subscriber. Over WebSocket only (see `crate::ws`); the connection's
//! `connection_init` token decides what each may see, exactly as for queries.

mod events;
mod lead;
mod pipeline;

use std::time::Duration;

use async_graphql::{Context, MergedSubscription};
use reachspark_projections::live;
use reachspark_store::{Position, Store};

use super::{ApiError, Code};
use crate::hub::Hub;

/// Every subscription, merged from one object per concern.
#[derive(MergedSubscription, Default, Debug)]
pub struct SubscriptionRoot(events::EventSubscription, lead::LeadSubscription, pipeline::PipelineSubscription);

/// The longest pause between two looks at a projection's checkpoint.
const MAX_PAUSE: Duration = Duration::from_millis(250);

fn hub<'a>(ctx: &Context<'a>) -> Result<&'a Hub, ApiError> {
    ctx.data::<Hub>().map_err(|e| ApiError::internal(&e.message))
}

/// Waits until the read model `projection` has applied the log through `position`, so a row
/// read afterwards is never older than the event that triggered the read. A projection that
/// stopped on a failed event ends the wait with an error rather than hanging the subscriber.
async fn applied_through(store: &Store, projection: &str, position: Position) -> Result<(), ApiError> {
    let mut pause = Duration::from_millis(2);
    loop {
        match live::applied(store.pool(), projection).await? {
            Some(applied) if applied.position >= position => return Ok(()),
            Some(applied) if applied.failed => {
                let why = format!("the {projection} read model stopped on a failed event; an operator must resume it");
                return Err(ApiError::new(Code::Internal, why));
            }
            Some(_) => {}
            None => return Err(ApiError::internal(&format!("no checkpoint for the {projection} read model"))),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}
