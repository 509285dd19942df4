//! Reading the log through the API: pages of events for the agents' triggers, and a stream's
//! events folded with the domain's own `apply` into the state the server holds.
//!
//! Why fold the stream and not read the `lead` query: read models lag behind the log, and an
//! agent that acts on a stale row would draft twice or allocate a lead twice; the log is the
//! source of truth and the domain code that folds it is the same the server runs.

use esrs::Aggregate;
use reachspark_domain::campaign::{Campaign, CampaignState};
use reachspark_domain::lead::{Lead, LeadState};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::client::ops::{self, Events};
use crate::client::{ApiClient, ClientError};

/// One event of the log, as the agents need it.
#[derive(Debug, Clone)]
pub struct LogEvent {
    /// Continue after this to skip it.
    pub cursor: String,
    /// Global position.
    pub position: i64,
    /// The event's id: the seed of every idempotency key derived from it.
    pub event_id: Uuid,
    /// The stream (lead, account, campaign, agent) it belongs to.
    pub stream_id: Uuid,
    /// `LeadDiscovered`, ...
    pub event_type: String,
    /// The payload (personal data unmasked only for tokens with the `pii` scope).
    pub payload: serde_json::Value,
}

impl LogEvent {
    /// The payload as the domain's event enum (`{"type", "data"}`).
    pub fn decode<E: DeserializeOwned>(&self) -> Result<E, ClientError> {
        let tagged = serde_json::json!({ "type": self.event_type, "data": self.payload });
        serde_json::from_value(tagged).map_err(|_| ClientError::Graphql {
            code: "UNREADABLE_EVENT".to_owned(),
            reason: format!("event {} of type {} does not decode", self.event_id, self.event_type),
        })
    }
}

/// A page: the events and the cursor to continue from (past the events the filter skipped).
#[derive(Debug, Clone)]
pub struct Page {
    /// Matching events, in log order.
    pub events: Vec<LogEvent>,
    /// Where the scan stopped.
    pub end_cursor: String,
}

/// Up to `first` events after `after`, of these types or of this stream.
pub async fn page(
    client: &ApiClient,
    after: Option<String>,
    first: i64,
    event_types: Option<Vec<String>>,
    stream_id: Option<Uuid>,
) -> Result<Page, ClientError> {
    let filter =
        ops::events::EventFilter { stream_types: None, event_types, stream_id: stream_id.map(|id| id.to_string()) };
    let data = client.run::<Events>(ops::events::Variables { after, first: Some(first), filter: Some(filter) }).await?;
    let mut events = Vec::with_capacity(data.events.events.len());
    for e in data.events.events {
        let parse = |s: &str| {
            Uuid::parse_str(s).map_err(|_| ClientError::Graphql { code: "BAD_ID".into(), reason: s.to_owned() })
        };
        events.push(LogEvent {
            cursor: e.cursor,
            position: e.position,
            event_id: parse(&e.event_id)?,
            stream_id: parse(&e.stream_id)?,
            event_type: e.event_type,
            payload: e.payload,
        });
    }
    Ok(Page { events, end_cursor: data.events.end_cursor })
}

/// Every event of one stream, oldest first.
pub async fn stream(client: &ApiClient, stream_id: Uuid) -> Result<Vec<LogEvent>, ClientError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let p = page(client, after, 100, None, Some(stream_id)).await?;
        let full = p.events.len() == 100;
        all.extend(p.events);
        if !full {
            return Ok(all);
        }
        after = Some(p.end_cursor);
    }
}

/// A lead's state, folded from its events by the domain.
pub async fn lead(client: &ApiClient, lead_id: Uuid) -> Result<LeadState, ClientError> {
    let mut state = LeadState::default();
    for event in stream(client, lead_id).await? {
        state = Lead::apply_event(state, event.decode()?);
    }
    Ok(state)
}

/// A campaign's state, folded from its events by the domain.
pub async fn campaign(client: &ApiClient, campaign_id: Uuid) -> Result<CampaignState, ClientError> {
    let mut state = CampaignState::default();
    for event in stream(client, campaign_id).await? {
        state = Campaign::apply_event(state, event.decode()?);
    }
    Ok(state)
}
