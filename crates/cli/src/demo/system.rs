//! The whole system in one process on the demo's clock: the projections, and the API on a
//! loopback port with a token secret made for the run. The agents reach it over HTTP like any
//! other client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use reachspark_agents::channels::ManualClock;
use reachspark_api::auth::{issue_hs256, AgentName, AuthConfig, Authenticator, Claims, Role};
use reachspark_api::http::{Limits, RateLimit};
use reachspark_api::{router, AppState};
use reachspark_projections::runner::{self, RunnerConfig};
use reachspark_store::Store;
use secrecy::SecretString;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Simulated time, shared by the API (command times), the sandbox channel (reply delays) and
/// the agents (daily schedules, due follow-ups). It moves only when the demo moves it.
#[derive(Debug)]
pub(super) struct DemoClock(ManualClock);

impl DemoClock {
    pub(super) fn new(start: DateTime<Utc>) -> Self {
        Self(ManualClock::new(start))
    }

    pub(super) fn set(&self, to: DateTime<Utc>) {
        self.0.set(to);
    }
}

impl reachspark_api::clock::Clock for DemoClock {
    fn now(&self) -> DateTime<Utc> {
        reachspark_agents::channels::Clock::now(&self.0)
    }
}

impl reachspark_agents::channels::Clock for DemoClock {
    fn now(&self) -> DateTime<Utc> {
        reachspark_agents::channels::Clock::now(&self.0)
    }
}

/// The running projections and API.
pub(super) struct System {
    pub(super) base: String,
    secret: SecretString,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl System {
    pub(super) async fn start(store: Store, clock: Arc<DemoClock>) -> anyhow::Result<Self> {
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();
        let projections = reachspark_projections::all();
        runner::ensure_ready(&store, &projections).await.context("creating the read models")?;
        for projection in projections {
            let (store, stop) = (store.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let name = projection.name();
                if let Err(err) = runner::run(store, projection, RunnerConfig::default(), stop).await {
                    tracing::error!(projection = name, error = %err, "projection runner failed");
                }
            }));
        }

        let mut bytes = [0_u8; 48];
        rand::thread_rng().fill_bytes(&mut bytes);
        let secret = SecretString::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let auth = Authenticator::new(AuthConfig::from_sources(Some(secret.clone()), None)?);
        // The agents are the only callers, and they run as fast as the machine lets them.
        let unlimited = std::num::NonZeroU32::new(1_000_000).context("rate")?;
        let limits = Limits { rate: RateLimit { per_second: unlimited, burst: unlimited }, ..Limits::default() };
        let app = router(AppState::new(store, Some(auth)).with_limits(limits).with_clock(clock));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let server_stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let serve = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move { server_stop.cancelled().await });
            if let Err(err) = serve.await {
                tracing::error!(error = %err, "demo API server failed");
            }
        }));
        Ok(Self { base: format!("http://{address}"), secret, stop, tasks })
    }

    /// A token for `sub` in `role` (for one agent when `agent` is given), with the `pii` scope:
    /// the agents and the demo's operator read names and addresses to do their work.
    pub(super) fn token(&self, role: Role, agent: Option<AgentName>, sub: &str) -> anyhow::Result<SecretString> {
        let iat = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims = Claims { sub: sub.to_owned(), role, agent, scope: vec!["pii".to_owned()], exp: iat + 86_400, iat };
        Ok(SecretString::from(issue_hs256(&claims, &self.secret)?))
    }

    pub(super) async fn stop(self) {
        self.stop.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
