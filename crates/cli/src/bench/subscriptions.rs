//! `reachspark bench subscriptions`: many WebSocket subscribers on the `events` subscription
//! while events are appended at a steady rate. Measures commit-to-delivery latency (the
//! appender notes the instant its append returned, the subscriber the instant the message
//! arrived, on the same clock) and the server's memory and CPU. The server runs as a child
//! process on a scratch database; appenders and subscribers share this process.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use futures::StreamExt;
use hdrhistogram::Histogram;
use reachspark_api::auth::{issue_hs256, Claims, Role};
use reachspark_domain::lead::{LeadEvent, LeadSource};
use reachspark_domain::{Actor, Pii};
use reachspark_store::{CommandContext, MasterKey, NewEvent, Position, Store, StreamAppend};
use secrecy::ExposeSecret as _;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::scratch::Scratch;
use super::server::Server;
use super::subscribers::{self, Seen};
use crate::config::SubscriptionsBench;
use crate::database::Database;

/// Sockets opened at once while connecting.
const CONNECTING: usize = 200;
/// How long after the last append subscribers may still receive.
const DRAIN: Duration = Duration::from_secs(5);

/// One appended event: where it went and when its append returned.
struct Commit {
    position: i64,
    stream: usize,
    at: Instant,
}

pub(super) async fn run(database: &Database, args: SubscriptionsBench) -> anyhow::Result<()> {
    anyhow::ensure!(args.subscribers > 0 && args.rate > 0 && args.seconds > 0 && args.writers > 0, "all positive");
    anyhow::ensure!(args.firehose <= args.subscribers, "--firehose cannot exceed --subscribers");
    let files = raise_open_files()?;
    anyhow::ensure!(
        files > args.subscribers as u64 + 256,
        "need more than {} open files, have {files}",
        args.subscribers
    );
    let scratch = Scratch::create(database, u32::try_from(args.writers + 4)?).await?;
    let key = MasterKey::generate().to_base64();
    let store = Store::new(scratch.pool.clone(), MasterKey::from_base64(&key)?).await?;
    let followed = args.subscribers - args.firehose;
    let streams: Vec<Uuid> = (0..followed.max(args.writers * 4)).map(|_| Uuid::new_v4()).collect();
    seed(&store, &streams).await?;
    reachspark_store::testing::settle(&store).await;
    let head = store.head_position().await?.to_string();

    let secret: String = rand::random::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect();
    let server = Server::spawn(scratch.url()?.expose_secret(), &key, &secret).await?;
    let idle = server.memory()?;
    let now = u64::try_from(Utc::now().timestamp())?;
    let claims = Claims {
        sub: "bench".to_owned(),
        role: Role::CrmSync,
        agent: None,
        scope: vec![],
        exp: now + 86_400,
        iat: now,
    };
    let token = issue_hs256(&claims, &SecretString::from(secret))?;
    println!(
        "bench subscriptions: {} subscribers ({} on every event, {followed} on one lead each), {} events/s for {} s, \
         {} writers, {} CPUs",
        args.subscribers,
        args.firehose,
        args.rate,
        args.seconds,
        args.writers,
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
    );

    let stop = CancellationToken::new();
    let started = Instant::now();
    let mut sockets: Vec<_> = futures::stream::iter(0..args.subscribers)
        .map(|i| {
            let stream = i.checked_sub(args.firehose).map(|s| streams[s]);
            let (address, token, head) = (server.address.clone(), token.clone(), head.clone());
            async move { (i, subscribers::connect(&address, &token, &head, stream).await) }
        })
        .buffer_unordered(CONNECTING)
        .collect()
        .await;
    // In subscriber order again: the first `firehose` follow everything, then one per stream.
    sockets.sort_unstable_by_key(|(i, _)| *i);
    let listeners = sockets
        .into_iter()
        .map(|(_, socket)| socket.map(|s| tokio::spawn(subscribers::listen(s, stop.clone()))))
        .collect::<anyhow::Result<Vec<_>>>()?;
    println!("connected {} subscribers in {:.1} s", listeners.len(), started.elapsed().as_secs_f64());
    // Let the last subscriptions register with the hub before the clock starts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let connected = server.memory()?;

    // The baseline: when each event becomes visible to a gap-free reader in this process,
    // which the appends wake directly (no NOTIFY hop, no hub, no socket).
    let baseline = tokio::spawn(visible(store.clone(), store.head_position().await?, stop.clone()));
    let cpu_before = server.cpu_seconds()?;
    let started = Instant::now();
    let commits = append(&store, &streams, &args).await?;
    let appending = started.elapsed();
    let cpu = server.cpu_seconds()? - cpu_before;
    let loaded = server.memory()?;
    tokio::time::sleep(DRAIN).await;
    stop.cancel();
    let mut seen = Vec::with_capacity(listeners.len());
    for listener in listeners {
        seen.push(listener.await?);
    }
    let end = server.memory()?;
    let visible = baseline.await??;
    report(&args, &commits, &seen, appending, cpu)?;
    report_baseline(&commits, &visible)?;
    println!(
        "server memory (RSS): {:.0} MiB idle, {:.0} MiB with the subscribers connected, {:.0} MiB after the appends, \
         {:.0} MiB peak",
        idle.rss, connected.rss, loaded.rss, end.peak
    );
    server.stop().await?;
    store.pool().close().await;
    scratch.drop().await
}

