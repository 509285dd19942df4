//! Rebuilding read models from the whole log into shadow tables, then swapping them in one
//! transaction: queries keep reading the old tables until the swap commits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reachspark_store::{Position, Store};
use sqlx::{Connection, PgConnection};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use crate::runner::{decode_all, RunnerError};
use crate::{Bulk, Envelope, Projection, ProjectionError, READ_SCHEMA};

const SHADOW: &str = "read_rebuild";

/// Where the swap moves the replaced tables, to drop them once it has committed: dropping
/// hundreds of megabytes of files took a third of a second in the swap's commit, while its
/// locks kept every query of the read models waiting.
const RETIRED: &str = "read_retired";

/// Rows a read model may hold in memory during a rebuild (a lead's row and its messages are
/// ~1 KiB) before it writes them out and continues through the tables.
const BULK_ROWS: usize = 1_000_000;

/// How far a rebuild is.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Events applied so far.
    pub done: u64,
    /// Events in the log when the rebuild started (it also applies those arriving meanwhile):
    /// estimated from the span of positions while the log is read (an over-estimate if
    /// rolled-back appends left gaps), exact once it has been read.
    pub total: u64,
    /// Time since the start.
    pub elapsed: Duration,
}

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct RebuildReport {
    /// Events applied.
    pub events: u64,
    /// Wall time, swap and the drop of the replaced tables included.
    pub elapsed: Duration,
    /// Time until the swap committed: from then on queries read the new tables.
    pub swapped: Duration,
    /// The rebuilt projections.
    pub projections: Vec<&'static str>,
    /// Time each projection spent applying batches and building its indexes (the rest is
    /// reading, decoding and commits).
    pub apply_time: Vec<(&'static str, Duration)>,
}

/// Rebuilds `projections` from the first event. One rebuild at a time across processes; live
/// runners keep serving the old tables meanwhile and continue on the new ones after the swap.
pub async fn rebuild(
    store: &Store,
    projections: &[Arc<dyn Projection>],
    batch: i64,
    on_progress: impl FnMut(Progress) + Send,
) -> Result<RebuildReport, RunnerError> {
    rebuild_holding(store, projections, batch, BULK_ROWS, on_progress).await
}

/// [`rebuild`], with each read model that folds in memory ([`Projection::bulk`]) holding at
/// most `bulk_rows` rows: past that it writes them out and applies the rest of the log through
/// its tables.
pub async fn rebuild_holding(
    store: &Store,
    projections: &[Arc<dyn Projection>],
    batch: i64,
    bulk_rows: usize,
    mut on_progress: impl FnMut(Progress) + Send,
) -> Result<RebuildReport, RunnerError> {
    let started = Instant::now();
    let mut guard = PgConnection::connect_with(&store.pool().connect_options()).await?;
    let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext('reachspark.projections.rebuild'))")
        .fetch_one(&mut guard)
        .await?;
    if !free {
        return Err(RunnerError::RebuildBusy);
    }
    crate::runner::ensure_ready(store, projections).await?;
    let mut setup = store.pool().begin().await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {SHADOW} CASCADE")).execute(&mut *setup).await?;
    // Left by a rebuild that stopped between its swap and the drop after it.
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {RETIRED} CASCADE")).execute(&mut *setup).await?;
    sqlx::query(&format!("CREATE SCHEMA {SHADOW}")).execute(&mut *setup).await?;
    for projection in projections {
        for sql in projection.schema_sql(SHADOW) {
            sqlx::query(&sql).execute(&mut *setup).await?;
        }
    }
    setup.commit().await?;

    // Two probes of the primary key; counting would read the whole log once more.
    let span: Option<i64> = sqlx::query_scalar("SELECT max(global_position) - min(global_position) + 1 FROM events")
        .fetch_one(store.pool())
        .await?;
    let mut total = span.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    let mut cursor = Position::START;
    let (mut read, mut reported) = (0_u64, 0_u64);
    // One task per read model, each on its own connection and committing its own batches: the
    // shadow tables are independent, so the server applies them on all its cores at once. The
    // next pages are read and decoded meanwhile. Bounded queues keep memory to a few pages.
    let workers: Vec<Worker> =
        projections.iter().map(|p| Worker::start(store, p.clone(), bulk_rows, started)).collect();
    let (pages, mut decoded) = mpsc::channel(2);
    let reader = tokio::spawn(read_log(store.clone(), batch, pages));
    let failed = loop {
        let Some(page) = decoded.recv().await else { break false };
        let envelopes: Vec<Envelope> = page?.await.map_err(task_failed)??;
        cursor = envelopes.last().map_or(cursor, |e| e.recorded.position());
        read += envelopes.len() as u64;
        let page = Arc::new(envelopes);
        // To every model at once: one whose queue is full holds back the next page, not the
        // others' current one.
        let sent = futures::future::join_all(workers.iter().map(|w| w.queue.send(page.clone()))).await;
        if sent.iter().any(Result::is_err) {
            // A read model failed: its error is collected below.
            break true;
        }
        // Done means applied by every read model; reported as it moves.
        let done = workers.iter().map(|w| w.applied.load(Ordering::Relaxed)).min().unwrap_or(read);
        if done > reported {
            reported = done;
            on_progress(Progress { done, total, elapsed: started.elapsed() });
        }
    };
    reader.abort();
    // Every queue is closed first: each model finishes (writes what it holds, builds its
    // indexes) as soon as it has applied its pages, not after the models before it.
    let finishing: Vec<_> = workers.into_iter().map(Worker::close).collect();
    let mut apply_time = Vec::with_capacity(finishing.len());
    for (name, task) in finishing {
        apply_time.push((name, task.await.map_err(task_failed)??));
    }
    if failed {
        return Err(RunnerError::Store(reachspark_store::StoreError::Config(
            "a read model's rebuild task ended early".to_owned(),
        )));
    }
    let mut done = read;
    total = read;
    on_progress(Progress { done, total, elapsed: started.elapsed() });

    // Swap: wait for the live runners' current batches, apply what arrived meanwhile, and move
    // the shadow tables in, all in one transaction.
    let mut tx = store.pool().begin().await?;
    for projection in projections {
        sqlx::query("SELECT 1 FROM read.projection_checkpoints WHERE name = $1 FOR UPDATE")
            .bind(projection.name())
            .execute(&mut *tx)
            .await?;
    }
    loop {
        let events = store.read_all_raw(cursor, batch).await?;
        if events.is_empty() {
            break;
        }
        let envelopes = decode(events)?;
        cursor = envelopes.last().map_or(cursor, |e| e.recorded.position());
        apply_all(&mut tx, projections, &envelopes, &mut apply_time).await?;
        done += envelopes.len() as u64;
    }
    sqlx::query(&format!("CREATE SCHEMA {RETIRED}")).execute(&mut *tx).await?;
    for projection in projections {
        for table in projection.tables() {
            sqlx::query(&format!("ALTER TABLE IF EXISTS {READ_SCHEMA}.{table} SET SCHEMA {RETIRED}"))
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!("ALTER TABLE {SHADOW}.{table} SET SCHEMA {READ_SCHEMA}")).execute(&mut *tx).await?;
        }
        // Views (replaced, so they read the new tables) and anything else the projection keeps
        // beside its tables.
        for sql in projection.schema_sql(READ_SCHEMA).into_iter().chain(projection.index_sql(READ_SCHEMA)) {
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE read.projection_checkpoints SET transaction_id = $2, global_position = $3, events_applied = $4,
                 state = 'running', error = NULL, failed_event_id = NULL, failed_position = NULL, updated_at = now()
             WHERE name = $1",
        )
        .bind(projection.name())
        .bind(cursor.transaction_id)
        .bind(cursor.global_position)
        .bind(i64::try_from(done).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(&format!("DROP SCHEMA {SHADOW} CASCADE")).execute(&mut *tx).await?;
    tx.commit().await?;
    let swapped = started.elapsed();
    // The replaced tables (and anything else still depending on them), now read by no one.
    // The rebuild is done whatever happens here: a drop that fails is left to the next one.
    let dropping = Instant::now();
    match sqlx::query(&format!("DROP SCHEMA {RETIRED} CASCADE")).execute(store.pool()).await {
        Ok(_) => tracing::debug!(dropping_ms = dropping.elapsed().as_millis(), "dropped the replaced read tables"),
        Err(error) => tracing::warn!(%error, "the replaced read tables stay in {RETIRED} until the next rebuild"),
    }
    guard.close().await.ok();
    on_progress(Progress { done, total: done, elapsed: started.elapsed() });
    Ok(RebuildReport {
        events: done,
        elapsed: started.elapsed(),
        swapped,
        projections: projections.iter().map(|p| p.name()).collect(),
        apply_time,
    })
}

/// One read model's share of a rebuild: a task applying each page to the shadow tables in its
/// own transaction.
struct Worker {
    name: &'static str,
    queue: mpsc::Sender<Arc<Vec<Envelope>>>,
    applied: Arc<AtomicU64>,
    task: JoinHandle<Result<Duration, RunnerError>>,
}

impl Worker {
    fn start(store: &Store, projection: Arc<dyn Projection>, bulk_rows: usize, since: Instant) -> Self {
        let (queue, mut pages) = mpsc::channel::<Arc<Vec<Envelope>>>(2);
        let applied = Arc::new(AtomicU64::new(0));
        let (store, counter) = (store.clone(), applied.clone());
        let name = projection.name();
        let task = tokio::spawn(async move {
            let failed = |error| RunnerError::Projection { projection: projection.name(), error };
            let mut spent = Duration::ZERO;
            let mut batches = 0_u64;
            let mut bulk = projection.bulk();
            // A model folding in memory writes its rows in one go: its keys and indexes are
            // built (sorted) after that rather than maintained row by row, which took the
            // server about twice the work.
            let mut deferred = match bulk {
                Some(_) => defer_keys(&store, projection.as_ref()).await?,
                None => Vec::new(),
            };
            // Insert-only models take pages on two connections at once: one page's rows are
            // formatted here while the server loads the previous one.
            let mut loading: JoinSet<Result<Duration, RunnerError>> = JoinSet::new();
            let in_flight = if projection.insert_only() { 2 } else { 1 };
            while let Some(page) = pages.recv().await {
                let started = Instant::now();
                if let Some(held) = &mut bulk {
                    held.fold(&page).map_err(failed)?;
                    if held.rows() > bulk_rows {
                        // Memory is bounded: write what is held and go on through `apply`,
                        // which reads and updates those rows.
                        write_bulk(&store, projection.tables(), held.as_mut()).await.map_err(failed)?;
                        build_side_by_side(&store, std::mem::take(&mut deferred)).await?;
                        bulk = None;
                    }
                    spent += started.elapsed();
                    counter.fetch_add(page.len() as u64, Ordering::Relaxed);
                    continue;
                }
                while loading.len() >= in_flight {
                    spent += joined(loading.join_next().await)?;
                }
                let (to, model, count) = (store.clone(), projection.clone(), counter.clone());
                loading.spawn(async move {
                    let started = Instant::now();
                    apply_page(&to, model.as_ref(), &page).await?;
                    count.fetch_add(page.len() as u64, Ordering::Relaxed);
                    Ok(started.elapsed())
                });
                batches += 1;
                if batches.is_power_of_two() && !projection.insert_only() {
                    // Fresh shadow tables have no statistics; without them the planner may
                    // turn the per-batch key lookups into sequential scans as they grow.
                    spent += joined(loading.join_next().await)?;
                    for table in projection.tables() {
                        sqlx::query(&format!("ANALYZE {SHADOW}.{table}")).execute(store.pool()).await?;
                    }
                }
            }
            let all_received = since.elapsed();
            while let Some(done) = loading.join_next().await {
                spent += joined(Some(done))?;
            }
            let started = Instant::now();
            if let Some(held) = &mut bulk {
                write_bulk(&store, projection.tables(), held.as_mut()).await.map_err(failed)?;
            }
            let written = started.elapsed();
            // Loaded: build this model's keys and indexes now, while the others are still loading.
            deferred.extend(projection.index_sql(SHADOW));
            build_side_by_side(&store, deferred).await?;
            tracing::debug!(
                projection = name,
                last_page_at_ms = all_received.as_millis(),
                applying_ms = spent.as_millis(),
                writing_held_ms = written.as_millis(),
                indexing_ms = (started.elapsed() - written).as_millis(),
                "rebuilt into shadow tables"
            );
            Ok(spent + started.elapsed())
        });
        Self { name, queue, applied, task }
    }

    /// Tells the model no more pages come (its queue closes); its task then applies those
    /// queued and finishes.
    fn close(self) -> (&'static str, JoinHandle<Result<Duration, RunnerError>>) {
        (self.name, self.task)
    }
}

/// Applies one page to a model's shadow tables in a transaction of its own.
async fn apply_page(store: &Store, projection: &dyn Projection, page: &[Envelope]) -> Result<(), RunnerError> {
    let mut tx = store.pool().begin().await?;
    // Nothing of a rebuild is read before the swap, whose transaction is durable as usual; a
    // crash before it discards the shadow tables anyway. (Grouping pages per transaction was
    // slower: the upserting models' superseded row versions cannot be pruned while it is open.)
    sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
    projection
        .apply(&mut tx, SHADOW, page)
        .await
        .map_err(|error| RunnerError::Projection { projection: projection.name(), error })?;
    tx.commit().await?;
    Ok(())
}

/// Drops the keys and indexes `projection`'s (empty) shadow tables were created with, and
/// returns the statements that build them again, read from the catalog so that the tables end
/// up exactly as `schema_sql` defines them.
async fn defer_keys(store: &Store, projection: &dyn Projection) -> Result<Vec<String>, RunnerError> {
    let found: Vec<(String, String)> = sqlx::query_as(
        "SELECT format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', n.nspname, t.relname, c.conname,
                       pg_get_constraintdef(c.oid)),
                format('ALTER TABLE %I.%I DROP CONSTRAINT %I', n.nspname, t.relname, c.conname)
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = $1 AND t.relname = ANY($2) AND c.contype IN ('p', 'u', 'x')
         UNION ALL
         SELECT pg_get_indexdef(i.indexrelid), format('DROP INDEX %I.%I', n.nspname, x.relname)
         FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
              JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = $1 AND t.relname = ANY($2)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)",
    )
    .bind(SHADOW)
    .bind(projection.tables())
    .fetch_all(store.pool())
    .await?;
    let mut tx = store.pool().begin().await?;
    for (_, drop) in &found {
        sqlx::query(drop).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(found.into_iter().map(|(build, _)| build).collect())
}

