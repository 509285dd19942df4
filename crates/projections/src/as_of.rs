//! A lead as it was at a given time, rebuilt from its events (the API's `leadAsOf`).

use chrono::{DateTime, Utc};
use esrs::Aggregate;
use reachspark_domain::lead::{Lead, LeadEvent, LeadState};
use reachspark_store::{Store, StoreError};
use uuid::Uuid;

/// The lead's state from its events recorded at or before `at`, with the stream version it had
/// then; `None` if it did not exist yet. Personal data erased since then reads as erased.
pub async fn lead_as_of(
    store: &Store,
    lead_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<(LeadState, i64)>, StoreError> {
    let events = store.read_stream_raw(lead_id, 0).await?;
    let mut state = LeadState::default();
    let mut version = 0;
    for event in events.iter().take_while(|e| e.recorded_at <= at) {
        if event.stream_type != Lead::NAME {
            return Ok(None);
        }
        state = Lead::apply_event(state, event.decode::<LeadEvent>()?);
        version = event.stream_version;
    }
    Ok((version > 0).then_some((state, version)))
}
