//! ReachSpark's HTTP surface: `/graphql` (queries over the read models and the log, bearer
//! tokens, roles, masking of personal data), GraphiQL at `/graphiql`, liveness (`/healthz`)
//! and readiness (`/readyz`). Mutations, subscriptions, metrics and rate limits are still to
//! come (issue 4).
//!
//! Depends on `reachspark-store` (and later projections and domain); never on agents or cli.

pub mod auth;
pub mod graphql;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use reachspark_store::Store;
use serde_json::json;

use crate::auth::{bearer_token, AuthError, Authenticator};
use crate::graphql::{ApiSchema, DocumentCache};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    schema: ApiSchema,
    documents: DocumentCache,
    /// `None` when no JWT secret or public key is configured: then nobody is authenticated.
    auth: Option<Authenticator>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("auth", &self.auth.is_some())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store`, verifying tokens with `auth`.
    pub fn new(store: Store, auth: Option<Authenticator>) -> Self {
        let schema = graphql::schema(store.clone());
        Self { store, schema, documents: DocumentCache::default(), auth }
    }
}

/// The router: every route the server answers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_handler).post(graphql_handler))
        .route("/graphiql", get(graphiql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// GraphQL over HTTP (GET and POST). A request without `Authorization` runs anonymously and
/// every field answers `UNAUTHENTICATED`; a wrong or expired token is a 401.
async fn graphql_handler(State(state): State<AppState>, headers: HeaderMap, request: GraphQLRequest) -> Response {
    let mut request = request.into_inner();
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        let Some(auth) = &state.auth else {
            let why = "this server has no REACHSPARK_JWT_SECRET or REACHSPARK_JWT_PUBLIC_KEY_PEM configured";
            return AuthError::InvalidClaims(why.to_owned()).into_response();
        };
        match bearer_token(&headers).and_then(|token| auth.verify(token)) {
            Ok(principal) => request = request.data(principal),
            Err(err) => {
                tracing::info!(reason = %err, "request not authenticated");
                return err.into_response();
            }
        }
    }
    state.documents.prepare(&mut request);
    GraphQLResponse::from(state.schema.execute(request).await).into_response()
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
