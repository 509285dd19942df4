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

/// Readiness: the database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(state.store.pool()).await {
        Ok(_) => (StatusCode::OK, Json(json!({ "status": "ready", "database": "ok" }))),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": "unreachable" })))
        }
    }
}
