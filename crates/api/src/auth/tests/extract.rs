//! The extractor through a tiny router (`oneshot`), and the WebSocket `connection_init` forms.

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt as _;

use super::*;
use crate::auth::{issue_hs256, principal_from_connection_init, AuthError, Principal};

fn router() -> Router {
    Router::new()
        .route("/me", get(|principal: Principal| async move { principal.subject }))
        .route(
            "/maybe",
            get(|principal: Option<Principal>| async move { principal.map_or("anonymous".to_owned(), |p| p.subject) }),
        )
        .with_state(hs256_auth())
}

fn good_token() -> String {
    issue_hs256(&claims(Role::Operator, None), &secret(SECRET)).expect("issue")
}

async fn get_with(path: &str, authorization: Option<&str>) -> (StatusCode, Option<String>, String) {
    let mut request = Request::get(path);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    let response = router().oneshot(request.body(Body::empty()).expect("request")).await.expect("infallible");
    let status = response.status();
    let challenge = response.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().expect("ascii").to_owned());
    let body = to_bytes(response.into_body(), 64 * 1024).await.expect("body");
    (status, challenge, String::from_utf8(body.to_vec()).expect("utf-8"))
}

/// The expected body, serialised the way the server serialises it (key order included).
fn error_body(message: &str) -> String {
    json!({ "errors": [{ "message": message, "extensions": { "code": "UNAUTHENTICATED" } }] }).to_string()
}

#[tokio::test]
async fn without_a_token_the_answer_is_401_with_the_graphql_error_body() {
    let (status, challenge, body) = get_with("/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge.as_deref(), Some("Bearer"));
    let body: Value = serde_json::from_str(&body).expect("json body");
    assert_eq!(
        body,
        json!({ "errors": [{ "message": "missing bearer token", "extensions": { "code": "UNAUTHENTICATED" } }] })
    );
}

#[tokio::test]
async fn a_bad_token_is_401_and_says_why() {
    let forged =
        issue_hs256(&claims(Role::Admin, None), &secret("not-the-server-secret-but-long-enough!")).expect("issue");
    for (authorization, message) in [
        ("Bearer not-a-jwt".to_owned(), "malformed token"),
        (format!("Bearer {forged}"), "invalid token signature"),
        (format!("Basic {}", good_token()), "missing bearer token"),
        ("Bearer ".to_owned(), "missing bearer token"),
    ] {
        let (status, _, body) = get_with("/me", Some(&authorization)).await;
        assert_eq!((status, body), (StatusCode::UNAUTHORIZED, error_body(message)), "{message}");
    }
}

#[tokio::test]
async fn a_good_token_reaches_the_handler() {
    for scheme in ["Bearer", "bearer"] {
        let (status, _, body) = get_with("/me", Some(&format!("{scheme} {}", good_token()))).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ada"));
    }
}

#[tokio::test]
async fn an_optional_principal_is_anonymous_only_without_a_header() {
    assert_eq!(get_with("/maybe", None).await.2, "anonymous");
    assert_eq!(get_with("/maybe", Some(&format!("Bearer {}", good_token()))).await.2, "ada");
    let (status, _, body) = get_with("/maybe", Some("Bearer not-a-jwt")).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, error_body("malformed token")));
}

#[test]
fn connection_init_accepts_the_three_payload_forms() {
    let token = good_token();
    let auth = hs256_auth();
    for payload in [
        json!({ "Authorization": format!("Bearer {token}") }),
        json!({ "authorization": format!("Bearer {token}") }),
        json!({ "token": token }),
    ] {
        assert_eq!(
            principal_from_connection_init(&payload, &auth).map(|p| p.subject),
            Ok("ada".to_owned()),
            "{payload}"
        );
    }
}

#[test]
fn connection_init_without_a_valid_token_is_unauthenticated() {
    let auth = hs256_auth();
    let cases: [(Value, AuthError); 6] = [
        (Value::Null, AuthError::Missing),
        (json!({}), AuthError::Missing),
        (json!({ "Authorization": good_token() }), AuthError::Missing),
        (json!({ "token": 42 }), AuthError::Malformed),
        (json!({ "token": "a.b.c" }), AuthError::Malformed),
        (json!({ "token": unsigned(&json!({ "alg": "none" }), &claims_json("admin")) }), AuthError::WrongAlgorithm),
    ];
    for (payload, expected) in cases {
        assert_eq!(principal_from_connection_init(&payload, &auth), Err(expected), "{payload}");
    }
}
