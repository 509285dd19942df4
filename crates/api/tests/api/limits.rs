//! Each limit against a hostile request, through the router: body size, rate per caller,
//! depth, complexity (connections counted by page size) and page size.

use std::num::NonZeroU32;

use async_graphql::futures_util::stream;
use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{Request, StatusCode};
use reachspark_api::auth::Role;
use reachspark_api::graphql::{MAX_COMPLEXITY, MAX_DEPTH};
use reachspark_api::http::{Limits, RateLimit};
use serde_json::json;

use crate::harness::{app, from_peer, post, post_body, send, token, token_for};

#[tokio::test]
async fn a_body_over_the_limit_is_413_whether_its_length_is_declared_or_streamed() {
    let app = app(Limits { body_bytes: 4096, ..Limits::default() }).await;
    let padding = "x".repeat(5000);
    let big = json!({ "query": format!("{{ __typename }} # {padding}") }).to_string();
    let expected = json!({ "errors": [{
        "message": "the request body is larger than 4096 bytes", "extensions": { "code": "VALIDATION" } }] });

    let reply = send(&app.router, post_body(big.clone(), Some(&token(Role::Admin)))).await;
    assert_eq!((reply.status, reply.json()), (StatusCode::PAYLOAD_TOO_LARGE, expected.clone()));

    // Chunked: no Content-Length, so the limit has to hold while streaming.
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        big.into_bytes().chunks(1000).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let request = Request::post("/graphql")
        .header(CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream::iter(chunks)))
        .unwrap();
    let reply = send(&app.router, from_peer(request, [127, 0, 0, 1])).await;
    assert_eq!((reply.status, reply.json()), (StatusCode::PAYLOAD_TOO_LARGE, expected));

    // Just under the limit is fine.
    let fits = json!({ "query": format!("{{ __typename }} # {}", "x".repeat(4000)) }).to_string();
    assert_eq!(send(&app.router, post_body(fits, None)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_caller_over_its_rate_is_429_with_retry_after_and_others_are_not_slowed() {
    let rate = RateLimit { per_second: NonZeroU32::new(1).unwrap(), burst: NonZeroU32::new(3).unwrap() };
    let app = app(Limits { rate, ..Limits::default() }).await;
    let flooder = token_for(Role::Analyst, "flooder");
    for _ in 0..3 {
        assert_eq!(send(&app.router, post("{ __typename }", Some(&flooder))).await.status, StatusCode::OK);
    }
    let reply = send(&app.router, post("{ __typename }", Some(&flooder))).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.header(RETRY_AFTER), Some("1"));
    assert_eq!(
        reply.json(),
        json!({ "errors": [{
            "message": "too many requests; retry after 1 s", "extensions": { "code": "RATE_LIMITED" } }] })
    );
    // Another token subject from the same address has its own budget.
    let other = token_for(Role::Analyst, "patient");
    assert_eq!(send(&app.router, post("{ __typename }", Some(&other))).await.status, StatusCode::OK);
}

#[tokio::test]
async fn without_a_valid_token_the_budget_is_the_client_address_and_bad_tokens_spend_it() {
    let rate = RateLimit { per_second: NonZeroU32::new(1).unwrap(), burst: NonZeroU32::new(2).unwrap() };
    let app = app(Limits { rate, ..Limits::default() }).await;
    let guess = |n: usize| {
        let mut request = post("{ __typename }", Some(&format!("eyJhbGciOiJIUzI1NiJ9.e30.guess{n}")));
        request = from_peer(request, [10, 0, 0, 7]);
        request
    };
    assert_eq!(send(&app.router, guess(1)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&app.router, guess(2)).await.status, StatusCode::UNAUTHORIZED);
    let reply = send(&app.router, guess(3)).await;
    assert_eq!((reply.status, reply.code().as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("RATE_LIMITED")));
    // Anonymous from the same address: same budget, already spent.
    let anonymous = from_peer(post("{ __typename }", None), [10, 0, 0, 7]);
    assert_eq!(send(&app.router, anonymous).await.status, StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected.
    let elsewhere = from_peer(post("{ __typename }", None), [10, 0, 0, 8]);
    assert_eq!(send(&app.router, elsewhere).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_query_nested_past_the_depth_limit_is_refused_before_it_runs() {
    let app = app(Limits::default()).await;
    // Introspection types nest without end: `ofType { ofType { ... } }`.
    let nest = |levels: usize| {
        let inner = (0..levels).fold("name".to_owned(), |acc, _| format!("ofType {{ {acc} }}"));
        format!("{{ __type(name: \"Lead\") {{ {inner} }} }}")
    };
    let admin = token(Role::Admin);
    let ok = send(&app.router, post(&nest(MAX_DEPTH - 2), Some(&admin))).await;
    assert!(ok.json().get("errors").is_none(), "{}", ok.text());

    let reply = send(&app.router, post(&nest(MAX_DEPTH + 5), Some(&admin))).await;
    let out = reply.json();
    assert_eq!(reply.status, StatusCode::OK, "application/json: a request error is still a 200");
    assert!(out.get("data").is_none(), "{out}");
    assert_eq!(out["errors"][0]["message"], "Query is nested too deep.", "{out}");
    assert_eq!(out["errors"][0]["extensions"]["code"], "VALIDATION");
}

#[tokio::test]
async fn complexity_counts_connections_by_page_size() {
    let app = app(Limits::default()).await;
    let operator = token(Role::Operator);
    // Eight aliased `leads` of `first` rows each, five fields a row.
    let query = |first: usize| {
        let fields = (0..8)
            .map(|i| format!("l{i}: leads(first: {first}) {{ edges {{ node {{ id name email company position }} }} }}"))
            .collect::<Vec<_>>()
            .join(" ");
        format!("{{ {fields} }}")
    };
    let small = send(&app.router, post(&query(10), Some(&operator))).await.json();
    assert!(small.get("errors").is_none(), "8 × 10 rows is cheap: {small}");

    let out = send(&app.router, post(&query(100), Some(&operator))).await.json();
    assert!(out.get("data").is_none(), "{out}");
    let message = out["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("Query is too complex."), "8 × 100 rows exceeds {MAX_COMPLEXITY}: {out}");
    assert_eq!(out["errors"][0]["extensions"]["code"], "VALIDATION");
}

#[tokio::test]
async fn a_page_larger_than_100_is_a_validation_error() {
    let app = app(Limits::default()).await;
    let admin = token(Role::Admin);
    for query in [
        "{ leads(first: 101) { edges { node { id } } } }",
        "{ events(first: 1000) { endCursor } }",
        "{ leads(first: 0) { edges { cursor } } }",
    ] {
        let out = send(&app.router, post(query, Some(&admin))).await.json();
        assert_eq!(out["errors"][0]["extensions"]["code"], "VALIDATION", "{query}: {out}");
        assert_eq!(out["errors"][0]["message"], "first: must be between 1 and 100", "{query}: {out}");
    }
}
