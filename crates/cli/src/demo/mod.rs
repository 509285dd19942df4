//! `reachspark demo`: the whole system on an accelerated clock. A fresh database (embedded by
//! default), the projections, the API on a loopback port, and the three agents as GraphQL
//! clients with their own tokens, working a sandbox world of synthetic people whose hidden
//! truth lets the run be graded. Simulated time moves in ticks through each working day;
//! at every tick the operator approves the drafts that wait for a person and the agents work
//! until the log is quiet, so a run is reproducible for a seed.

mod operator;
mod report;
mod system;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use reachspark_agents::bandit::Bandit;
use reachspark_agents::channels::{Channel, SandboxLinkedIn};
use reachspark_agents::client::ApiClient;
use reachspark_agents::config::SalesManagerConfig;
use reachspark_agents::lead_finder::{Discovery, LeadFinder};
use reachspark_agents::outreach::Outreach;
use reachspark_agents::runtime::{Agent, CheckpointFile, RetryPolicy, StepOutcome, Worker};
use reachspark_agents::sales_manager::SalesManager;
use reachspark_agents::sandbox::World;
use reachspark_agents::sources::sandbox::SandboxSource;
use reachspark_api::auth::{AgentName, Role};
use reachspark_store::{Position, Store};
use uuid::Uuid;

use self::operator::Operator;
use self::system::{DemoClock, System};
use crate::config::DemoArgs;
use crate::database::Database;

/// The first simulated day (a Monday), so that runs of a seed are the same to the byte.
fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default()
}

/// Working hours: the agents work between these, in ticks.
const DAY_STARTS: NaiveTime = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
const DAY_ENDS: NaiveTime = NaiveTime::from_hms_opt(18, 0, 0).unwrap();

pub(crate) async fn run(database: &Database, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.leads > 0 && args.days > 0 && args.accounts > 0,
        "--leads, --days and --accounts must be positive"
    );
    anyhow::ensure!((1..=240).contains(&args.tick_minutes), "--tick-minutes must be between 1 and 240");
    let name = format!("reachspark_demo_{}", args.seed);
    let scratch = database.scratch(&name).await?;
    let outcome = run_on(&scratch, args).await;
    if args.keep {
        println!("kept the demo's database `{name}` (same server as the product's)");
    } else {
        database.drop_scratch(&name).await?;
    }
    outcome
}

async fn run_on(database: &Database, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let store = database.store_with_pool(16).await?;
    let start = first_day().and_time(NaiveTime::MIN).and_utc();
    let clock = Arc::new(DemoClock::new(start));
    let system = System::start(store.clone(), clock.clone()).await?;
    let outcome = drive(&system, &store, &clock, args, started).await;
    system.stop().await;
    store.pool().close().await;
    outcome
}

