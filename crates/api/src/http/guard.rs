//! The guard in front of `/graphql` and `/metrics`: verify the bearer token if one is sent,
//! spend one request of the caller's rate budget, and hand the verified [`Principal`] on in
//! the request's extensions.
//!
//! The budget is spent before a bad token is refused, keyed by the client's address, so
//! guessing tokens is rate limited too. A request without `Authorization` passes as anonymous
//! (GraphQL fields then answer `UNAUTHENTICATED`, `/metrics` a 401); a wrong, expired or
//! `alg: none` token is a 401 here, before any resolver runs.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::rate_limit::RateKey;
use super::respond;
use crate::auth::{bearer_token, AuthError, Authenticator, Principal};
use crate::graphql::Code;
use crate::{metrics, AppState};

/// Authenticates and rate-limits one request (see the module docs).
pub(crate) async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let caller = authenticate(state.auth.as_ref(), request.headers());
    let key = match &caller {
        Ok(Some(principal)) => RateKey::Subject(principal.subject.clone()),
        _ => request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(RateKey::Unknown, |ConnectInfo(peer)| RateKey::Client(peer.ip())),
    };
    if let Err(retry_after) = state.limiter.check(&key) {
        // Neither the subject nor the address is logged: both can identify a person.
        tracing::info!(retry_after, authenticated = matches!(caller, Ok(Some(_))), "request rate limited");
        return respond::rate_limited(retry_after);
    }
    match caller {
        Ok(Some(principal)) => {
            request.extensions_mut().insert(principal);
        }
        Ok(None) => {}
        Err(err) => {
            // The reason only: the token never goes to a log.
            tracing::info!(reason = %err, "request not authenticated");
            metrics::graphql_error(Code::Unauthenticated);
            return err.into_response();
        }
    }
    next.run(request).await
}

/// `Ok(None)` without an `Authorization` header; an error for a header that is present but
/// does not verify (never silently anonymous).
fn authenticate(auth: Option<&Authenticator>, headers: &HeaderMap) -> Result<Option<Principal>, AuthError> {
    if !headers.contains_key(AUTHORIZATION) {
        return Ok(None);
    }
    let Some(auth) = auth else {
        let why = "this server has no REACHSPARK_JWT_SECRET or REACHSPARK_JWT_PUBLIC_KEY_PEM configured";
        return Err(AuthError::InvalidClaims(why.to_owned()));
    };
    bearer_token(headers).and_then(|token| auth.verify(token)).map(Some)
}
