//! `events`: the raw log, paged in the gap-free order. Cursors are `TRANSACTION:POSITION`
//! strings; resuming from the last one seen gives no gap and no duplicate.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use reachspark_domain::pii::PII_MARKER;
use reachspark_store::{Position, RecordedEvent, Store};
use serde_json::Value;
use uuid::Uuid;

use super::leads::{allowed, parse_id, store};
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

impl LogEvent {
    /// The event as a caller sees it: personal data masked unless `pii`.
    pub(super) fn new(event: &RecordedEvent, pii: bool) -> Self {
        let mut payload = event.payload.clone();
        if !pii {
            mask(&mut payload);
        }
        Self {
            cursor: event.position().to_string(),
            position: event.global_position,
            event_id: ID(event.event_id.to_string()),
            stream_type: event.stream_type.clone(),
            stream_id: ID(event.stream_id.to_string()),
            version: event.stream_version,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            payload,
            metadata: event.metadata.clone(),
            recorded_at: event.recorded_at,
        }
    }
}

/// The page of one stream's events: read by the stream's index rather than by scanning the
/// log, and cut at the same gap-free head a scan would stop at, so the page and its cursor
/// are the ones a scan would give (the agents fold a lead from its stream on every event).
async fn one_stream(
    store: &Store,
    stream_id: Uuid,
    after: Position,
    matcher: &Matcher,
    wanted: usize,
    pii: bool,
) -> async_graphql::Result<EventPage> {
    // The head first: whatever commits after it lies beyond it.
    let head = store.head_position().await.map_err(ApiError::from)?;
    let mut stream = store.read_stream(stream_id, 0).await.map_err(ApiError::from)?;
    stream.sort_unstable_by_key(RecordedEvent::position);
    let events: Vec<LogEvent> = stream
        .iter()
        .filter(|e| e.position() > after && e.position() <= head && matcher.matches(e))
        .take(wanted)
        .map(|e| LogEvent::new(e, pii))
        .collect();
    let end_cursor = match events.last() {
        Some(last) if events.len() == wanted => last.cursor.clone(),
        _ => head.max(after).to_string(),
    };
    Ok(EventPage { events, end_cursor })
}

/// An [`EventFilter`], checked once: the stream id parsed, ready to test every event.
#[derive(Debug, Clone, Default)]
pub(super) struct Matcher {
    stream_types: Option<Vec<String>>,
    event_types: Option<Vec<String>>,
    stream_id: Option<Uuid>,
}

impl Matcher {
    /// The filter as a matcher; a `streamId` that is not a UUID is a validation error.
    pub(super) fn new(filter: Option<EventFilter>) -> Result<Self, ApiError> {
        let filter = filter.unwrap_or_default();
        let stream_id = filter.stream_id.as_ref().map(|id| parse_id("filter.streamId", id)).transpose()?;
        Ok(Self { stream_types: filter.stream_types, event_types: filter.event_types, stream_id })
    }

    /// The one stream it wants, if any (the hub routes such subscribers by stream).
    pub(super) fn stream_id(&self) -> Option<Uuid> {
        self.stream_id
    }

    pub(super) fn matches(&self, event: &RecordedEvent) -> bool {
        self.stream_types.as_ref().is_none_or(|t| t.contains(&event.stream_type))
            && self.event_types.as_ref().is_none_or(|t| t.contains(&event.event_type))
            && self.stream_id.is_none_or(|id| id == event.stream_id)
    }
}

/// A `TRANSACTION:POSITION` cursor argument.
pub(super) fn parse_cursor(field: &str, text: &str) -> Result<Position, ApiError> {
    text.parse::<Position>().map_err(|_| ApiError::validation(field, "not a TRANSACTION:POSITION cursor"))
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
        let mut cursor =
            after.as_deref().map(|text| parse_cursor("after", text)).transpose()?.unwrap_or(Position::START);
        let matcher = Matcher::new(filter)?;
        let pii = principal.allows(Permission::ReadPersonalData);
        let wanted = usize::try_from(first).unwrap_or(100);
        if let Some(stream_id) = matcher.stream_id() {
            return one_stream(store(ctx)?, stream_id, cursor, &matcher, wanted, pii).await;
        }
        let mut events = Vec::with_capacity(wanted);
        // Filtering happens after reading, so scan on until the page is full or the log ends.
        'scan: loop {
            let batch = store(ctx)?.read_all(cursor, 500).await.map_err(ApiError::from)?;
            if batch.is_empty() {
                break;
            }
            for event in batch {
                cursor = event.position();
                if !matcher.matches(&event) {
                    continue;
                }
                events.push(LogEvent::new(&event, pii));
                if events.len() == wanted {
                    break 'scan;
                }
            }
        }
        Ok(EventPage { events, end_cursor: cursor.to_string() })
    }
}
