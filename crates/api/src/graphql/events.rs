//! `events`: the raw log, paged in the gap-free order. Cursors are `TRANSACTION:POSITION`
//! strings; resuming from the last one seen gives no gap and no duplicate.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use reachspark_domain::pii::PII_MARKER;
use reachspark_store::{Position, RecordedEvent};
use serde_json::Value;

use super::leads::{allowed, store};
use super::{ApiError, MAX_PAGE};
use crate::auth::Permission;

/// Which events.
#[derive(InputObject, Default)]
pub(super) struct EventFilter {
    /// Only these stream types (`lead`, `sender_account`, `campaign`, `agent`).
    stream_types: Option<Vec<String>>,
    /// Only these event types (`LeadDiscovered`, ...).
    event_types: Option<Vec<String>>,
    /// Only this stream.
    stream_id: Option<ID>,
}

/// An event of the log.
#[derive(SimpleObject)]
pub(super) struct LogEvent {
    /// Its cursor (`TRANSACTION:POSITION`): pass it as `after` to continue after it.
    cursor: String,
    position: i64,
    event_id: ID,
    stream_type: String,
    stream_id: ID,
    version: i64,
    event_type: String,
    schema_version: i32,
    /// The payload; personal data shows as `{"$pii": "***"}` without the `pii` scope and as
    /// `{"$pii": null}` once erased.
    payload: Value,
    /// Actor, correlation, causation and command ids.
    metadata: Value,
    recorded_at: DateTime<Utc>,
}

/// A page of the log.
#[derive(SimpleObject)]
pub(super) struct EventPage {
    events: Vec<LogEvent>,
    /// The cursor to continue from (the last event's, or `after` when the page is empty).
    end_cursor: String,
}

fn mask(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(inner) = map.get_mut(PII_MARKER) {
                    if !inner.is_null() {
                        *inner = Value::from("***");
                    }
                    return;
                }
            }
            map.values_mut().for_each(mask);
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

fn matches(filter: &EventFilter, event: &RecordedEvent) -> bool {
    filter.stream_types.as_ref().is_none_or(|t| t.contains(&event.stream_type))
        && filter.event_types.as_ref().is_none_or(|t| t.contains(&event.event_type))
        && filter.stream_id.as_ref().is_none_or(|id| **id == event.stream_id.to_string())
}

#[derive(Default, Debug)]
pub(super) struct EventQuery;

#[Object]
impl EventQuery {
    /// Up to `first` events after the cursor `after` (from the start when omitted) that match
    /// `filter`, in the log's gap-free order.
    #[graphql(complexity = "first.unwrap_or(100).clamp(1, 100) as usize * child_complexity")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
        filter: Option<EventFilter>,
    ) -> async_graphql::Result<EventPage> {
        let principal = allowed(ctx, Permission::ReadEvents)?;
        let first = first.unwrap_or(100);
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(ApiError::validation("first", "must be between 1 and 100").into());
        }
        let mut cursor = match after.as_deref() {
            Some(text) => text
                .parse::<Position>()
                .map_err(|_| ApiError::validation("after", "not a TRANSACTION:POSITION cursor"))?,
            None => Position::START,
        };
        let filter = filter.unwrap_or_default();
        let wanted = usize::try_from(first).unwrap_or(100);
        let mut events = Vec::with_capacity(wanted);
        // Filtering happens after reading, so scan on until the page is full or the log ends.
        'scan: loop {
            let batch = store(ctx)?.read_all(cursor, 500).await.map_err(ApiError::from)?;
            if batch.is_empty() {
                break;
            }
            for mut event in batch {
                cursor = event.position();
                if !matches(&filter, &event) {
                    continue;
                }
                if !principal.allows(Permission::ReadPersonalData) {
                    mask(&mut event.payload);
                }
                events.push(LogEvent {
                    cursor: cursor.to_string(),
                    position: event.global_position,
                    event_id: ID(event.event_id.to_string()),
                    stream_type: event.stream_type,
                    stream_id: ID(event.stream_id.to_string()),
                    version: event.stream_version,
                    event_type: event.event_type,
                    schema_version: event.schema_version,
                    payload: event.payload,
                    metadata: event.metadata,
                    recorded_at: event.recorded_at,
                });
                if events.len() == wanted {
                    break 'scan;
                }
            }
        }
        Ok(EventPage { events, end_cursor: cursor.to_string() })
    }
}
