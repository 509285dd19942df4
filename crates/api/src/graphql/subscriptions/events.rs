//! `events(fromPosition, filter)`: the log's history from a position, then live, in one
//! stream with no gap and no duplicate at the seam (see `crate::hub`).

use async_graphql::{Context, Subscription};
use futures::{stream, Stream};
use reachspark_store::Position;

use super::hub;
use crate::auth::Permission;
use crate::graphql::events::{parse_cursor, EventFilter, LogEvent, Matcher};
use crate::graphql::leads::allowed;
use crate::graphql::ApiError;
use crate::hub::{Follower, Route};

#[derive(Default, Debug)]
pub(super) struct EventSubscription;

#[Subscription]
impl EventSubscription {
    /// Every event after `fromPosition` (a `TRANSACTION:POSITION` cursor; the start of the log
    /// when omitted) that matches `filter`, in the log's gap-free order: history first, then
    /// each event as it commits. To resume after a disconnect, pass the last `cursor` received:
    /// nothing is skipped and nothing comes twice. Personal data is masked as in the `events`
    /// query.
    async fn events(
        &self,
        ctx: &Context<'_>,
        from_position: Option<String>,
        filter: Option<EventFilter>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LogEvent>>> {
        let principal = allowed(ctx, Permission::ReadEvents)?;
        let pii = principal.allows(Permission::ReadPersonalData);
        let from = from_position.as_deref().map(|text| parse_cursor("fromPosition", text)).transpose()?;
        let matcher = Matcher::new(filter)?;
        let route = matcher.stream_id().map_or(Route::All, Route::Stream);
        let follower =
            Follower::new(hub(ctx)?, route, Some(from.unwrap_or(Position::START))).await.map_err(ApiError::from)?;
        Ok(stream::unfold(Some((follower, matcher)), move |state| async move {
            let (mut follower, matcher) = state?;
            loop {
                match follower.next().await {
                    Ok(event) if matcher.matches(&event) => {
                        return Some((Ok(LogEvent::new(&event, pii)), Some((follower, matcher))));
                    }
                    Ok(_) => {}
                    Err(err) => return Some((Err(ApiError::from(err).into()), None)),
                }
            }
        }))
    }
}
