//! `/graphql` over HTTP (GET and POST), as the GraphQL-over-HTTP spec asks: negotiate the
//! media type, read the parameters within the body limit, refuse mutations over GET, execute
//! as the principal the guard verified, answer with the spec's status codes.

use async_graphql::futures_util::StreamExt as _;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts as _, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse as _, Response};
use axum::Extension;

use super::negotiate::negotiate;
use super::params::{self, ParamsError};
use super::respond;
use crate::auth::Principal;
use crate::AppState;

/// Executes one GraphQL request. Without a principal (no `Authorization` header) it runs
/// anonymously and every field answers `UNAUTHENTICATED`.
pub(crate) async fn graphql_handler(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    request: Request,
) -> Response {
    if crate::ws::is_upgrade(request.headers()) {
        // Subscriptions: the WebSocket authenticates in `connection_init`, see `ws`.
        let (mut parts, _body) = request.into_parts();
        return match axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => crate::ws::upgrade(upgrade, &parts.headers, state.ws_schema.clone(), state.auth.clone()),
            Err(rejection) => rejection.into_response(),
        };
    }
    let Ok(media) = negotiate(request.headers()) else {
        return respond::not_acceptable();
    };
    let (parts, body) = request.into_parts();
    // HEAD is a GET without the body (axum routes it to the GET handler).
    let parsed = if parts.method == Method::GET || parts.method == Method::HEAD {
        params::from_query_string(&parts.uri)
    } else {
        match params::require_json(&parts.headers) {
            Ok(()) => read_body(&parts.headers, body, state.limits.body_bytes)
                .await
                .and_then(|bytes| params::from_json_body(&bytes)),
            Err(err) => Err(err),
        }
    };
    let mut request = match parsed {
        Ok(request) => request,
        Err(err) => return respond::params_error(media, &err),
    };
    if let Some(Extension(principal)) = principal {
        request = request.data(principal);
    }
    state.documents.prepare(&mut request);
    let operation = crate::metrics::operation_type(&mut request);
    let started = std::time::Instant::now();
    let mut response = state.schema.execute(request).await;
    crate::metrics::record_http_graphql(operation, started.elapsed(), &mut response);
    respond::graphql(media, response)
}

/// The body, refused as soon as it is known to exceed `limit`: from `Content-Length` before
/// reading anything, else while streaming (a chunked body has no length up front).
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ParamsError> {
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(ParamsError::TooLarge { limit });
    }
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ParamsError::Unreadable)?;
        if bytes.len() + chunk.len() > limit {
            return Err(ParamsError::TooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(bytes))
}
