//! Running a projection: batches through the gap-free reader, with the checkpoint moved in the
//! same transaction as the table writes.
//!
//! Exactly once: each batch locks the projection's checkpoint row (`FOR UPDATE`) before it
//! reads, so two runners can never apply the same events, and a crash before commit rolls the
//! writes and the checkpoint back together. One runner per projection does the work (a session
//! advisory lock); others wait as standbys. A projection that fails on an event stops there,
//! records the event and the error, and never skips it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reachspark_store::{Position, Store};
use sqlx::{Connection, PgConnection, Row};
use tokio_util::sync::CancellationToken;

use crate::{Envelope, Projection, ProjectionError, READ_SCHEMA};

/// A pause point for tests: called after a batch's writes and before its commit.
pub type BeforeCommit = Arc<dyn Fn(u64) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// How a runner works.
#[derive(Clone)]
pub struct RunnerConfig {
    /// Events per batch (one transaction).
    pub batch: i64,
    /// How long to wait for a notification before looking again.
    pub poll: Duration,
    /// Test hook, see [`BeforeCommit`].
    pub before_commit: Option<BeforeCommit>,
}

impl std::fmt::Debug for RunnerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunnerConfig").field("batch", &self.batch).field("poll", &self.poll).finish_non_exhaustive()
    }
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self { batch: 2_000, poll: Duration::from_millis(500), before_commit: None }
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Applied this many events and committed.
    Applied(usize),
    /// Nothing new to apply.
    Idle,
    /// The projection is stopped on a failed event (see its status).
    Failed,
}

/// A runner could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] reachspark_store::StoreError),
    /// Another rebuild holds the rebuild lock.
    #[error("another rebuild is running")]
    RebuildBusy,
    /// No projection by that name.
    #[error("no projection named {0}")]
    UnknownProjection(String),
    /// A projection could not apply an event during a rebuild.
    #[error("projection {projection}: {error}")]
    Projection {
        /// Which.
        projection: &'static str,
        /// What went wrong.
        #[source]
        error: ProjectionError,
    },
}

