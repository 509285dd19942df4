//! Getting a [`Principal`] out of an HTTP request or a WebSocket `connection_init`.
//!
//! The [`Authenticator`] is found through `FromRef<S>` on the router state rather than an
//! `Extension`: a router that forgot to provide it does not compile, instead of failing every
//! request at run time. The application state implements `FromRef<AppState> for Authenticator`;
//! a router whose state *is* an `Authenticator` works as it is (axum's blanket `FromRef<T> for T`).

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{AuthError, Authenticator, Principal};

impl AuthError {
    /// The GraphQL-shaped error body every authentication failure answers with.
    pub fn graphql_body(&self) -> Value {
        json!({ "errors": [{ "message": self.to_string(), "extensions": { "code": AuthError::CODE } }] })
    }
}

impl IntoResponse for AuthError {
    /// 401 with `WWW-Authenticate: Bearer` (RFC 6750) and the GraphQL error body, so clients
    /// read one error shape whether auth or a resolver refused them.
    fn into_response(self) -> Response {
        let challenge = [(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))];
        (StatusCode::UNAUTHORIZED, challenge, Json(self.graphql_body())).into_response()
    }
}

/// Requires a valid `Authorization: Bearer <token>`; answers 401 otherwise.
impl<S> FromRequestParts<S> for Principal
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Authenticator::from_ref(state);
        bearer_token(&parts.headers).and_then(|token| auth.verify(token)).inspect_err(log_rejection)
    }
}

/// `Option<Principal>`: `None` without an `Authorization` header (for routes that let
/// anonymous callers through, e.g. to answer them `UNAUTHENTICATED` in GraphQL form); a header
/// that is present but wrong is still a 401, never silently anonymous.
impl<S> OptionalFromRequestParts<S> for Principal
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Self::Rejection> {
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Ok(None);
        }
        let auth = Authenticator::from_ref(state);
        bearer_token(&parts.headers).and_then(|token| auth.verify(token)).map(Some).inspect_err(log_rejection)
    }
}

fn log_rejection(err: &AuthError) {
    // The reason only: the token never goes to a log.
    tracing::info!(reason = %err, "request not authenticated");
}

/// The token in the request's `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        // None at all is missing; two headers are ambiguous, so neither is trusted.
        return Err(if headers.contains_key(AUTHORIZATION) { AuthError::Malformed } else { AuthError::Missing });
    };
    parse_bearer(value.to_str().map_err(|_| AuthError::Malformed)?)
}

/// `Bearer <token>` → `<token>`; the scheme is case-insensitive (RFC 7235 §2.1).
fn parse_bearer(value: &str) -> Result<&str, AuthError> {
    match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        // Another scheme (Basic, ...) carries no bearer token.
        _ => Err(AuthError::Missing),
    }
}

/// The principal of a WebSocket whose `connection_init` payload is `payload`. Accepted forms:
/// `{"Authorization": "Bearer <t>"}`, `{"authorization": "Bearer <t>"}` and `{"token": "<t>"}`
/// (browsers cannot set headers on a WebSocket, so clients put the token here).
pub fn principal_from_connection_init(payload: &Value, auth: &Authenticator) -> Result<Principal, AuthError> {
    let Some(fields) = payload.as_object() else {
        return Err(AuthError::Missing);
    };
    let header = fields.get("Authorization").or_else(|| fields.get("authorization"));
    let result = match (header, fields.get("token")) {
        (Some(value), _) => value.as_str().ok_or(AuthError::Malformed).and_then(parse_bearer),
        (None, Some(value)) => value.as_str().ok_or(AuthError::Malformed),
        (None, None) => Err(AuthError::Missing),
    };
    result.and_then(|token| auth.verify(token)).inspect_err(log_rejection)
}
