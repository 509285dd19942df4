//! Turning a GraphQL result, or a refusal before execution, into an HTTP response in the
//! negotiated media type, with the status codes GraphQL over HTTP gives each case.

use axum::body::Body;
use axum::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::negotiate::MediaType;
use super::params::ParamsError;
use crate::graphql::Code;
use crate::metrics;

/// A GraphQL result. A *request error* (the document did not parse or validate, a variable
/// did not coerce, the operation is unknown: no data and no error with a path) has no `data`
/// entry (GraphQL spec §7.1.2) and is a 400 for `application/graphql-response+json`; the
/// legacy `application/json` answers it with a 200, as that media type requires.
pub fn graphql(media: MediaType, response: async_graphql::Response) -> Response {
    let request_error = is_request_error(&response);
    let status = match (media, request_error) {
        (MediaType::GraphqlResponseJson, true) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let cache_control = (response.is_ok()).then(|| response.cache_control.value()).flatten();
    let headers = response.http_headers.clone();
    // Straight to bytes, in the order the selection asked for (GraphQL spec §7.2.2); a
    // request error leaves `data` out.
    let body = if request_error {
        serde_json::to_vec(&RequestError { errors: &response.errors, extensions: &response.extensions })
    } else {
        serde_json::to_vec(&response)
    };
    let body = body.unwrap_or_else(|err| {
        // A GraphQL value always serializes; should it not, say so without the detail.
        tracing::error!(error = %err, "could not serialize a GraphQL response");
        json!({ "errors": [error_entry(Code::Internal, "internal error")] }).to_string().into_bytes()
    });
    let mut out = (status, [(CONTENT_TYPE, media.content_type())], body).into_response();
    if let Some(value) = cache_control.and_then(|v| HeaderValue::from_str(&v).ok()) {
        out.headers_mut().insert(CACHE_CONTROL, value);
    }
    out.headers_mut().extend(headers);
    out
}

/// A response without `data`: what a request error answers.
#[derive(serde::Serialize)]
struct RequestError<'a> {
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The parameters could not be read: the status the spec asks for, and one `VALIDATION`
/// error saying which parameter is wrong.
pub fn params_error(media: MediaType, err: &ParamsError) -> Response {
    metrics::graphql_error(Code::Validation);
    let mut out = refusal(media, err.status(), Code::Validation, &err.to_string());
    if *err == ParamsError::MutationOverGet {
        out.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
    }
    out
}

/// 429 with `Retry-After` (whole seconds, at least 1) and a `RATE_LIMITED` error.
pub fn rate_limited(retry_after_secs: u64) -> Response {
    metrics::graphql_error(Code::RateLimited);
    let message = format!("too many requests; retry after {retry_after_secs} s");
    let mut out = refusal(MediaType::Json, StatusCode::TOO_MANY_REQUESTS, Code::RateLimited, &message);
    out.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
    out
}

/// 406: the client accepts neither JSON media type. The body is JSON all the same: there is
/// nothing better to send.
pub fn not_acceptable() -> Response {
    metrics::graphql_error(Code::Validation);
    let message = "Accept must allow application/graphql-response+json or application/json";
    refusal(MediaType::Json, StatusCode::NOT_ACCEPTABLE, Code::Validation, message)
}

/// A refusal before execution: `status`, and a body with one error and no `data`.
pub fn refusal(media: MediaType, status: StatusCode, code: Code, message: &str) -> Response {
    let body = json!({ "errors": [error_entry(code, message)] });
    (status, [(CONTENT_TYPE, media.content_type())], Body::from(body.to_string())).into_response()
}

fn error_entry(code: Code, message: &str) -> Value {
    json!({ "message": message, "extensions": { "code": code.as_str() } })
}
