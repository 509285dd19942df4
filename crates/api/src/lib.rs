//! ReachSpark's HTTP surface: `/graphql` (queries over the read models and the log, bearer
//! tokens, roles, masking of personal data; subscriptions over WebSocket on the same path),
//! `/metrics` (Prometheus), GraphiQL at `/graphiql`, liveness (`/healthz`) and readiness
//! (`/readyz`). Every route but the two probes and the static GraphiQL page passes the guard in
//! [`http`]: token verification, then a per-caller rate limit; bodies are capped.
//!
//! Depends on `reachspark-store` (and later projections and domain); never on agents or cli.

pub mod auth;
pub mod clock;
pub mod graphql;
pub mod http;
pub mod hub;
pub mod metrics;
mod ws;

use async_graphql::http::GraphiQLSource;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{middleware, Json, Router};
use reachspark_store::Store;
use serde_json::json;

use crate::auth::Authenticator;
use crate::graphql::{ApiSchema, DocumentCache};
use crate::http::{Limits, RateLimiter};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    /// Plain HTTP requests (no extension: see [`graphql::http_schema`]).
    schema: ApiSchema,
    /// Subscriptions over WebSocket (with the metrics extension).
    ws_schema: ApiSchema,
    documents: DocumentCache,
    /// `None` when no JWT secret or public key is configured: then nobody is authenticated.
    auth: Option<Authenticator>,
    limits: Limits,
    limiter: RateLimiter,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("auth", &self.auth.is_some())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store`, verifying tokens with `auth`, with the default [`Limits`].
    pub fn new(store: Store, auth: Option<Authenticator>) -> Self {
        metrics::handle();
        let clock: clock::SharedClock = std::sync::Arc::new(clock::SystemClock);
        let schema = graphql::http_schema(store.clone(), clock.clone());
        let ws_schema = graphql::schema_with_clock(store.clone(), clock);
        let limits = Limits::default();
        Self {
            store,
            schema,
            ws_schema,
            documents: DocumentCache::default(),
            auth,
            limits,
            limiter: RateLimiter::new(limits.rate),
        }
    }

    /// The same state taking commands' times from `clock` (the demo's accelerated clock).
    #[must_use]
    pub fn with_clock(mut self, clock: clock::SharedClock) -> Self {
        self.schema = graphql::http_schema(self.store.clone(), clock.clone());
        self.ws_schema = graphql::schema_with_clock(self.store.clone(), clock);
        self
    }

    /// The same state with other limits (a fresh rate limiter: budgets start full).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limiter = RateLimiter::new(limits.rate);
        self.limits = limits;
        self
    }
}

/// The router: every route the server answers. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that callers without a valid token
/// are rate limited by address rather than all together.
pub fn router(state: AppState) -> Router {
    // Token verification and the rate limit, for every route that is not a probe.
    let guarded = Router::new()
        .route("/graphql", get(http::graphql_handler).post(http::graphql_handler))
        .route("/metrics", get(metrics::scrape))
        .route_layer(middleware::from_fn_with_state(state.clone(), http::guard));
    Router::new()
        .merge(guarded)
        .route("/graphiql", get(graphiql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(middleware::from_fn(metrics::track_http))
        .layer(DefaultBodyLimit::max(state.limits.body_bytes))
        .with_state(state)
}

/// The GraphiQL IDE (a static page; its requests need a token like any other).
async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// Liveness: the process answers. Needs no token and touches nothing.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// How many events a projection may lag before the instance reports itself not ready.
pub const READY_MAX_LAG: i64 = 10_000;

/// Readiness: the database answers, and no read model has failed or lags too far behind.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let statuses = match reachspark_projections::status::status(&state.store).await {
        Ok(statuses) => statuses,
        Err(err) => {
            tracing::warn!(error = %err, "readiness check: database unreachable");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            );
        }
    };
    let ready = statuses.iter().all(|s| s.state != "failed" && s.lag <= READY_MAX_LAG);
    let projections: serde_json::Map<String, serde_json::Value> =
        statuses.iter().map(|s| (s.name.clone(), json!({ "state": s.state, "lag": s.lag }))).collect();
    let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let status = if ready { "ready" } else { "degraded" };
    (code, Json(json!({ "status": status, "database": "ok", "projections": projections })))
}
