//! `reachspark bench mutations`: commands through the API (HTTP, token check, rate limiter,
//! GraphQL, validation, the aggregate, the store) against the same commands through the
//! store's own command path in-process, side by side in rounds. The command is
//! `registerSenderAccount`: it validates its input, loads an (empty) stream, decides, and
//! appends one event, so neither side waits on another's stream.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use hdrhistogram::Histogram;
use reachspark_api::auth::{issue_hs256, Claims, Role};
use reachspark_domain::sender_account::{Channel, RegisterSenderAccount, SendingLimits};
use reachspark_domain::{Actor, SenderAccount};
use reachspark_store::{CommandBus, CommandContext, MasterKey, Store};
use secrecy::{ExposeSecret as _, SecretString};
use uuid::Uuid;

use super::scratch::Scratch;
use super::server::Server;
use crate::config::MutationsBench;
use crate::database::Database;

const MUTATION: &str = r#"{"query":"mutation { registerSenderAccount(channel: LINKEDIN, provider: \"bench\") { version events { position } } }"}"#;

struct Side {
    per_sec: f64,
    latency: Histogram<u64>,
}

impl Side {
    fn p(&self, q: f64) -> f64 {
        Duration::from_micros(self.latency.value_at_quantile(q)).as_secs_f64() * 1e3
    }
}

pub(super) async fn run(database: &Database, args: MutationsBench) -> anyhow::Result<()> {
    anyhow::ensure!(args.connections > 0 && args.seconds > 0 && args.rounds > 0, "all positive");
    let scratch = Scratch::create(database, u32::try_from(args.connections + 2)?).await?;
    let key = MasterKey::generate().to_base64();
    let store = Store::new(scratch.pool.clone(), MasterKey::from_base64(&key)?).await?;
    let secret: String = rand::random::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect();
    let server = Server::spawn(scratch.url()?.expose_secret(), &key, &secret).await?;
    let now = u64::try_from(Utc::now().timestamp())?;
    let claims =
        Claims { sub: "bench".to_owned(), role: Role::Admin, agent: None, scope: vec![], exp: now + 86_400, iat: now };
    let token = issue_hs256(&claims, &SecretString::from(secret))?;
    let url = format!("http://{}/graphql", server.address);
    let duration = Duration::from_secs(args.seconds);
    println!(
        "bench mutations: registerSenderAccount, {} connections, {} s per side, {} rounds",
        args.connections, args.seconds, args.rounds
    );
    println!(
        "{:>5} {:>12} {:>16} {:>12} {:>16} {:>7}",
        "round", "api cmd/s", "api p50/p99 ms", "store cmd/s", "store p50/p99 ms", "ratio"
    );
    let (mut ratios, mut api_rates, mut api_p99s) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=args.rounds {
        let api = through_api(&url, &token, args.connections, duration).await?;
        let own = through_store(&store, args.connections, duration).await?;
        let ratio = api.per_sec / own.per_sec;
        println!(
            "{round:>5} {:>12.0} {:>7.1}/{:<8.1} {:>12.0} {:>7.1}/{:<8.1} {ratio:>7.2}",
            api.per_sec,
            api.p(0.5),
            api.p(0.99),
            own.per_sec,
            own.p(0.5),
            own.p(0.99)
        );
        ratios.push(ratio);
        api_rates.push(api.per_sec);
        api_p99s.push(api.p(0.99));
    }
    println!(
        "median: api {:.0} commands/s, p99 {:.1} ms; api/store ratio {:.2}",
        super::median(&mut api_rates),
        super::median(&mut api_p99s),
        super::median(&mut ratios)
    );
    server.stop().await?;
    scratch.drop().await
}

async fn through_api(url: &str, token: &str, connections: usize, duration: Duration) -> anyhow::Result<Side> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(connections).build()?;
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, url, token) = (client.clone(), url.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut latency = Histogram::<u64>::new(3)?;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let reply = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(MUTATION)
                    .send()
                    .await?;
                let status = reply.status();
                let body = reply.text().await?;
                anyhow::ensure!(
                    status.is_success() && !body.contains("\"errors\""),
                    "a command failed: {status} {body}"
                );
                latency.record(u64::try_from(sent.elapsed().as_micros())?)?;
            }
            Ok::<_, anyhow::Error>(latency)
        }));
    }
    collect(tasks, started).await
}

async fn through_store(store: &Store, connections: usize, duration: Duration) -> anyhow::Result<Side> {
    let bus = Arc::new(CommandBus::new(store.clone()));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let bus = bus.clone();
        tasks.push(tokio::spawn(async move {
            let mut latency = Histogram::<u64>::new(3)?;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let ctx = CommandContext::new(Actor::person("bench"), Utc::now());
                let command = RegisterSenderAccount {
                    channel: Channel::LinkedIn,
                    provider: "bench".to_owned(),
                    limits: SendingLimits::linkedin(),
                    at: ctx.occurred_at,
                };
                bus.execute::<SenderAccount>(&ctx, Uuid::new_v4(), Some(0), command.into())
                    .await
                    .context("a command failed")?;
                latency.record(u64::try_from(sent.elapsed().as_micros())?)?;
            }
            Ok::<_, anyhow::Error>(latency)
        }));
    }
    collect(tasks, started).await
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Histogram<u64>>>>,
    started: Instant,
) -> anyhow::Result<Side> {
    let mut latency = Histogram::<u64>::new(3)?;
    for task in tasks {
        latency.add(task.await??)?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    #[expect(clippy::cast_precision_loss, reason = "a count of commands, far below 2^52")]
    let per_sec = latency.len() as f64 / elapsed;
    Ok(Side { per_sec, latency })
}