/// Builds keys and indexes on loaded shadow tables, each statement on a connection of its own:
/// the server builds them side by side (statements on one table wait for each other's locks).
/// Each is built by one process: these builds and the other models' loads already keep the
/// server's cores busy, and parallel workers cost ~15% more CPU for the same index.
async fn build_side_by_side(store: &Store, statements: Vec<String>) -> Result<(), RunnerError> {
    let mut building = JoinSet::new();
    for sql in statements {
        let pool = store.pool().clone();
        building.spawn(async move {
            let mut tx = pool.begin().await?;
            sqlx::query("SET LOCAL max_parallel_maintenance_workers = 0").execute(&mut *tx).await?;
            sqlx::query(&sql).execute(&mut *tx).await?;
            tx.commit().await
        });
    }
    while let Some(built) = building.join_next().await {
        built.map_err(task_failed)??;
    }
    Ok(())
}

/// The time a page took, or its error; nothing joined counts as no time.
fn joined(
    done: Option<Result<Result<Duration, RunnerError>, tokio::task::JoinError>>,
) -> Result<Duration, RunnerError> {
    done.map_or(Ok(Duration::ZERO), |joined| joined.map_err(task_failed)?)
}

/// Writes a model's rows held in memory into its (empty) shadow tables, emptied once more in
/// the same transaction so that the rows are copied frozen ([`Bulk::write`]).
async fn write_bulk(store: &Store, tables: &[&str], bulk: &mut dyn Bulk) -> Result<(), ProjectionError> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
    let tables: Vec<String> = tables.iter().map(|t| format!("{SHADOW}.{t}")).collect();
    sqlx::query(&format!("TRUNCATE {}", tables.join(", "))).execute(&mut *tx).await?;
    bulk.write(&mut tx, SHADOW).await?;
    tx.commit().await?;
    Ok(())
}

