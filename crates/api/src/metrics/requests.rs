//! Counting and timing every HTTP request, labelled by the route pattern that matched.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, histogram};
use tracing::Instrument as _;

use super::{HTTP_DURATION, HTTP_REQUESTS};

/// Middleware for the whole router (`Router::layer`, so the matched route is known). It also
/// opens the request's span, named by route, so whatever the request logs (an internal
/// error's cause, a refused token) carries the route.
pub(crate) async fn track_http(request: Request, next: Next) -> Response {
    // The pattern (`/graphql`), never the raw path: a client must not be able to mint labels.
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = method_label(request.method());
    let span = tracing::info_span!("http", route = %route, method);
    let started = Instant::now();
    let response = next.run(request).instrument(span).await;
    let status = response.status().as_u16().to_string();
    counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method, "status" => status).increment(1);
    histogram!(HTTP_DURATION, "route" => route).record(started.elapsed().as_secs_f64());
    response
}

/// The standard methods by name; anything else (HTTP allows any token) as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}
