//! `reachspark bench projections`: seed a realistic log, then time (a) reading and decoding the
//! whole log alone and (b) a full rebuild of every read model, side by side in each round.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use rand::SeedableRng;
use reachspark_domain::Actor;
use reachspark_projections::rebuild::rebuild;
use reachspark_projections::workload::{account_registered, lead_story};
use reachspark_projections::{runner, Envelope};
use reachspark_store::{CommandContext, MasterKey, NewEvent, Position, Store, StreamAppend};
use uuid::Uuid;

use super::scratch::Scratch;
use crate::config::ProjectionsBench;
use crate::database::Database;

const WRITERS: usize = 8;
const LEADS_PER_ACCOUNT: u64 = 500;

#[expect(clippy::cast_precision_loss, reason = "event counts are far below 2^52")]
fn rate(events: u64, secs: f64) -> f64 {
    events as f64 / secs
}

pub(super) async fn run(database: &Database, args: ProjectionsBench) -> anyhow::Result<()> {
    anyhow::ensure!(args.rounds > 0 && args.batch > 0, "rounds and batch must be positive");
    let scratch = Scratch::create(database, 16).await?;
    let store = Store::new(scratch.pool.clone(), MasterKey::generate()).await?;
    let seeded = seed(&store, args.events).await?;
    let all = reachspark_projections::all();
    runner::ensure_ready(&store, &all).await?;
    println!(
        "bench projections: {seeded} events, {} read models ({}), batch {}, {} rounds, {} CPUs",
        all.len(),
        all.iter().map(|p| p.name()).collect::<Vec<_>>().join(", "),
        args.batch,
        args.rounds,
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
    );
    println!("{:>5} {:>16} {:>16} {:>7}", "round", "read-only ev/s", "rebuild ev/s", "ratio");
    let (mut reads, mut rebuilds, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=args.rounds {
        let started = Instant::now();
        let mut cursor = Position::START;
        let mut read = 0_u64;
        let (mut fetching, mut opening, mut decoding) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        loop {
            let t = Instant::now();
            let sealed = store.read_all_sealed(cursor, args.batch).await?;
            fetching += t.elapsed();
            let Some(last) = sealed.last() else { break };
            cursor = last.position();
            read += sealed.len() as u64;
            let t = Instant::now();
            let events = store.open_personal_data(sealed).await?;
            opening += t.elapsed();
            let t = Instant::now();
            for event in events {
                Envelope::decode(event)?;
            }
            decoding += t.elapsed();
        }
        let read_rate = rate(read, started.elapsed().as_secs_f64());
        tracing::info!(
            fetch_ms = fetching.as_millis(),
            open_ms = opening.as_millis(),
            decode_ms = decoding.as_millis(),
            "read-only pass"
        );
        let report = rebuild(&store, &all, args.batch, |_| {}).await?;
        let rebuild_rate = rate(report.events, report.elapsed.as_secs_f64());
        let per_model: Vec<String> =
            report.apply_time.iter().map(|(name, t)| format!("{name} {:.2}s", t.as_secs_f64())).collect();
        tracing::info!(total_s = report.elapsed.as_secs_f64(), apply = per_model.join(", "), "rebuild");
        println!("{round:>5} {read_rate:>16.0} {rebuild_rate:>16.0} {:>7.2}", rebuild_rate / read_rate);
        reads.push(read_rate);
        rebuilds.push(rebuild_rate);
        ratios.push(rebuild_rate / read_rate);
    }
    println!(
        "median {:>15.0} {:>16.0} {:>7.2}",
        super::median(&mut reads),
        super::median(&mut rebuilds),
        super::median(&mut ratios)
    );
    store.pool().close().await;
    scratch.drop().await
}

/// Appends about `target` events: sender accounts, then lead stories whose send slots land on
/// their account in the same command, from several writers at once.
async fn seed(store: &Store, target: usize) -> anyhow::Result<u64> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let store = store.clone();
        let share = target / WRITERS;
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(writer as u64);
            let campaign = Uuid::new_v4();
            let now = Utc::now();
            let ctx = || CommandContext::new(Actor::agent("lead_finder"), now);
            let mut written = 0_usize;
            let mut lead_no = 0_u64;
            let mut account = (Uuid::new_v4(), 0_i64);
            while written < share {
                if lead_no % LEADS_PER_ACCOUNT == 0 {
                    account = (Uuid::new_v4(), 1);
                    let registered = NewEvent::from_domain(&account_registered(now))?;
                    store.append(&ctx(), vec![stream("sender_account", account.0, 0, vec![registered])]).await?;
                    written += 1;
                }
                let n = (writer as u64) << 40 | lead_no;
                let (lead, slots) = lead_story(&mut rng, n, campaign, account.0, now);
                let lead_events = lead.iter().map(NewEvent::from_domain).collect::<Result<Vec<_>, _>>()?;
                let slot_events = slots.iter().map(NewEvent::from_domain).collect::<Result<Vec<_>, _>>()?;
                let (lead_count, slot_count) = (lead_events.len(), slot_events.len());
                store
                    .append(
                        &ctx(),
                        vec![
                            stream("lead", Uuid::new_v4(), 0, lead_events),
                            stream("sender_account", account.0, account.1, slot_events),
                        ],
                    )
                    .await?;
                account.1 += i64::try_from(slot_count).context("slot count")?;
                written += lead_count + slot_count;
                lead_no += 1;
            }
            anyhow::Ok(written as u64)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    tracing::info!(events = total, seconds = started.elapsed().as_secs_f64(), "seeded");
    // Let the gap-free reader see everything before timing it.
    while store.head_position().await?.global_position == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Ok(total)
}

fn stream(stream_type: &str, stream_id: Uuid, expected_version: i64, events: Vec<NewEvent>) -> StreamAppend {
    StreamAppend { stream_type: stream_type.to_owned(), stream_id, expected_version, events }
}
