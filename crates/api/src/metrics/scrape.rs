//! `GET /metrics`: the Prometheus text format, for tokens of the admin and auditor roles.
//!
//! Why a token rather than a separate listen address: the server already verifies tokens on
//! every route, Prometheus sends one (`authorization: { credentials_file: .. }` in a scrape
//! config), and one listener is one port to expose and firewall. Mint a long-lived auditor
//! token for the scraper: it can read the log but change nothing.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use metrics::{counter, gauge};
use reachspark_store::Store;

use super::{handle, DATABASE_UP, EVENTS_APPENDED, PROJECTION_FAILED, PROJECTION_LAG};
use crate::auth::{AuthError, Permission, Principal};
use crate::graphql::Code;
use crate::http::negotiate::MediaType;
use crate::http::respond;
use crate::AppState;

/// The exposition format's content type.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Samples the database-backed gauges, then renders every metric.
pub(crate) async fn scrape(State(state): State<AppState>, principal: Option<Extension<Principal>>) -> Response {
    let Some(Extension(principal)) = principal else {
        super::graphql_error(Code::Unauthenticated);
        return AuthError::Missing.into_response();
    };
    if !principal.allows(Permission::ReadMetrics) {
        super::graphql_error(Code::Forbidden);
        let message = format!("the {} role may not read metrics", principal.role.as_str());
        return respond::refusal(MediaType::Json, StatusCode::FORBIDDEN, Code::Forbidden, &message);
    }
    sample(&state.store).await;
    let handle = handle();
    handle.run_upkeep();
    ([(CONTENT_TYPE, TEXT_FORMAT)], handle.render()).into_response()
}

/// Reads the append position and each projection's lag. A database that does not answer sets
/// `reachspark_database_up` to 0 and leaves the other gauges at their last value.
async fn sample(store: &Store) {
    let head: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT max(global_position) FROM events").fetch_one(store.pool()).await;
    let statuses = reachspark_projections::status::status(store).await;
    match (&head, &statuses) {
        (Ok(_), Ok(_)) => gauge!(DATABASE_UP).set(1.0),
        (Err(err), _) => {
            tracing::warn!(error = %err, "metrics: could not read the log's head");
            gauge!(DATABASE_UP).set(0.0);
        }
        (_, Err(err)) => {
            tracing::warn!(error = %err, "metrics: could not read the projections' status");
            gauge!(DATABASE_UP).set(0.0);
        }
    }
    if let Ok(head) = head {
        counter!(EVENTS_APPENDED).absolute(head.and_then(|h| u64::try_from(h).ok()).unwrap_or(0));
    }
    for status in statuses.into_iter().flatten() {
        // Lags are event counts, far below 2^53: exact as f64.
        let lag = status.lag as f64;
        gauge!(PROJECTION_LAG, "projection" => status.name.clone()).set(lag);
        gauge!(PROJECTION_FAILED, "projection" => status.name).set(if status.state == "failed" { 1.0 } else { 0.0 });
    }
}
