//! Subscriptions through `schema.execute_stream`: the `events` seam, masking, permissions, and
//! `leadChanged` / `pipelineChanged` waiting for their read models.

use std::time::Duration;

use async_graphql::{Request, Variables};
use chrono::Utc;
use futures::{Stream, StreamExt};
use rand::SeedableRng;
use reachspark_api::auth::{Principal, Role};
use reachspark_api::graphql::{schema, ApiSchema};
use reachspark_domain::lead::LeadEvent;
use reachspark_domain::Actor;
use reachspark_projections::runner::{self, RunnerConfig, Step};
use reachspark_projections::workload::lead_story;
use reachspark_store::testing::TestDb;
use reachspark_store::{CommandContext, NewEvent, Store, StreamAppend};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::hub::{append_each, log_order};

fn principal(role: Role, pii: bool) -> Principal {
    Principal { subject: "sub".to_owned(), role, agent: None, pii, expires_at: u64::MAX }
}

fn subscribe(
    schema: &ApiSchema,
    viewer: Option<Principal>,
    query: &str,
    variables: Value,
) -> impl Stream<Item = Value> + Unpin {
    let mut request = Request::new(query).variables(Variables::from_json(variables));
    if let Some(viewer) = viewer {
        request = request.data(viewer);
    }
    schema.execute_stream(request).map(|response| serde_json::to_value(response).unwrap()).boxed()
}

async fn next(stream: &mut (impl Stream<Item = Value> + Unpin)) -> Value {
    tokio::time::timeout(Duration::from_secs(20), stream.next()).await.expect("an item in time").expect("open")
}

/// A lead's story (discovery, classification, ...) in campaign `campaign`.
fn story(n: u64, campaign: Uuid) -> Vec<LeadEvent> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(n);
    lead_story(&mut rng, n, campaign, Uuid::new_v4(), Utc::now()).0
}

async fn append_lead(store: &Store, lead: Uuid, version: i64, events: &[LeadEvent]) {
    let events: Vec<NewEvent> = events.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect();
    let append = StreamAppend { stream_type: "lead".to_owned(), stream_id: lead, expected_version: version, events };
    store.append(&CommandContext::new(Actor::system(), Utc::now()), vec![append]).await.unwrap();
}

async fn project(store: &Store) {
    let all = reachspark_projections::all();
    runner::ensure_ready(store, &all).await.unwrap();
    reachspark_store::testing::settle(store).await;
    for p in &all {
        while runner::step(store, p.as_ref(), &RunnerConfig::default()).await.unwrap() != Step::Idle {}
    }
}

