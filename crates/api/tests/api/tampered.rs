//! Tampered tokens over HTTP: each is refused with `UNAUTHENTICATED` (or, for a genuine token
//! whose role lacks the permission, `FORBIDDEN`), and no request changes the log.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reachspark_api::auth::Role;
use reachspark_api::http::Limits;
use reachspark_store::testing::settle;
use serde_json::{json, Value};

use crate::harness::{app, event_count, now, post, seed, send, token, Reply, SECRET};

fn claims(role: &str, exp: u64) -> Value {
    json!({ "sub": "mallory", "role": role, "scope": ["pii"], "iat": now() - 7200, "exp": exp })
}

fn sign(claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(key)).unwrap()
}

fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// Every kind of forged token, by name.
fn forgeries() -> Vec<(&'static str, String)> {
    let in_an_hour = now() + 3600;
    let analyst = sign(&claims("analyst", in_an_hour), SECRET.as_bytes());
    let signature = analyst.rsplit('.').next().unwrap().to_owned();
    vec![
        ("signed with another key", sign(&claims("admin", in_an_hour), b"not-the-server-secret-but-just-as-long-0123")),
        (
            "alg none",
            format!("{}.{}.", encode(&json!({ "alg": "none", "typ": "JWT" })), encode(&claims("admin", in_an_hour))),
        ),
        (
            "alg none, signature kept",
            format!("{}.{}.{signature}", encode(&json!({ "alg": "none" })), encode(&claims("admin", in_an_hour))),
        ),
        ("expired an hour ago", sign(&claims("admin", now() - 3600), SECRET.as_bytes())),
        // A genuine analyst token whose payload now claims admin: a role the token does not have.
        (
            "role edited after signing",
            format!(
                "{}.{}.{signature}",
                encode(&json!({ "alg": "HS256", "typ": "JWT" })),
                encode(&claims("admin", in_an_hour))
            ),
        ),
        ("unknown role", sign(&claims("root", in_an_hour), SECRET.as_bytes())),
        ("not a JWT", "definitely-not-a-token".to_owned()),
    ]
}

/// Queries and would-be writes; once mutations exist, every one of them belongs here too.
const OPERATIONS: [&str; 6] = [
    "{ auditVerify { intact events } }",
    "{ events(first: 5) { events { payload } } }",
    "{ leads(first: 5) { edges { node { name email } } } }",
    "mutation { __typename }",
    "mutation { registerSenderAccount(channel: EMAIL, provider: \"smtp\") { version } }",
    "mutation { pauseCampaign(campaignId: \"00000000-0000-4000-8000-000000000000\", reason: \"x\") { version } }",
];

fn assert_unauthenticated(what: &str, reply: &Reply) {
    assert_eq!(reply.status.as_u16(), 401, "{what}: {}", reply.text());
    assert_eq!(reply.header(axum::http::header::WWW_AUTHENTICATE), Some("Bearer"), "{what}");
    let out = reply.json();
    assert_eq!(out["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{what}: {out}");
    assert!(out.get("data").is_none(), "{what}: nothing was executed: {out}");
}

#[tokio::test]
async fn every_tampered_token_is_unauthenticated_and_changes_nothing() {
    let app = app(Limits::default()).await;
    seed(&app.store, 2).await;
    let before = event_count(&app.store).await;
    assert!(before > 0);

    for (what, forged) in forgeries() {
        for operation in OPERATIONS {
            let reply = send(&app.router, post(operation, Some(&forged))).await;
            assert_unauthenticated(&format!("{what} / {operation}"), &reply);
        }
        let metrics = axum::http::Request::get("/metrics")
            .header("authorization", format!("Bearer {forged}"))
            .body(axum::body::Body::empty())
            .unwrap();
        assert_unauthenticated(&format!("{what} / metrics"), &send(&app.router, metrics).await);
    }
    settle(&app.store).await;
    assert_eq!(event_count(&app.store).await, before, "no event was written");
}

#[tokio::test]
async fn a_genuine_token_without_the_permission_is_forbidden_field_by_field() {
    let app = app(Limits::default()).await;
    seed(&app.store, 1).await;
    let before = event_count(&app.store).await;
    let analyst = token(Role::Analyst);
    for (operation, field) in
        [("{ auditVerify { intact } }", "auditVerify"), ("{ events(first: 1) { endCursor } }", "events")]
    {
        let reply = send(&app.router, post(operation, Some(&analyst))).await;
        let out = reply.json();
        assert_eq!(reply.status.as_u16(), 200, "{out}");
        assert_eq!(out["data"], Value::Null, "{out}");
        assert_eq!(
            out["errors"],
            json!([{ "message": "the analyst role may not do this", "locations": [{ "line": 1, "column": 3 }],
                     "path": [field], "extensions": { "code": "FORBIDDEN" } }]),
            "{operation}"
        );
    }
    // Even with the pii scope in the claims, an analyst reads masked data (the matrix, over HTTP).
    let pii = sign(
        &json!({ "sub": "ana", "role": "analyst", "scope": ["pii"], "iat": now(), "exp": now() + 60 }),
        SECRET.as_bytes(),
    );
    let reply = send(&app.router, post("{ leads(first: 1) { edges { node { name } } } }", Some(&pii))).await;
    assert_eq!(reply.json(), json!({ "data": { "leads": { "edges": [{ "node": { "name": "***" } }] } } }));
    assert_eq!(event_count(&app.store).await, before, "no event was written");
}

#[tokio::test]
async fn a_header_that_is_not_a_bearer_token_is_unauthenticated_not_anonymous() {
    let app = app(Limits::default()).await;
    for value in ["Basic YWRhOnNlY3JldA==", "Bearer", "Bearer  ", "token abc"] {
        let mut request = post("{ __typename }", None);
        request.headers_mut().insert("authorization", value.parse().unwrap());
        let reply = send(&app.router, request).await;
        assert_eq!(reply.status.as_u16(), 401, "{value:?}: {}", reply.text());
        assert_eq!(reply.code().as_deref(), Some("UNAUTHENTICATED"), "{value:?}");
    }
}
