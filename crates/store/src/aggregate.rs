//! esrs's [`EventStore`] on our store, so esrs's `AggregateManager` runs the domain's commands.
//!
//! An [`AggregateStore`] is made per command: it carries the command's [`CommandContext`],
//! which is how the actor, correlation, causation and command id reach the stored metadata.

use std::marker::PhantomData;
use std::sync::Mutex;

use async_trait::async_trait;
use esrs::store::{EventStore, EventStoreLockGuard, StoreEvent, UnlockOnDrop};
use esrs::{Aggregate, AggregateState};
use reachspark_domain::DomainEvent;
use sqlx::pool::PoolConnection;
use sqlx::Postgres;
use uuid::Uuid;

use crate::append::{AppendOutcome, CommandContext, NewEvent, StreamAppend};
use crate::{Store, StoreError};

/// The event store as esrs sees it, for one aggregate type and one command.
pub struct AggregateStore<A> {
    store: Store,
    ctx: CommandContext,
    last: Mutex<Option<AppendOutcome>>,
    aggregate: PhantomData<fn() -> A>,
}

impl<A> std::fmt::Debug for AggregateStore<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AggregateStore").field("ctx", &self.ctx).finish_non_exhaustive()
    }
}

impl<A> AggregateStore<A> {
    /// A handle that writes with `ctx` as metadata.
    pub fn new(store: Store, ctx: CommandContext) -> Self {
        Self { store, ctx, last: Mutex::new(None), aggregate: PhantomData }
    }

    /// The outcome of the last `persist`, if any.
    pub fn take_outcome(&self) -> Option<AppendOutcome> {
        self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

fn sequence(version: i64) -> Result<i32, StoreError> {
    i32::try_from(version)
        .map_err(|_| StoreError::Config(format!("stream version {version} exceeds esrs's i32 sequence numbers")))
}

#[async_trait]
impl<A> EventStore for AggregateStore<A>
where
    A: Aggregate + Send + Sync,
    A::Event: DomainEvent + Clone,
    A::State: Send + Sync,
{
    type Aggregate = A;
    type Error = StoreError;

    /// A session advisory lock on the aggregate, held by a pooled connection until dropped.
    /// Commands do not need it (appends are optimistic); it serialises long read-modify-write work.
    async fn lock(&self, aggregate_id: Uuid) -> Result<EventStoreLockGuard, StoreError> {
        let mut conn = self.store.pool().acquire().await?;
        sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
            .bind(aggregate_id.to_string())
            .execute(&mut *conn)
            .await?;
        Ok(EventStoreLockGuard::new(AdvisoryLock { conn: Mutex::new(Some(conn)), key: aggregate_id }))
    }

    async fn by_aggregate_id(&self, aggregate_id: Uuid) -> Result<Vec<StoreEvent<A::Event>>, StoreError> {
        let recorded = self.store.read_stream_raw(aggregate_id, 0).await?;
        recorded
            .into_iter()
            .map(|event| {
                if event.stream_type != A::NAME {
                    return Err(StoreError::Decode {
                        event_id: event.event_id,
                        event_type: event.event_type.clone(),
                        schema_version: event.schema_version,
                        reason: format!("stream {aggregate_id} is a {}, not a {}", event.stream_type, A::NAME),
                    });
                }
                Ok(StoreEvent {
                    id: event.event_id,
                    aggregate_id,
                    payload: event.decode::<A::Event>()?,
                    occurred_on: event.recorded_at,
                    sequence_number: sequence(event.stream_version)?,
                    version: Some(event.schema_version),
                })
            })
            .collect()
    }

    async fn persist(
        &self,
        aggregate_state: &mut AggregateState<A::State>,
        events: Vec<A::Event>,
    ) -> Result<Vec<StoreEvent<A::Event>>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let aggregate_id = *aggregate_state.id();
        let new_events = events.iter().map(NewEvent::from_domain).collect::<Result<Vec<_>, _>>()?;
        let schema_versions: Vec<i32> = new_events.iter().map(|e| e.schema_version).collect();
        let append = StreamAppend {
            stream_type: A::NAME.to_owned(),
            stream_id: aggregate_id,
            expected_version: i64::from(*aggregate_state.sequence_number()),
            events: new_events,
        };
        let outcome = self.store.append(&self.ctx, vec![append]).await?;
        let stored = events
            .into_iter()
            .zip(&outcome.events)
            .zip(schema_versions)
            .map(|((payload, appended), schema)| {
                Ok(StoreEvent {
                    id: appended.event_id,
                    aggregate_id,
                    payload,
                    occurred_on: self.ctx.occurred_at,
                    sequence_number: sequence(appended.stream_version)?,
                    version: Some(schema),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        *self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome);
        Ok(stored)
    }

    /// Nothing to do: every append NOTIFYs, and readers subscribe to the log itself.
    async fn publish(&self, _store_events: &[StoreEvent<A::Event>]) {}

    async fn delete(&self, _aggregate_id: Uuid) -> Result<(), StoreError> {
        Err(StoreError::AppendOnly("events are never deleted; erase the subject's personal data instead"))
    }
}

struct AdvisoryLock {
    conn: Mutex<Option<PoolConnection<Postgres>>>,
    key: Uuid,
}

impl UnlockOnDrop for AdvisoryLock {}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() else {
            return;
        };
        let key = self.key.to_string();
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    let unlocked = sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
                        .bind(key)
                        .execute(&mut *conn)
                        .await;
                    if unlocked.is_err() {
                        // Closing the session releases its advisory locks.
                        conn.close_on_drop();
                    }
                });
            }
            Err(_) => conn.close_on_drop(),
        }
    }
}
