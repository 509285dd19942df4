//! Which media type a GraphQL answer is sent as, from the request's `Accept` header.
//!
//! GraphQL over HTTP defines two: `application/graphql-response+json` (status codes carry
//! meaning: a request that fails before execution is a 400) and the legacy `application/json`
//! (such failures are a 200 with `errors`). async-graphql-axum always answers the first one,
//! even to a client that accepts only the second, which breaks a MUST of the spec; this module
//! is the negotiation it lacks.

use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, HeaderValue};

/// The two media types a GraphQL response can be sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`.
    GraphqlResponseJson,
    /// `application/json`.
    Json,
}

impl MediaType {
    /// The `Content-Type` header value (always UTF-8).
    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }
}

/// The `Accept` header names no media type this server can send; the answer is a 406.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAcceptable;

/// The media type to answer with. No `Accept` header, or one that only says `*/*` or
/// `application/*`, means `application/json` (the spec's default, and what old clients
/// expect). Otherwise each type gets the `q` of the most specific range that matches it
/// (RFC 9110 §12.5.1) and the higher `q` wins; on a tie the type named explicitly wins, and
/// between two named ones the newer `application/graphql-response+json`.
pub fn negotiate(headers: &HeaderMap) -> Result<MediaType, NotAcceptable> {
    let mut values = headers.get_all(ACCEPT).iter().peekable();
    if values.peek().is_none() {
        return Ok(MediaType::Json);
    }
    let ranges: Vec<Range> =
        values.filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).filter_map(Range::parse).collect();
    let graphql = weight(&ranges, "application/graphql-response+json");
    let json = weight(&ranges, "application/json");
    match (graphql, json) {
        (None, None) => Err(NotAcceptable),
        (Some(_), None) => Ok(MediaType::GraphqlResponseJson),
        (None, Some(_)) => Ok(MediaType::Json),
        (Some(g), Some(j)) if g.0 > j.0 || (g.0 == j.0 && g.1 == 2) => Ok(MediaType::GraphqlResponseJson),
        (Some(_), Some(_)) => Ok(MediaType::Json),
    }
}

/// One entry of an `Accept` header.
struct Range {
    essence: String,
    q: f32,
}

impl Range {
    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(';');
        let essence = parts.next()?.trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, v)| v.trim().parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q)))?;
        Some(Self { essence, q })
    }

    /// How specifically this range names `media`: 2 exactly, 1 as `application/*`, 0 as `*/*`.
    fn specificity(&self, media: &str) -> Option<u8> {
        match self.essence.as_str() {
            e if e == media => Some(2),
            "application/*" => Some(1),
            "*/*" => Some(0),
            _ => None,
        }
    }
}

/// `(q, specificity)` of `media` under `ranges`, or `None` when no range accepts it (a `q` of
/// 0 refuses it).
fn weight(ranges: &[Range], media: &str) -> Option<(f32, u8)> {
    let most_specific = ranges
        .iter()
        .filter_map(|r| r.specificity(media).map(|s| (r.q, s)))
        .max_by(|a, b| a.1.cmp(&b.1).then(a.0.total_cmp(&b.0)))?;
    (most_specific.0 > 0.0).then_some(most_specific)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: Option<&str>) -> Result<MediaType, NotAcceptable> {
        let mut headers = HeaderMap::new();
        if let Some(value) = value {
            headers.insert(ACCEPT, HeaderValue::from_str(value).expect("header"));
        }
        negotiate(&headers)
    }

    #[test]
    fn the_client_gets_the_type_it_asked_for() {
        use MediaType::*;
        for (header, expected) in [
            (None, Ok(Json)),
            (Some("application/json"), Ok(Json)),
            (Some("application/graphql-response+json"), Ok(GraphqlResponseJson)),
            (Some("*/*"), Ok(Json)),
            (Some("application/*"), Ok(Json)),
            (Some("text/html,application/xhtml+xml,*/*;q=0.8"), Ok(Json)),
            (Some("application/graphql-response+json, application/json;q=0.9"), Ok(GraphqlResponseJson)),
            (Some("application/json, application/graphql-response+json"), Ok(GraphqlResponseJson)),
            (Some("application/json;q=1, application/graphql-response+json;q=0.5"), Ok(Json)),
            (Some("*/*, application/graphql-response+json;q=0.1"), Ok(Json)),
            (Some("application/graphql-response+json, */*;q=0.1"), Ok(GraphqlResponseJson)),
            (Some("*/*, application/json;q=0"), Ok(GraphqlResponseJson)),
            (Some("Application/JSON; charset=utf-8"), Ok(Json)),
            (Some("application/json;q=0"), Err(NotAcceptable)),
            (Some("text/html"), Err(NotAcceptable)),
            (Some("application/json;q=nonsense"), Err(NotAcceptable)),
        ] {
            assert_eq!(accept(header), expected, "{header:?}");
        }
    }
}