#[tokio::test]
async fn events_replays_then_streams_live_masked_without_the_pii_scope() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let lead = Uuid::new_v4();
    append_lead(&store, lead, 0, &story(0, Uuid::new_v4())).await;
    let history = log_order(&store, None).await;
    let schema = schema(store.clone());
    let q = "subscription { events { cursor position eventType payload } }";
    let mut stream = subscribe(&schema, Some(principal(Role::CrmSync, false)), q, json!({}));
    let mut seen = Vec::new();
    for _ in 0..history.len() {
        let item = next(&mut stream).await;
        let event = &item["data"]["events"];
        if event["eventType"] == "LeadDiscovered" {
            assert_eq!(event["payload"]["name"], json!({ "$pii": "***" }), "{item}");
        }
        seen.push(event["cursor"].as_str().unwrap().to_owned());
    }
    append_each(&store, Uuid::new_v4(), 0, 25).await;
    for _ in 0..25 {
        seen.push(next(&mut stream).await["data"]["events"]["cursor"].as_str().unwrap().to_owned());
    }
    let expected: Vec<String> = log_order(&store, None).await.iter().map(ToString::to_string).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn events_resumes_after_a_cursor_and_filters_like_the_query() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    append_each(&store, a, 0, 5).await;
    append_each(&store, b, 0, 5).await;
    let order = log_order(&store, Some(b)).await;
    let schema = schema(store.clone());
    let q =
        "subscription($from: String, $id: ID) { events(fromPosition: $from, filter: { streamId: $id }) { cursor } }";
    let vars = json!({ "from": order[1].to_string(), "id": b });
    let mut stream = subscribe(&schema, Some(principal(Role::Auditor, false)), q, vars);
    append_each(&store, a, 5, 3).await;
    append_each(&store, b, 5, 2).await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(next(&mut stream).await["data"]["events"]["cursor"].as_str().unwrap().to_owned());
    }
    let expected: Vec<String> = log_order(&store, Some(b)).await[2..].iter().map(ToString::to_string).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn subscriptions_check_the_callers_role_and_their_arguments() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let schema = schema(store);
    let id = json!({ "id": Uuid::new_v4() });
    let cases = [
        (None, "subscription { events { cursor } }", json!({}), "UNAUTHENTICATED"),
        (Some(Role::Operator), "subscription { events { cursor } }", json!({}), "FORBIDDEN"),
        (Some(Role::Analyst), "subscription { events { cursor } }", json!({}), "FORBIDDEN"),
        (
            Some(Role::CrmSync),
            "subscription($id: ID!) { pipelineChanged(campaign: $id) { sent } }",
            id.clone(),
            "FORBIDDEN",
        ),
        (Some(Role::Auditor), "subscription($id: ID!) { pipelineChanged(campaign: $id) { sent } }", id, "FORBIDDEN"),
        (Some(Role::Admin), r#"subscription { events(fromPosition: "x") { cursor } }"#, json!({}), "VALIDATION"),
        (
            Some(Role::Admin),
            r#"subscription { events(filter: { streamId: "x" }) { cursor } }"#,
            json!({}),
            "VALIDATION",
        ),
        (Some(Role::Admin), r#"subscription { leadChanged(id: "x") { version } }"#, json!({}), "VALIDATION"),
    ];
    for (role, query, vars, code) in cases {
        let mut stream = subscribe(&schema, role.map(|r| principal(r, true)), query, vars);
        let out = next(&mut stream).await;
        assert_eq!(out["errors"][0]["extensions"]["code"], code, "{role:?} {query}: {out}");
        assert!(stream.next().await.is_none(), "the stream ends after the error");
    }
}

#[tokio::test]
async fn lead_changed_sends_the_row_only_once_the_read_model_has_applied_the_event() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let (lead, campaign) = (Uuid::new_v4(), Uuid::new_v4());
    let events = story(3, campaign);
    append_lead(&store, lead, 0, &events[..1]).await;
    project(&store).await;
    let schema = schema(store.clone());
    let q = "subscription($id: ID!) {
        leadChanged(id: $id) { cursor eventType version lead { name classification version } } }";
    let mut changes = subscribe(&schema, Some(principal(Role::Analyst, true)), q, json!({ "id": lead }));
    let mut counts = subscribe(
        &schema,
        Some(principal(Role::Analyst, false)),
        "subscription($c: ID!) { pipelineChanged(campaign: $c) { campaignId discovered classified } }",
        json!({ "c": campaign }),
    );
    let first = next(&mut counts).await;
    assert_eq!(first["data"]["pipelineChanged"], json!({ "campaignId": campaign, "discovered": 1, "classified": 0 }));

    append_lead(&store, lead, 1, &events[1..2]).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), changes.next()).await.is_err(),
        "nothing before the leads read model has applied the event"
    );
    project(&store).await;
    let change = next(&mut changes).await;
    let change = &change["data"]["leadChanged"];
    assert_eq!(change["eventType"], "LeadClassified", "{change}");
    assert_eq!(change["version"], 2);
    assert_eq!(change["lead"]["version"], 2);
    assert_eq!(change["lead"]["name"], "***", "analysts never unmask");
    assert!(change["lead"]["classification"].is_string(), "{change}");
    let update = next(&mut counts).await;
    assert_eq!(update["data"]["pipelineChanged"]["classified"], 1, "{update}");
}

#[tokio::test]
async fn get_on_the_graphql_path_still_answers_queries_and_wants_an_upgrade_for_websocket() {
    use axum::body::Body;
    use axum::http::{Request as HttpRequest, StatusCode};
    use tower::ServiceExt as _;

    let db = TestDb::new().await;
    let router = reachspark_api::router(reachspark_api::AppState::new(db.store().await, None));
    let get = HttpRequest::get("/graphql?query=%7B__typename%7D").body(Body::empty()).unwrap();
    let response = router.clone().oneshot(get).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!({ "data": { "__typename": "QueryRoot" } }));
    // An upgrade request that did not come over a real connection cannot be upgraded.
    let upgrade = HttpRequest::get("/graphql")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", "graphql-transport-ws")
        .body(Body::empty())
        .unwrap();
    assert_eq!(router.oneshot(upgrade).await.unwrap().status(), StatusCode::UPGRADE_REQUIRED);
}