/// Sets the campaign up, moves the clock through the days while the agents work, and reports.
async fn drive(
    system: &System,
    store: &Store,
    clock: &Arc<DemoClock>,
    args: &DemoArgs,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    // The operator reads the log for drafts to approve: an admin token.
    let mut operator = Operator::new(&system.base, system.token(Role::Admin, None, "demo-operator")?);
    let campaign = operator.create_campaign().await?;
    let accounts = operator.register_accounts(args.accounts).await?;
    let world = Arc::new(World::generate(args.seed, args.leads));
    tracing::info!(
        people = args.leads,
        days = args.days,
        accounts = args.accounts,
        seed = args.seed,
        api = %system.base,
        "demo started"
    );

    let campaign: Uuid = campaign.parse()?;
    let mut agents = Agents::start(system, &world, clock.clone(), campaign, args)?;
    for day in 0..args.days {
        let date = first_day() + TimeDelta::days(i64::from(day));
        let mut at = date.and_time(DAY_STARTS).and_utc();
        let end = date.and_time(DAY_ENDS).and_utc();
        while at <= end {
            clock.set(at);
            operator.approve_waiting().await?;
            agents.settle(store).await?;
            at += TimeDelta::minutes(i64::from(args.tick_minutes));
        }
        // The evening: replies that arrived after hours are read before the day closes.
        clock.set(date.and_hms_opt(23, 59, 0).context("time")?.and_utc());
        agents.settle(store).await?;
        tracing::info!(day = day + 1, elapsed = ?started.elapsed(), "simulated day done");
    }
    wait_for_projections(store).await?;
    let figures = report::gather(store, &world, campaign, &accounts, operator.approved, &agents.outreach, args).await?;
    print!("{}", figures.render(started.elapsed()));
    Ok(if figures.goals_met() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The three agents, each a GraphQL client with its own token and checkpoint file.
struct Agents {
    finder: Worker<LeadFinder>,
    manager: Worker<SalesManager>,
    outreach: Worker<Outreach>,
    _dir: tempfile::TempDir,
}

impl Agents {
    fn start(
        system: &System,
        world: &Arc<World>,
        clock: Arc<DemoClock>,
        campaign_id: Uuid,
        args: &DemoArgs,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let retry = RetryPolicy { attempts: 3, base_delay: Duration::from_millis(20), batch: 100 };
        let client = |agent: AgentName| -> anyhow::Result<ApiClient> {
            Ok(ApiClient::new(&system.base, system.token(Role::Agent, Some(agent), agent.as_str())?)?)
        };
        let file = |name: &str| CheckpointFile::new(dir.path().join(format!("{name}.json")));
        // Discovery runs in the first half of the run, so the backlog outgrows the budgets
        // and the Sales Manager has to choose.
        let search_days = usize::try_from(args.days.div_ceil(2)).unwrap_or(1).max(1);
        let discovery = Discovery {
            source: SandboxSource::new(world.clone(), args.leads),
            campaign_id,
            per_day: args.leads.div_ceil(search_days),
            clock: clock.clone(),
        };
        let finder = Worker::new(
            LeadFinder::new().with_discovery(discovery),
            client(AgentName::LeadFinder)?,
            file("lead_finder"),
            retry,
        )?;
        let manager = Worker::new(
            SalesManager::new(SalesManagerConfig::default(), clock.clone()),
            client(AgentName::SalesManager)?,
            file("sales_manager"),
            retry,
        )?;
        let channel: Arc<dyn Channel> = Arc::new(SandboxLinkedIn::new(world.clone(), clock.clone()));
        let start = reachspark_agents::channels::Clock::now(clock.as_ref());
        let outreach = Outreach::new(channel, Bandit::default(), 0.5, start).with_clock(clock);
        let outreach = Worker::new(outreach, client(AgentName::Outreach)?, file("outreach"), retry)?;
        Ok(Self { finder, manager, outreach, _dir: dir })
    }

    /// Steps every agent until none has anything left to do and each has read the log to its
    /// end. The log's readers see a commit once every older transaction has ended, and the
    /// projections write beside the agents, so an idle step alone does not prove the log is
    /// read: the cursors must have reached the last committed position too.
    async fn settle(&mut self, store: &Store) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let round = work(drain(&mut self.finder).await?)
                + work(drain(&mut self.manager).await?)
                + work(drain(&mut self.outreach).await?);
            total += round;
            if round > 0 {
                continue;
            }
            let head = committed_head(store).await?;
            let behind = [self.finder.checkpoint(), self.manager.checkpoint(), self.outreach.checkpoint()]
                .iter()
                .any(|c| c.cursor.as_deref().and_then(|c| c.parse::<Position>().ok()).is_none_or(|p| p < head));
            if !behind {
                return Ok(total);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

async fn drain<A: Agent>(worker: &mut Worker<A>) -> anyhow::Result<StepOutcome> {
    worker.drain().await.with_context(|| format!("the {} agent failed", worker.agent().name()))
}

fn work(outcome: StepOutcome) -> usize {
    outcome.processed + outcome.polled
}

/// The last committed position of the log (whether or not older transactions still run).
async fn committed_head(store: &Store) -> anyhow::Result<Position> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT transaction_id::text::bigint, global_position FROM events
         ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map_or(Position::START, |(transaction_id, global_position)| Position { transaction_id, global_position }))
}

/// Waits until every projection has applied the whole log, so the report reads final figures.
async fn wait_for_projections(store: &Store) -> anyhow::Result<()> {
    let head = committed_head(store).await?;
    for _ in 0..3000 {
        let (behind, failed): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE (transaction_id, global_position) < ($1, $2)),
                    count(*) FILTER (WHERE state = 'failed')
             FROM read.projection_checkpoints",
        )
        .bind(head.transaction_id)
        .bind(head.global_position)
        .fetch_one(store.pool())
        .await?;
        anyhow::ensure!(failed == 0, "a projection failed; see `reachspark projections status`");
        if behind == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("the projections did not catch up with the log within 30 s")
}

/// When the run's simulated time ends.
pub(super) fn last_instant(days: u32) -> DateTime<Utc> {
    (first_day() + TimeDelta::days(i64::from(days))).and_time(NaiveTime::MIN).and_utc()
}
