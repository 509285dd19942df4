//! `reachspark bench append`: the store's append path (sealing personal data, hashing,
//! idempotent ids, optimistic concurrency, NOTIFY) against plain multi-row INSERTs of the very
//! same stored rows into a table with the same columns and indexes, one statement per batch on
//! both sides, alternating in rounds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use hdrhistogram::Histogram;
use reachspark_domain::Actor;
use reachspark_store::{CommandContext, MasterKey, NewEvent, Store, StreamAppend};
use serde_json::{json, Value};
use sqlx::{PgPool, QueryBuilder, Row};
use uuid::Uuid;

use super::scratch::Scratch;
use crate::config::AppendBench;
use crate::database::Database;

struct Side {
    events_per_sec: f64,
    latency: Histogram<u64>,
}

pub(super) async fn run(database: &Database, args: AppendBench) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.writers > 0 && args.batch > 0 && args.rounds > 0,
        "writers, batch and rounds must be positive"
    );
    anyhow::ensure!(args.streams >= args.writers, "need at least one stream per writer");
    let appends_per_writer = args.events / (args.batch * args.writers);
    anyhow::ensure!(appends_per_writer > 0, "--events must be at least writers x batch");
    let connections = u32::try_from(args.writers + 2).context("too many writers")?;
    let scratch = Scratch::create(database, connections).await?;
    let store = Store::new(scratch.pool.clone(), MasterKey::generate()).await?;
    sqlx::query("CREATE TABLE bench_plain (LIKE events INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)")
        .execute(&scratch.pool)
        .await?;

    println!(
        "bench append: {} writers, {} streams, {} events per append, {} events per round and side, {} rounds, {} CPUs",
        args.writers,
        args.streams,
        args.batch,
        appends_per_writer * args.writers * args.batch,
        args.rounds,
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
    );
    println!("{:>5} {:>14} {:>14} {:>7}", "round", "store ev/s", "plain ev/s", "ratio");
    let (mut store_rates, mut plain_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut store_latency = new_histogram();
    let mut plain_latency = new_histogram();
    for round in 1..=args.rounds {
        let before = max_position(&scratch.pool).await?;
        let ours = store_side(&store, &args, appends_per_writer).await?;
        let batches = written_batches(&scratch.pool, before).await?;
        let plain = plain_side(&scratch.pool, batches, args.writers).await?;
        let ratio = ours.events_per_sec / plain.events_per_sec;
        println!("{round:>5} {:>14.0} {:>14.0} {ratio:>7.2}", ours.events_per_sec, plain.events_per_sec);
        store_rates.push(ours.events_per_sec);
        plain_rates.push(plain.events_per_sec);
        ratios.push(ratio);
        store_latency.add(&ours.latency)?;
        plain_latency.add(&plain.latency)?;
    }
    println!(
        "median {:>13.0} {:>14.0} {:>7.2}",
        super::median(&mut store_rates),
        super::median(&mut plain_rates),
        super::median(&mut ratios)
    );
    for (name, h) in [("store", &store_latency), ("plain", &plain_latency)] {
        println!(
            "{name} append latency: p50 {:.2} ms, p99 {:.2} ms ({} appends)",
            ms(h.value_at_quantile(0.5)),
            ms(h.value_at_quantile(0.99)),
            h.len()
        );
    }
    store.pool().close().await;
    scratch.drop().await
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

#[expect(clippy::cast_precision_loss, reason = "microseconds to milliseconds for display")]
fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn record(h: &mut Histogram<u64>, elapsed: Duration) {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    h.saturating_record(micros);
}

#[expect(clippy::cast_precision_loss, reason = "event counts are far below 2^52")]
fn rate(events: usize, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64()
}

/// A realistic mix: every other event carries personal data (discovery, drafts), the rest are
/// decision-bearing events without any.
fn batch_events(batch: usize, stream: Uuid) -> Vec<NewEvent> {
    (0..batch)
        .map(|i| {
            let payload: Value = if i % 2 == 0 {
                json!({
                    "source": "csv", "source_ref": format!("import.csv:{i}"), "campaign_id": stream,
                    "name": {"$pii": "Ada Lovelace"}, "profile_url": {"$pii": "https://linkedin.com/in/ada-lovelace"},
                    "email": {"$pii": "ada@example.com"}, "position": "Head of Partnerships", "company": "Analytical Engines Ltd"
                })
            } else {
                json!({
                    "classification": "Speaker",
                    "decision": {
                        "kind": "classification", "based_on": [stream], "output": "Speaker", "confidence": 0.87,
                        "factors": [{"name": "title_mentions_speaker", "value": "true", "contribution": 2.5},
                                    {"name": "company_is_sponsor_tier", "value": "false", "contribution": -0.5}],
                        "rationale": "speaker page listing and title", "decided_by": {"kind": "agent", "id": "lead_finder"},
                        "engine": {"engine": "rules", "policy_version": "rules-1"}, "propensity": null
                    }
                })
            };
            NewEvent { event_type: if i % 2 == 0 { "LeadDiscovered" } else { "LeadClassified" }.to_owned(), schema_version: 1, payload }
        })
        .collect()
}

async fn store_side(store: &Store, args: &AppendBench, appends: usize) -> anyhow::Result<Side> {
    let streams: Vec<Uuid> = (0..args.streams).map(|_| Uuid::new_v4()).collect();
    let streams = Arc::new(streams);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..args.writers {
        let (store, streams, batch, writers) = (store.clone(), Arc::clone(&streams), args.batch, args.writers);
        tasks.push(tokio::spawn(async move {
            let mine: Vec<Uuid> = streams.iter().copied().skip(writer).step_by(writers).collect();
            let mut versions = vec![0_i64; mine.len()];
            let mut latency = new_histogram();
            for i in 0..appends {
                let slot = i % mine.len();
                let append = StreamAppend {
                    stream_type: "lead".to_owned(),
                    stream_id: mine[slot],
                    expected_version: versions[slot],
                    events: batch_events(batch, mine[slot]),
                };
                let ctx = CommandContext::new(Actor::system(), Utc::now());
                let t = Instant::now();
                store.append(&ctx, vec![append]).await?;
                record(&mut latency, t.elapsed());
                versions[slot] += i64::try_from(batch).unwrap_or(i64::MAX);
            }
            anyhow::Ok(latency)
        }));
    }
    let mut latency = new_histogram();
    for task in tasks {
        latency.add(&task.await??)?;
    }
    Ok(Side { events_per_sec: rate(appends * args.writers * args.batch, started.elapsed()), latency })
}

async fn max_position(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events").fetch_one(pool).await?)
}

type StoredRow = (Uuid, String, Uuid, i64, String, i32, Value, Value, Vec<u8>, Vec<u8>);

/// The rows the store side just wrote, grouped by the append (transaction) that wrote them.
async fn written_batches(pool: &PgPool, after: i64) -> anyhow::Result<Vec<Vec<StoredRow>>> {
    let rows = sqlx::query(
        "SELECT transaction_id::text AS tx, event_id, stream_type, stream_id, stream_version, event_type, schema_version,
                payload, metadata, prev_hash, hash
         FROM events WHERE global_position > $1 ORDER BY transaction_id, global_position",
    )
    .bind(after)
    .fetch_all(pool)
    .await?;
    let mut batches: Vec<Vec<StoredRow>> = Vec::new();
    let mut last_tx = String::new();
    for row in rows {
        let tx: String = row.get("tx");
        if tx != last_tx || batches.is_empty() {
            batches.push(Vec::new());
            last_tx = tx;
        }
        batches.last_mut().expect("pushed above").push((
            row.get("event_id"),
            row.get("stream_type"),
            row.get("stream_id"),
            row.get("stream_version"),
            row.get("event_type"),
            row.get("schema_version"),
            row.get("payload"),
            row.get("metadata"),
            row.get("prev_hash"),
            row.get("hash"),
        ));
    }
    Ok(batches)
}

async fn plain_side(pool: &PgPool, batches: Vec<Vec<StoredRow>>, writers: usize) -> anyhow::Result<Side> {
    let events: usize = batches.iter().map(Vec::len).sum();
    let mut per_writer: Vec<Vec<Vec<StoredRow>>> = (0..writers).map(|_| Vec::new()).collect();
    for (i, batch) in batches.into_iter().enumerate() {
        per_writer[i % writers].push(batch);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mine in per_writer {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut latency = new_histogram();
            for batch in mine {
                let t = Instant::now();
                let mut insert = QueryBuilder::new(
                    "INSERT INTO bench_plain (event_id, stream_type, stream_id, stream_version, event_type, schema_version, \
                     payload, metadata, prev_hash, hash) ",
                );
                insert.push_values(batch, |mut row, r| {
                    row.push_bind(r.0).push_bind(r.1).push_bind(r.2).push_bind(r.3).push_bind(r.4);
                    row.push_bind(r.5).push_bind(r.6).push_bind(r.7).push_bind(r.8).push_bind(r.9);
                });
                insert.build().execute(&pool).await?;
                record(&mut latency, t.elapsed());
            }
            anyhow::Ok(latency)
        }));
    }
    let mut latency = new_histogram();
    for task in tasks {
        latency.add(&task.await??)?;
    }
    Ok(Side { events_per_sec: rate(events, started.elapsed()), latency })
}