/// Creates every projection's tables in `read` and its checkpoint row. Safe to run from many
/// processes at once.
pub async fn ensure_ready(store: &Store, projections: &[Arc<dyn Projection>]) -> Result<(), RunnerError> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('reachspark.projections.ddl'))").execute(&mut *tx).await?;
    for projection in projections {
        for sql in projection.schema_sql(READ_SCHEMA).into_iter().chain(projection.index_sql(READ_SCHEMA)) {
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO read.projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
            .bind(projection.name())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An event no projection can decode.
#[derive(Debug)]
pub(crate) struct Undecodable {
    pub(crate) event_id: uuid::Uuid,
    pub(crate) global_position: i64,
    pub(crate) event_type: String,
    pub(crate) schema_version: i32,
    pub(crate) reason: String,
}

/// Decodes a batch; an undecodable event becomes a projection failure at that event.
pub(crate) fn decode_all(events: Vec<reachspark_store::RawEvent>) -> Result<Vec<Envelope>, Box<Undecodable>> {
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        match crate::Decoded::of(&event) {
            Ok(decoded) => out.push(Envelope::new(event, decoded)),
            Err(err) => {
                return Err(Box::new(Undecodable {
                    event_id: event.event_id,
                    global_position: event.global_position,
                    event_type: event.event_type,
                    schema_version: event.schema_version,
                    reason: err.to_string(),
                }))
            }
        }
    }
    Ok(out)
}

async fn lock_checkpoint(tx: &mut PgConnection, name: &str) -> Result<(Position, String), sqlx::Error> {
    let row = sqlx::query(
        "SELECT transaction_id, global_position, state FROM read.projection_checkpoints WHERE name = $1 FOR UPDATE",
    )
    .bind(name)
    .fetch_one(&mut *tx)
    .await?;
    Ok((Position { transaction_id: row.get(0), global_position: row.get(1) }, row.get(2)))
}

async fn save_checkpoint(
    tx: &mut PgConnection,
    name: &str,
    position: Position,
    applied: usize,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE read.projection_checkpoints
         SET transaction_id = $2, global_position = $3, events_applied = events_applied + $4, updated_at = now()
         WHERE name = $1",
    )
    .bind(name)
    .bind(position.transaction_id)
    .bind(position.global_position)
    .bind(i64::try_from(applied).unwrap_or(i64::MAX))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Applies the next batch, if any. Drives tests without sleeping.
pub async fn step(store: &Store, projection: &dyn Projection, config: &RunnerConfig) -> Result<Step, RunnerError> {
    let name = projection.name();
    let mut tx = store.pool().begin().await?;
    let (position, state) = lock_checkpoint(&mut tx, name).await?;
    if state != "running" {
        return Ok(Step::Failed);
    }
    let events = store.read_all_raw(position, config.batch).await?;
    if events.is_empty() {
        return Ok(Step::Idle);
    }
    let count = events.len();
    let envelopes = match decode_all(events) {
        Ok(envelopes) => envelopes,
        Err(bad) => {
            drop(tx);
            return fail_at(
                store,
                projection,
                position,
                &bad.event_id,
                bad.global_position,
                &bad.event_type,
                &bad.reason,
            )
            .await;
        }
    };
    let last = envelopes.last().map_or(position, |e| e.recorded.position());
    if let Err(err) = projection.apply(&mut tx, READ_SCHEMA, &envelopes).await {
        drop(tx);
        tracing::warn!(projection = name, error = %err, "batch failed; applying its events one by one to find the culprit");
        return isolate(store, projection, &envelopes).await;
    }
    save_checkpoint(&mut tx, name, last, count).await?;
    if let Some(hook) = &config.before_commit {
        hook(u64::try_from(count).unwrap_or(u64::MAX)).await;
    }
    tx.commit().await?;
    Ok(Step::Applied(count))
}

/// Applies a failed batch one event per transaction, stopping at the first that fails.
async fn isolate(store: &Store, projection: &dyn Projection, envelopes: &[Envelope]) -> Result<Step, RunnerError> {
    for envelope in envelopes {
        let mut tx = store.pool().begin().await?;
        let (position, state) = lock_checkpoint(&mut tx, projection.name()).await?;
        if state != "running" {
            return Ok(Step::Failed);
        }
        if envelope.recorded.position() <= position {
            continue;
        }
        match projection.apply(&mut tx, READ_SCHEMA, std::slice::from_ref(envelope)).await {
            Ok(()) => {
                save_checkpoint(&mut tx, projection.name(), envelope.recorded.position(), 1).await?;
                tx.commit().await?;
            }
            Err(err) => {
                drop(tx);
                let r = &envelope.recorded;
                return fail_at(
                    store,
                    projection,
                    position,
                    &r.event_id,
                    r.global_position,
                    &r.event_type,
                    &err.to_string(),
                )
                .await;
            }
        }
    }
    Ok(Step::Applied(envelopes.len()))
}

async fn fail_at(
    store: &Store,
    projection: &dyn Projection,
    position: Position,
    event_id: &uuid::Uuid,
    global_position: i64,
    event_type: &str,
    reason: &str,
) -> Result<Step, RunnerError> {
    tracing::error!(
        projection = projection.name(),
        %event_id,
        global_position,
        event_type,
        error = reason,
        checkpoint = %position,
        "projection stopped: it cannot apply this event and will not skip it"
    );
    sqlx::query(
        "UPDATE read.projection_checkpoints SET state = 'failed', failed_event_id = $2, failed_position = $3,
             error = $4, updated_at = now() WHERE name = $1",
    )
    .bind(projection.name())
    .bind(event_id)
    .bind(global_position)
    .bind(reason)
    .execute(store.pool())
    .await?;
    Ok(Step::Failed)
}

/// Clears a failed projection so it retries the event it stopped on (after a fix).
pub async fn resume(store: &Store, name: &str) -> Result<(), RunnerError> {
    let updated = sqlx::query(
        "UPDATE read.projection_checkpoints SET state = 'running', error = NULL, failed_event_id = NULL,
             failed_position = NULL, updated_at = now() WHERE name = $1",
    )
    .bind(name)
    .execute(store.pool())
    .await?;
    if updated.rows_affected() == 0 {
        return Err(RunnerError::UnknownProjection(name.to_owned()));
    }
    Ok(())
}

/// Runs a projection until `stop`: waits to become its only runner, then applies batches as
/// events arrive (woken by NOTIFY, polling as a fallback).
pub async fn run(
    store: Store,
    projection: Arc<dyn Projection>,
    config: RunnerConfig,
    stop: CancellationToken,
) -> Result<(), RunnerError> {
    let name = projection.name();
    let mut leader = PgConnection::connect_with(&store.pool().connect_options()).await?;
    loop {
        let acquired: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext('reachspark.projection.' || $1))")
                .bind(name)
                .fetch_one(&mut leader)
                .await?;
        if acquired {
            break;
        }
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    tracing::info!(projection = name, "projection running");
    let mut wake = store.notifications();
    let mut failures = 0_u32;
    while !stop.is_cancelled() {
        wake.borrow_and_update();
        match step(&store, projection.as_ref(), &config).await {
            Ok(Step::Applied(_)) => failures = 0,
            Ok(Step::Idle) => {
                tokio::select! {
                    () = stop.cancelled() => {}
                    _ = wake.changed() => {}
                    () = tokio::time::sleep(config.poll) => {}
                }
            }
            Ok(Step::Failed) => {
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
            Err(err) => {
                failures += 1;
                tracing::warn!(projection = name, error = %err, failures, "projection step failed; retrying");
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(25)))) => {}
                }
            }
        }
    }
    leader.close().await.ok();
    Ok(())
}