/// Raises the soft limit on open files to the hard limit (the server child inherits it).
fn raise_open_files() -> anyhow::Result<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).context("getrlimit")?;
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).context("setrlimit")?;
    Ok(hard)
}

/// One lead per stream, discovered (so each appended note lands on a real lead).
async fn seed(store: &Store, streams: &[Uuid]) -> anyhow::Result<()> {
    for chunk in streams.chunks(500) {
        let appends = chunk
            .iter()
            .enumerate()
            .map(|(n, id)| {
                let discovered = LeadEvent::LeadDiscovered {
                    source: LeadSource::Sandbox,
                    source_ref: Pii::new(format!("bench:{n}")),
                    campaign_id: Uuid::nil(),
                    name: Pii::new(format!("Person {n}")),
                    profile_url: None,
                    email: None,
                    position: "Head of Partnerships".to_owned(),
                    company: "Bench Ltd".to_owned(),
                    at: Utc::now(),
                };
                let events = vec![NewEvent::from_domain(&discovered)?];
                Ok(StreamAppend { stream_type: "lead".to_owned(), stream_id: *id, expected_version: 0, events })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        store.append(&CommandContext::new(Actor::system(), Utc::now()), appends).await?;
    }
    Ok(())
}

/// `args.writers` appenders, each owning every `writers`-th stream, together at `args.rate`.
async fn append(store: &Store, streams: &[Uuid], args: &SubscriptionsBench) -> anyhow::Result<Vec<Commit>> {
    let streams: Arc<[Uuid]> = streams.into();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let every = Duration::from_secs_f64(args.writers as f64 / args.rate as f64);
    let mut tasks = Vec::new();
    for writer in 0..args.writers {
        let (store, streams, writers) = (store.clone(), Arc::clone(&streams), args.writers);
        tasks.push(tokio::spawn(async move {
            let mine: Vec<usize> = (writer..streams.len()).step_by(writers).collect();
            let mut versions = vec![1_i64; mine.len()];
            let mut ticks = tokio::time::interval(every);
            let mut commits = Vec::new();
            for turn in 0.. {
                ticks.tick().await;
                if Instant::now() >= deadline {
                    break;
                }
                let slot = turn % mine.len();
                let note = LeadEvent::NoteAdded {
                    text: Pii::new(format!("bench note {turn}")),
                    author: Actor::agent("outreach"),
                    at: Utc::now(),
                };
                let append = StreamAppend {
                    stream_type: "lead".to_owned(),
                    stream_id: streams[mine[slot]],
                    expected_version: versions[slot],
                    events: vec![NewEvent::from_domain(&note)?],
                };
                let outcome =
                    store.append(&CommandContext::new(Actor::agent("outreach"), Utc::now()), vec![append]).await?;
                let at = Instant::now();
                versions[slot] += 1;
                let position = outcome.events.first().context("an appended event")?.global_position;
                commits.push(Commit { position, stream: mine[slot], at });
            }
            anyhow::Ok(commits)
        }));
    }
    let mut commits = Vec::new();
    for task in tasks {
        commits.extend(task.await??);
    }
    Ok(commits)
}

/// When each event after `from` became visible to this process's gap-free reader.
async fn visible(store: Store, from: Position, stop: CancellationToken) -> anyhow::Result<HashMap<i64, Instant>> {
    let mut seen = HashMap::new();
    let events = store.subscribe(from, 1_000);
    futures::pin_mut!(events);
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            () = stop.cancelled() => return Ok(seen),
        };
        let event = event.context("the log reader ended")??;
        seen.insert(event.global_position, Instant::now());
    }
}

fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 600_000_000, 3)?)
}

fn record(histogram: &mut Histogram<u64>, from: Instant, to: Instant) {
    let micros = u64::try_from(to.saturating_duration_since(from).as_micros()).unwrap_or(u64::MAX);
    histogram.saturating_record(micros.max(1));
}

#[expect(clippy::cast_precision_loss, reason = "microseconds far below 2^52, for display")]
fn quantiles(h: &Histogram<u64>) -> String {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    format!(
        "p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(0.999),
        h.max() as f64 / 1000.0
    )
}

fn report_baseline(commits: &[Commit], visible: &HashMap<i64, Instant>) -> anyhow::Result<()> {
    let mut latency = new_histogram()?;
    for commit in commits {
        if let Some(at) = visible.get(&commit.position) {
            record(&mut latency, commit.at, *at);
        }
    }
    println!(
        "baseline, commit to visible for a gap-free reader in the appending process ({} events): {}",
        latency.len(),
        quantiles(&latency)
    );
    Ok(())
}

#[expect(clippy::cast_precision_loss, reason = "counts far below 2^52, for display")]
fn report(
    args: &SubscriptionsBench,
    commits: &[Commit],
    seen: &[Seen],
    appending: Duration,
    cpu: f64,
) -> anyhow::Result<()> {
    let by_position: HashMap<i64, &Commit> = commits.iter().map(|c| (c.position, c)).collect();
    let mut latency = new_histogram()?;
    let (mut duplicates, mut misrouted, mut delivered) = (0_usize, 0_usize, 0_usize);
    for (i, subscriber) in seen.iter().enumerate() {
        let own = i.checked_sub(args.firehose);
        let mut once = HashSet::new();
        for (position, at) in &subscriber.deliveries {
            let Some(commit) = by_position.get(position) else { continue };
            if own.is_some_and(|s| s != commit.stream) {
                misrouted += 1;
            } else if !once.insert(*position) {
                duplicates += 1;
            } else {
                delivered += 1;
                record(&mut latency, commit.at, *at);
            }
        }
    }
    let followed = args.subscribers - args.firehose;
    let expected: usize = commits.iter().map(|c| usize::from(c.stream < followed) + args.firehose).sum();
    let problems: usize = seen.iter().map(|s| s.problems).sum();
    println!(
        "appended {} events in {:.1} s ({:.0}/s); server CPU {:.1} s ({:.2} cores) while appending",
        commits.len(),
        appending.as_secs_f64(),
        commits.len() as f64 / appending.as_secs_f64(),
        cpu,
        cpu / appending.as_secs_f64()
    );
    println!(
        "deliveries: {delivered} of {expected} expected (missing {}), {duplicates} duplicates, {misrouted} misrouted, \
         {problems} other messages",
        expected.saturating_sub(delivered)
    );
    println!("commit-to-delivery latency: {}", quantiles(&latency));
    Ok(())
}
