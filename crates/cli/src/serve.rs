//! `reachspark serve`: build (bind, migrate), then run until the shutdown future resolves, and
//! say which task ended and why.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use axum::serve::ListenerExt as _;
use reachspark_api::auth::{AuthConfig, Authenticator};
use reachspark_api::{router, AppState};
use reachspark_projections::runner::{self, RunnerConfig};
use reachspark_store::Store;
use tokio_util::sync::CancellationToken;

use crate::config::ServeArgs;
use crate::database::Database;

pub(crate) async fn run(
    database: &Database,
    args: &ServeArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = database.store_with_pool(args.db_connections).await?;
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("binding {}", args.listen))?;
    let address = listener.local_addr()?;
    let team = if args.agents { Some(in_process_agents(args, address)?) } else { None };
    tracing::info!(%address, "listening");

    let stop = CancellationToken::new();
    let checkpoints = tokio::spawn(checkpoint_loop(store.clone(), args.checkpoint_secs, stop.clone()));
    let projections = reachspark_projections::all();
    runner::ensure_ready(&store, &projections).await.context("creating the read models")?;
    let mut runners = Vec::new();
    for projection in projections {
        let name = projection.name();
        let task = tokio::spawn(runner::run(store.clone(), projection, RunnerConfig::default(), stop.clone()));
        runners.push((name, task));
    }
    let server_stop = stop.clone();
    let auth = match (&args.jwt_secret, &args.jwt_public_key) {
        (None, None) => {
            tracing::warn!("no REACHSPARK_JWT_SECRET or REACHSPARK_JWT_PUBLIC_KEY_PEM: /graphql authenticates nobody");
            None
        }
        (secret, key) => Some(Authenticator::new(
            AuthConfig::from_sources(secret.clone(), key.as_deref()).context("API token configuration")?,
        )),
    };
    let limits = args.limits();
    tracing::info!(
        body_limit_bytes = limits.body_bytes,
        rate_limit_per_sec = limits.rate.per_second,
        rate_limit_burst = limits.rate.burst,
        "HTTP limits"
    );
    let app = router(AppState::new(store, auth).with_limits(limits));
    let metrics_upkeep = tokio::spawn(metrics_upkeep(stop.clone()));
    // Subscriptions push many small messages: send each at once rather than wait for an ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
    });
    // The peer address keys the rate limit of callers without a valid token.
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move { server_stop.cancelled().await });

    // The agents stop first (each finishes the event in hand), then the server drains.
    let trigger = stop.clone();
    let agents = tokio::spawn(async move {
        let requested = async {
            tokio::select! {
                () = shutdown => tracing::info!("shutdown requested"),
                () = trigger.cancelled() => {}
            }
        };
        match team {
            Some(team) => {
                team.run(requested).await;
                tracing::info!("agents stopped");
            }
            None => requested.await,
        }
        tracing::info!("draining connections");
        trigger.cancel();
    });
    let served = server.await;
    stop.cancel();
    agents.await.context("agents task panicked")?;
    checkpoints.await.context("checkpoint task panicked")?;
    metrics_upkeep.await.context("metrics upkeep task panicked")?;
    for (name, task) in runners {
        match task.await {
            Ok(Ok(())) => tracing::info!(projection = name, "projection runner stopped"),
            Ok(Err(err)) => tracing::error!(projection = name, error = %err, "projection runner ended with an error"),
            Err(err) => tracing::error!(projection = name, error = %err, "projection runner panicked"),
        }
    }
    served.context("HTTP server failed")?;
    tracing::info!("HTTP server stopped");
    Ok(())
}

/// The agents as HTTP clients of this server's own address, with tokens minted from its HS256
/// secret.
fn in_process_agents(args: &ServeArgs, address: SocketAddr) -> anyhow::Result<reachspark_agents::runtime::Team> {
    let Some(secret) = &args.jwt_secret else {
        anyhow::bail!(
            "--agents needs REACHSPARK_JWT_SECRET: the server mints the agents' tokens with its HS256 secret, \
             and an RS256 public key cannot sign. Run `reachspark agents --api URL` with tokens from your \
             issuer in REACHSPARK_AGENT_TOKEN_LEAD_FINDER/_SALES_MANAGER/_OUTREACH instead"
        );
    };
    // A wildcard listen address is reached through loopback.
    let host = match address.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => std::net::Ipv4Addr::LOCALHOST.into(),
        ip if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    let api = format!("http://{}", SocketAddr::new(host, address.port()));
    crate::agents::build(&args.agent_options, &api, crate::agents::minted(secret)?)
}

/// Records an audit checkpoint every `secs` seconds, and once more on the way out.
async fn checkpoint_loop(store: Store, secs: u64, stop: CancellationToken) {
    if secs == 0 {
        return;
    }
    let mut ticks = tokio::time::interval(Duration::from_secs(secs));
    ticks.tick().await;
    loop {
        let stopping = tokio::select! {
            _ = ticks.tick() => false,
            () = stop.cancelled() => true,
        };
        match store.checkpoint().await {
            Ok(Some(cp)) => {
                tracing::info!(checkpoint = cp.checkpoint_id, events = cp.event_count, "audit checkpoint recorded")
            }
            Ok(None) => {}
            Err(err) => tracing::error!(error = %err, "audit checkpoint failed"),
        }
        if stopping {
            return;
        }
    }
}

/// Drains histogram samples every few seconds, so memory stays flat when nobody scrapes.
async fn metrics_upkeep(stop: CancellationToken) {
    let mut ticks = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = ticks.tick() => reachspark_api::metrics::run_upkeep(),
            () = stop.cancelled() => return,
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
