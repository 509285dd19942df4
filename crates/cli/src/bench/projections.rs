//! `reachspark bench projections`: seed a realistic log, then time (a) reading, opening and
//! decoding the whole log alone, through the rebuild's reader, and (b) a full rebuild of every
//! read model, side by side in each round.

use anyhow::Context as _;

use reachspark_projections::rebuild::rebuild;
use reachspark_projections::runner;
use reachspark_store::{MasterKey, Store};

use super::scratch::Scratch;
use super::seed::{self, Until};
use crate::config::ProjectionsBench;
use crate::database::Database;

#[expect(clippy::cast_precision_loss, reason = "event counts are far below 2^52")]
fn rate(events: u64, secs: f64) -> f64 {
    events as f64 / secs
}

pub(super) async fn run(database: &Database, args: ProjectionsBench) -> anyhow::Result<()> {
    anyhow::ensure!(args.rounds > 0 && args.batch > 0, "rounds and batch must be positive");
    let scratch = match &args.reuse {
        Some(name) => Scratch::existing(database, name, 16).await?,
        None => Scratch::create(database, 16).await?,
    };
    let store = Store::new(scratch.pool.clone(), bench_master_key(&scratch.pool, args.reuse.is_some()).await?).await?;
    let seeded = match args.reuse {
        Some(_) => {
            let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(store.pool()).await?;
            u64::try_from(events)?
        }
        None => seed::lead_stories(&store, Until::Events(args.events)).await?.events,
    };
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
        // Reading alone is the rebuild's own reader (pages fetched, opened and decoded on both
        // cores at once) with no read model to apply them to.
        let reading = rebuild(&store, &[], args.batch, |_| {}).await?;
        let read_rate = rate(reading.events, reading.elapsed.as_secs_f64());
        let report = rebuild(&store, &all, args.batch, |_| {}).await?;
        let rebuild_rate = rate(report.events, report.elapsed.as_secs_f64());
        let per_model: Vec<String> =
            report.apply_time.iter().map(|(name, t)| format!("{name} {:.2}s", t.as_secs_f64())).collect();
        tracing::info!(
            total_s = report.elapsed.as_secs_f64(),
            swapped_s = report.swapped.as_secs_f64(),
            apply = per_model.join(", "),
            "rebuild"
        );
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
    if args.keep || args.reuse.is_some() {
        println!("kept database {} (reuse it with --reuse {})", scratch.name(), scratch.name());
        scratch.keep().await;
        return Ok(());
    }
    scratch.drop().await
}

/// The scratch database's master key: a fresh one kept in the database itself (a bench
/// database holds only generated people), so a kept database can be opened again with --reuse.
async fn bench_master_key(pool: &sqlx::PgPool, reuse: bool) -> anyhow::Result<MasterKey> {
    if reuse {
        let key: String = sqlx::query_scalar("SELECT key FROM bench_master_key")
            .fetch_one(pool)
            .await
            .context("not a database kept by `bench projections --keep`")?;
        return Ok(MasterKey::from_base64(&key)?);
    }
    let key = MasterKey::generate();
    sqlx::query("CREATE TABLE bench_master_key (key text NOT NULL)").execute(pool).await?;
    sqlx::query("INSERT INTO bench_master_key VALUES ($1)").bind(key.to_base64()).execute(pool).await?;
    Ok(key)
}
