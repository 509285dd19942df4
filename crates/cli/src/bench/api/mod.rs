//! `reachspark bench api`: our GraphQL reads against PostGraphile v5 serving the same `read`
//! schema of the same database, in the same run, under the same load from `wrk`.
//!
//! Seeds realistic lead stories, rebuilds every read model, starts both servers as child
//! processes, checks that both answer the same rows, then in each round loads each server with
//! each read for `--duration`, alternating which server goes first. Prints requests/s and
//! p50/p99 per run, the ratios, and their medians.

mod cpu;
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

use self::cpu::CpuMeter;
use self::servers::Server;
use self::table::{Measured, Table};
use self::wrk::Wrk;
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
    let targets = [
        Target { server: &ours, authorization: Some(&token), meter: CpuMeter::new(ours.pid(), "reachspark") },
        Target { server: &theirs, authorization: None, meter: CpuMeter::new(theirs.pid(), "postgraphile") },
    ];
    let outcome = measure(&args, &wrk, &scratch.pool, &bodies, targets).await;
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

/// One server under load: where it is, how requests authenticate, how its CPU is read.
struct Target<'a> {
    server: &'a Server,
    authorization: Option<&'a str>,
    meter: CpuMeter,
}

impl Target<'_> {
    fn bodies<'b>(&self, read: &'b queries::Bodies) -> &'b std::path::Path {
        if self.authorization.is_some() {
            &read.ours
        } else {
            &read.theirs
        }
    }

    async fn load(
        &self,
        wrk: &Wrk,
        pool: &sqlx::PgPool,
        read: &queries::Bodies,
        duration: std::time::Duration,
    ) -> anyhow::Result<Measured> {
        let start = self.meter.mark(pool).await;
        let load = wrk.run(&self.server.url, self.authorization, self.bodies(read), duration).await?;
        let end = self.meter.mark(pool).await;
        if let Some(problem) = load.problem() {
            anyhow::bail!("{}, {}: {problem}", read.read.name(), self.server.name);
        }
        Ok(Measured { cpu: self.meter.cost(&start, &end, load.requests()), load })
    }
}

async fn measure(
    args: &ApiBench,
    wrk: &Wrk,
    pool: &sqlx::PgPool,
    bodies: &[queries::Bodies],
    targets: [Target<'_>; 2],
) -> anyhow::Result<Table> {
    let http = reqwest::Client::new();
    for read in bodies {
        let rows = verify(&http, read, &targets).await?;
        tracing::info!(read = read.read.name(), rows_per_answer = rows, "both servers answer the same rows");
        for target in &targets {
            target.load(wrk, pool, read, WARM_UP).await?;
        }
    }
    let mut table = Table::default();
    for round in 1..=args.rounds {
        for read in bodies {
            let order = if round % 2 == 1 { [0, 1] } else { [1, 0] };
            let mut results = [None, None];
            for side in order {
                let measured = targets[side].load(wrk, pool, read, args.duration.into()).await;
                results[side] = Some(measured.with_context(|| format!("round {round}"))?);
            }
            let [Some(ours), Some(theirs)] = results else { unreachable!("both sides ran") };
            table.push(round, read.read, ours, theirs);
        }
        // A server that fails under load must not count as fast: check the answers again.
        for read in bodies {
            verify(&http, read, &targets).await?;
        }
    }
    Ok(table)
}

async fn verify(http: &reqwest::Client, read: &queries::Bodies, targets: &[Target<'_>; 2]) -> anyhow::Result<f64> {
    let token = targets[0].authorization.unwrap_or_default().trim_start_matches("Bearer ");
    read.verify(http, (&targets[0].server.url, token), &targets[1].server.url).await
}
