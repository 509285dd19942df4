//! ReachSpark's HTTP surface. Today: liveness (`/healthz`) and readiness (`/readyz`). The
//! GraphQL API, auth and limits are issue 4 and are not built yet.
//!
//! Depends on `reachspark-store` (and later projections and domain); never on agents or cli.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use reachspark_store::Store;
use serde_json::json;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    store: Store,
}

impl AppState {
    /// State over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// The router: every route the server answers.
pub fn router(state: AppState) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).with_state(state)
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
