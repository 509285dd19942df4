//! `reachspark bench api`: our GraphQL reads against PostGraphile v5 serving the same `read`
//! schema of the same database, in the same run, under the same load from `wrk`.
//!
//! Seeds realistic lead stories, rebuilds every read model, starts both servers as child
//! processes, checks that both answer the same rows, then in each round loads each server with
//! each read for `--duration`, alternating which server goes first. Prints requests/s and
//! p50/p99 per run, the ratios, and their medians.

mod queries;
mod servers;
mod table;
mod wrk;

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use rand::distributions::{Alphanumeric, DistString as _};
use reachspark_api::auth::{issue_hs256, Claims, Role};
use reachspark_projections::rebuild::rebuild;
use reachspark_store::{MasterKey, Store};
use secrecy::SecretString;

use self::servers::Server;
use self::table::Table;
use self::wrk::{LoadResult, Wrk};
use super::scratch::Scratch;
use super::seed::{self, Until};
use crate::config::ApiBench;
use crate::database::Database;

/// A short unmeasured load per server and read before the rounds: pools fill, node's JIT warms.
const WARM_UP: std::time::Duration = std::time::Duration::from_secs(3);

pub(super) async fn run(database: &Database, args: ApiBench) -> anyhow::Result<()> {
    anyhow::ensure!(args.rounds > 0 && args.connections > 0 && args.threads > 0, "rounds, connections, threads > 0");
    let dir = tempfile::Builder::new().prefix("reachspark-bench-api").tempdir()?;
    let wrk = Wrk::new(dir.path(), args.threads, args.connections)?;
    let install = servers::install_postgraphile(args.postgraphile_dir.clone()).await?;
    let (node, postgraphile) = servers::postgraphile_versions(&install).await?;

    let scratch = match &args.reuse {
        Some(name) => Scratch::existing(database, name, 16).await?,
        None => Scratch::create(database, 16).await?,
    };
    let master_key = MasterKey::generate();
    let master_key_text = master_key.to_base64();
    let store = Store::new(scratch.pool.clone(), master_key).await?;
    if args.reuse.is_none() {
        let seeded = seed::lead_stories(&store, Until::Leads(args.leads)).await?;
        let report = rebuild(&store, &reachspark_projections::all(), 5_000, |_| {}).await?;
        tracing::info!(events = seeded.events, rebuild_s = report.elapsed.as_secs_f64(), "read models caught up");
    }
    sqlx::query(queries::POSTGRAPHILE_INDEX).execute(&scratch.pool).await?;
    sqlx::query("VACUUM ANALYZE read.leads, read.decisions").execute(&scratch.pool).await?;
    let (leads, decisions): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM read.leads), (SELECT count(*) FROM read.decisions)")
            .fetch_one(&scratch.pool)
            .await?;
    let bodies = queries::prepare(&scratch.pool, dir.path()).await?;

    let jwt_secret = SecretString::from(Alphanumeric.sample_string(&mut rand::thread_rng(), 64));
    let token = format!("Bearer {}", mint(&jwt_secret)?);
    let url = scratch.url()?;
    let ours = Server::ours(&url, &master_key_text, &jwt_secret, args.pool, dir.path()).await?;
    let theirs = Server::postgraphile(&install, &url, args.pool, dir.path()).await?;
    let outcome = measure(&args, &wrk, &bodies, (&ours, &token), &theirs).await;
    ours.stop().await;
    theirs.stop().await;
    let table = outcome?;

    println!(
        "bench api: {leads} leads, {decisions} decisions; {} connections, {} wrk threads, {}s per run, {} rounds, \
         pools of {}; PostGraphile {postgraphile} on node {node}; {} CPUs",
        args.connections,
        args.threads,
        args.duration.as_secs(),
        args.rounds,
        args.pool,
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
    );
    table.print();
    store.pool().close().await;
    if args.keep || args.reuse.is_some() {
        println!("kept database {} (reuse it with --reuse {})", scratch.name(), scratch.name());
        scratch.keep().await;
        Ok(())
    } else {
        scratch.drop().await
    }
}

/// A day-long token for the auditor role (reads leads and decision chains, personal data masked).
fn mint(secret: &SecretString) -> anyhow::Result<String> {
    let iat = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims =
        Claims { sub: "bench".to_owned(), role: Role::Auditor, agent: None, scope: vec![], exp: iat + 86_400, iat };
    issue_hs256(&claims, secret).context("minting the bench token")
}

async fn measure(
    args: &ApiBench,
    wrk: &Wrk,
    bodies: &[queries::Bodies],
    ours: (&Server, &str),
    theirs: &Server,
) -> anyhow::Result<Table> {
    let http = reqwest::Client::new();
    let token = ours.1.trim_start_matches("Bearer ");
    for read in bodies {
        let rows = read.verify(&http, (&ours.0.url, token), &theirs.url).await?;
        tracing::info!(read = read.read.name(), rows_per_answer = rows, "both servers answer the same rows");
        wrk.run(&ours.0.url, Some(ours.1), &read.ours, WARM_UP).await?;
        wrk.run(&theirs.url, None, &read.theirs, WARM_UP).await?;
    }
    let mut table = Table::default();
    for round in 1..=args.rounds {
        for read in bodies {
            let mut results: [Option<LoadResult>; 2] = [None, None];
            let order = if round % 2 == 1 { [0, 1] } else { [1, 0] };
            for side in order {
                let result = if side == 0 {
                    wrk.run(&ours.0.url, Some(ours.1), &read.ours, args.duration.into()).await?
                } else {
                    wrk.run(&theirs.url, None, &read.theirs, args.duration.into()).await?
                };
                if let Some(problem) = result.problem() {
                    let server = if side == 0 { ours.0.name } else { theirs.name };
                    anyhow::bail!("round {round}, {}, {server}: {problem}", read.read.name());
                }
                results[side] = Some(result);
            }
            let [Some(mine), Some(other)] = results else { unreachable!("both sides ran") };
            table.push(round, read.read, mine, other);
        }
        read_again(&http, bodies, ours, theirs).await?;
    }
    Ok(table)
}

/// After each round, the answers are checked again: a server that fails under load must not
/// be counted as fast.
async fn read_again(
    http: &reqwest::Client,
    bodies: &[queries::Bodies],
    ours: (&Server, &str),
    theirs: &Server,
) -> anyhow::Result<()> {
    let token = ours.1.trim_start_matches("Bearer ");
    for read in bodies {
        read.verify(http, (&ours.0.url, token), &theirs.url).await?;
    }
    Ok(())
}
