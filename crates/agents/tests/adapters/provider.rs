//! The LinkedIn provider adapter against a local provider (axum) that speaks the contract.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, TimeZone, Utc};
use reachspark_agents::channels::{Channel, OutgoingMessage, ProviderHttp};
use reachspark_agents::config::{ConfigError, ProviderConfig};
use reachspark_domain::lead::{FailureKind, Step};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::{closed_port, secret_var, serve};

const KEY: &str = "prov-key-9f8e7d";

#[derive(Default)]
struct Seen {
    /// (idempotency key, body) of every accepted message.
    messages: Vec<(String, Value)>,
    /// The `since` of every reply poll.
    polls: Vec<String>,
}

type Shared = Arc<Mutex<Seen>>;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, hour, 0, 0).unwrap()
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}"))
}

/// Behaves by recipient: `…/in/busy` is rate limited, `…/in/down` meets an outage, `…/in/gone`
/// does not exist, `…/in/slow` takes longer than the client waits; anyone else is accepted.
async fn messages(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if !authorised(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad key"})));
    }
    let to = body["recipient_profile_url"].as_str().unwrap_or_default().to_owned();
    let status = match to.rsplit('/').next() {
        Some("busy") => StatusCode::TOO_MANY_REQUESTS,
        Some("down") => StatusCode::SERVICE_UNAVAILABLE,
        Some("gone") => StatusCode::NOT_FOUND,
        Some("slow") => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            StatusCode::OK
        }
        _ => StatusCode::CREATED,
    };
    if !status.is_success() {
        return (status, Json(json!({"error": format!("cannot message {to}")})));
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let id = format!("prov-{}", &key[..8.min(key.len())]);
    seen.lock().unwrap().messages.push((key, body));
    (status, Json(json!({"id": id})))
}

async fn replies(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    if !authorised(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({})));
    }
    let since = query.get("since").cloned().unwrap_or_default();
    seen.lock().unwrap().polls.push(since.clone());
    let since: DateTime<Utc> = since.parse().unwrap();
    // Inclusive, as some providers are: the adapter must drop what it already has.
    let all = [
        json!({"id": "r-2", "message_id": "prov-2", "thread_id": "t-2", "text": "Yes, let's talk.", "received_at": at(11)}),
        json!({"id": "r-1", "message_id": "prov-1", "thread_id": "t-1", "text": "Who is speaking?", "received_at": at(10)}),
        json!({"id": "r-3", "thread_id": "t-3", "text": "Not now.", "received_at": at(12)}),
    ];
    let replies: Vec<&Value> =
        all.iter().filter(|r| r["received_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap() >= since).collect();
    (StatusCode::OK, Json(json!({"replies": replies})))
}

async fn provider() -> (String, Shared) {
    let seen = Shared::default();
    let app =
        Router::new().route("/v1/messages", post(messages)).route("/v1/replies", get(replies)).with_state(seen.clone());
    let addr = serve(app).await;
    (format!("http://{addr}/v1"), seen)
}

fn adapter(base_url: String, test: &str, key: &str) -> ProviderHttp {
    let config = ProviderConfig { enabled: true, base_url, api_key_env: secret_var(test, key), timeout_seconds: 1 };
    ProviderHttp::from_config(&config).unwrap()
}

fn message(n: u128, slug: &str) -> OutgoingMessage {
    OutgoingMessage {
        message_id: Uuid::from_u128(n),
        to: format!("https://www.linkedin.com/in/{slug}"),
        recipient_name: "Lena Fischer".into(),
        subject: None,
        body: "Hi Lena, would you speak at DataConf?".into(),
        template_id: "speaker-first-v1".into(),
        step: Step::First,
    }
}

#[tokio::test]
async fn a_message_is_posted_with_the_key_and_its_idempotency_key() {
    let (base, seen) = provider().await;
    let channel = adapter(base, "provider_send_key", KEY);
    let receipt = channel.send(&message(0xBEEF, "lena-fischer")).await.unwrap();
    let id = Uuid::from_u128(0xBEEF).to_string();
    assert_eq!(receipt.provider_message_id, format!("prov-{}", &id[..8]));
    let seen = seen.lock().unwrap();
    let (key, body) = &seen.messages[0];
    assert_eq!(key, &id);
    assert_eq!(
        body,
        &json!({
            "recipient_profile_url": "https://www.linkedin.com/in/lena-fischer",
            "text": "Hi Lena, would you speak at DataConf?",
            "client_reference": id,
        })
    );
}

#[tokio::test]
async fn failures_are_transient_or_permanent_by_status() {
    let (base, _seen) = provider().await;
    let channel = adapter(base.clone(), "provider_failures_key", KEY);
    for (slug, kind, code) in [
        ("busy", FailureKind::Transient, "http_429"),
        ("down", FailureKind::Transient, "http_503"),
        ("gone", FailureKind::Permanent, "http_404"),
        ("slow", FailureKind::Transient, "timeout"),
    ] {
        let e = channel.send(&message(1, slug)).await.unwrap_err();
        assert_eq!((e.kind, e.code.as_str()), (kind, code), "{slug}");
    }
    let wrong_key = adapter(base, "provider_wrong_key", "not-the-key");
    let e = wrong_key.send(&message(2, "lena-fischer")).await.unwrap_err();
    assert_eq!((e.kind, e.code.as_str()), (FailureKind::Permanent, "http_401"));
    let nowhere = adapter(format!("http://127.0.0.1:{}/v1", closed_port()), "provider_nowhere_key", KEY);
    let e = nowhere.send(&message(3, "lena-fischer")).await.unwrap_err();
    assert_eq!((e.kind, e.code.as_str()), (FailureKind::Transient, "connect"));
}

#[tokio::test]
async fn replies_since_a_time_come_oldest_first_without_the_one_already_read() {
    let (base, seen) = provider().await;
    let channel = adapter(base, "provider_replies_key", KEY);
    let replies = channel.poll_replies(at(10)).await.unwrap();
    assert_eq!(seen.lock().unwrap().polls, ["2026-04-01T10:00:00.000Z"]);
    let ids: Vec<&str> = replies.iter().map(|r| r.reply_id.as_str()).collect();
    assert_eq!(ids, ["r-2", "r-3"], "r-1 arrived at `since` exactly and was read before");
    assert_eq!(replies[0].provider_message_id.as_deref(), Some("prov-2"));
    assert_eq!(replies[0].thread_ref.as_deref(), Some("t-2"));
    assert_eq!(replies[0].text, "Yes, let's talk.");
    assert_eq!((replies[0].received_at, replies[1].provider_message_id.as_deref()), (at(11), None));
}

#[test]
fn the_adapter_needs_its_key_and_an_encrypted_url() {
    let base =
        ProviderConfig { enabled: true, base_url: "https://api.provider.example/v1".into(), ..Default::default() };
    let unset = ProviderConfig { api_key_env: "REACHSPARK_TEST_PROVIDER_KEY_UNSET_3B".into(), ..base.clone() };
    assert!(matches!(ProviderHttp::from_config(&unset), Err(ConfigError::MissingApiKey { .. })));
    let clear = ProviderConfig {
        base_url: "http://api.provider.example/v1".into(),
        api_key_env: secret_var("provider_clear_key", KEY),
        ..base
    };
    assert!(matches!(ProviderHttp::from_config(&clear), Err(ConfigError::Invalid { .. })));
    let shown = format!("{:?}", adapter("http://localhost:9/v1".into(), "provider_debug_key", KEY));
    assert!(!shown.contains(KEY), "{shown}");
}