/// A rebuild task that panicked or was cancelled.
fn task_failed(err: tokio::task::JoinError) -> RunnerError {
    RunnerError::Store(reachspark_store::StoreError::Config(err.to_string()))
}

/// A page being opened and decoded, or why reading stopped.
type Page = Result<JoinHandle<Result<Vec<Envelope>, RunnerError>>, RunnerError>;

/// Events one statement of a rebuild's read asks for: one walk of the log's order index per
/// this many events, and one snapshot held no longer than it takes to read them.
const READ_RUN: i64 = 250_000;

/// Reads the log into `pages` of `batch` events, in order, and ends with it. The server streams
/// each run of events as it walks the index; each page is opened and decoded on a task of its
/// own while the next one arrives.
async fn read_log(store: Store, batch: i64, pages: mpsc::Sender<Page>) {
    use futures::StreamExt as _;
    let mut cursor = Position::START;
    let page_len = usize::try_from(batch).unwrap_or(1).max(1);
    let run_len = READ_RUN.max(batch);
    loop {
        let mut run = std::pin::pin!(store.stream_all_sealed(cursor, run_len));
        let mut page = Vec::with_capacity(page_len);
        let mut in_run = 0_i64;
        loop {
            let next = run.next().await;
            let ended = next.is_none();
            match next {
                Some(Ok(event)) => {
                    cursor = event.position();
                    in_run += 1;
                    page.push(event);
                }
                Some(Err(err)) => {
                    pages.send(Err(err.into())).await.ok();
                    return;
                }
                None => {}
            }
            if page.len() == page_len || (ended && !page.is_empty()) {
                let sealed = std::mem::replace(&mut page, Vec::with_capacity(page_len));
                let store = store.clone();
                let decoding = tokio::spawn(async move { decode(store.open_personal_data(sealed).await?) });
                if pages.send(Ok(decoding)).await.is_err() {
                    return;
                }
            }
            if ended {
                break;
            }
        }
        if in_run < run_len {
            return;
        }
    }
}

fn decode(events: Vec<reachspark_store::RawEvent>) -> Result<Vec<Envelope>, RunnerError> {
    decode_all(events).map_err(|bad| {
        RunnerError::Store(reachspark_store::StoreError::Decode {
            event_id: bad.event_id,
            event_type: bad.event_type,
            schema_version: bad.schema_version,
            reason: bad.reason,
        })
    })
}

async fn apply_all(
    tx: &mut PgConnection,
    projections: &[Arc<dyn Projection>],
    envelopes: &[Envelope],
    apply_time: &mut [(&'static str, Duration)],
) -> Result<(), RunnerError> {
    for (projection, (_, spent)) in projections.iter().zip(apply_time.iter_mut()) {
        let started = Instant::now();
        projection
            .apply(tx, SHADOW, envelopes)
            .await
            .map_err(|error| RunnerError::Projection { projection: projection.name(), error })?;
        *spent += started.elapsed();
    }
    Ok(())
}
