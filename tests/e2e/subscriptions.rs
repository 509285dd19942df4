//! Subscriptions over a real WebSocket against `reachspark serve`: the replay/live seam, a
//! client dropped in the middle of a burst resuming from its last cursor, the legacy protocol,
//! refused and expiring tokens, masking, and `leadChanged` / `pipelineChanged`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use rand::SeedableRng;
use reachspark_api::auth::{issue_hs256, Claims, Role};
use reachspark_domain::lead::LeadEvent;
use reachspark_domain::{Actor, Pii};
use reachspark_projections::workload::lead_story;
use reachspark_store::testing::{settle, TestDb};
use reachspark_store::{CommandContext, MasterKey, NewEvent, Position, Store, StreamAppend};
use secrecy::SecretString;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::{reachspark, serve, terminate, Server};
use crate::ws::{handshake_status, Client, Incoming, Protocol};

const SECRET: &str = "an-e2e-test-secret-for-subscriptions-0123456789";
const EVENTS: &str =
    "subscription($from: String) { events(fromPosition: $from) { cursor position eventType payload } }";

/// A database, a store on it, and `serve` on the same database and master key.
async fn start() -> (TestDb, Store, Server) {
    let db = TestDb::new().await;
    let key = MasterKey::generate().to_base64();
    let store = db.store_with(MasterKey::from_base64(&key).unwrap()).await;
    let mut cmd = reachspark();
    cmd.env("DATABASE_URL", db.url()).env("REACHSPARK_MASTER_KEY", &key).env("REACHSPARK_JWT_SECRET", SECRET);
    let server = serve(cmd).await;
    (db, store, server)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn token_until(role: Role, pii: bool, exp: u64) -> String {
    let scope = if pii { vec!["pii".to_owned()] } else { Vec::new() };
    let claims = Claims { sub: "e2e".to_owned(), role, agent: None, scope, exp, iat: now() - 60 };
    issue_hs256(&claims, &SecretString::from(SECRET)).unwrap()
}

fn token(role: Role, pii: bool) -> String {
    token_until(role, pii, now() + 600)
}

/// Appends `count` events, one command each, to a new stream.
async fn append_many(store: &Store, count: i64) {
    let stream = Uuid::new_v4();
    for version in 0..count {
        let note =
            LeadEvent::NoteAdded { text: Pii::new(format!("note {version}")), author: Actor::system(), at: Utc::now() };
        let event = NewEvent::from_domain(&note).unwrap();
        let append = StreamAppend {
            stream_type: "lead".to_owned(),
            stream_id: stream,
            expected_version: version,
            events: vec![event],
        };
        store.append(&CommandContext::new(Actor::system(), Utc::now()), vec![append]).await.unwrap();
    }
}

async fn append_lead(store: &Store, lead: Uuid, version: i64, events: &[LeadEvent]) {
    let events: Vec<NewEvent> = events.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect();
    let append = StreamAppend { stream_type: "lead".to_owned(), stream_id: lead, expected_version: version, events };
    store.append(&CommandContext::new(Actor::system(), Utc::now()), vec![append]).await.unwrap();
}

/// Every cursor of the log in the gap-free order.
async fn log_order(store: &Store) -> Vec<String> {
    settle(store).await;
    let mut all = Vec::new();
    let mut cursor = Position::START;
    loop {
        let batch = store.read_all(cursor, 1000).await.unwrap();
        let Some(last) = batch.last() else { break };
        cursor = last.position();
        all.extend(batch.iter().map(|e| e.position().to_string()));
    }
    all
}

async fn cursors(client: &mut Client, id: &str, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let payload = client.next_payload(id).await;
        out.push(payload["data"]["events"]["cursor"].as_str().unwrap_or_else(|| panic!("{payload}")).to_owned());
    }
    out
}

async fn stop(mut server: Server) {
    terminate(&server.child);
    let exit = tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
    assert!(exit.success());
}

#[tokio::test]
async fn events_replays_history_then_streams_live_with_no_gap_and_no_duplicate() {
    let (_db, store, server) = start().await;
    append_many(&store, 40).await;
    let mut client = Client::connect(&server.base, Protocol::Transport).await;
    client.authenticate(&token(Role::CrmSync, false)).await;
    client.subscribe("1", EVENTS, json!({})).await;
    let mut seen = cursors(&mut client, "1", 10).await;
    // Three writers append 60 more while the first 40 are still streaming.
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { append_many(&store, 20).await })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    seen.extend(cursors(&mut client, "1", 90).await);
    assert_eq!(seen, log_order(&store).await, "every position once, in the log's order");
    assert_eq!(client.next_within(Duration::from_millis(300)).await, None, "and nothing more");
    stop(server).await;
}

#[tokio::test]
async fn a_client_dropped_mid_burst_resumes_from_its_last_cursor_and_misses_nothing() {
    let (_db, store, server) = start().await;
    let token = token(Role::CrmSync, false);
    let mut client = Client::connect(&server.base, Protocol::Transport).await;
    client.authenticate(&token).await;
    client.subscribe("1", EVENTS, json!({})).await;
    // Four writers append until told to stop, so the drop lands in the middle of the burst.
    let burst = Arc::new(AtomicBool::new(true));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (store, burst) = (store.clone(), Arc::clone(&burst));
            tokio::spawn(async move {
                while burst.load(Ordering::Relaxed) {
                    append_many(&store, 4).await;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        })
        .collect();
    let mut seen = cursors(&mut client, "1", 60).await;
    drop(client);

    let mut client = Client::connect(&server.base, Protocol::Transport).await;
    client.authenticate(&token).await;
    client.subscribe("2", EVENTS, json!({ "from": seen.last().unwrap() })).await;
    seen.extend(cursors(&mut client, "2", 60).await);
    burst.store(false, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    let expected = log_order(&store).await;
    assert!(expected.len() >= 120);
    seen.extend(cursors(&mut client, "2", expected.len() - seen.len()).await);
    assert_eq!(seen, expected, "every position exactly once across the reconnect");
    assert_eq!(client.next_within(Duration::from_millis(300)).await, None);
    stop(server).await;
}

#[tokio::test]
async fn the_legacy_graphql_ws_protocol_streams_stops_and_terminates() {
    let (_db, store, server) = start().await;
    append_many(&store, 3).await;
    let mut client = Client::connect(&server.base, Protocol::Legacy).await;
    client.authenticate(&token(Role::Auditor, true)).await;
    client.subscribe("a", EVENTS, json!({})).await;
    let seen = cursors(&mut client, "a", 3).await;
    assert_eq!(seen, log_order(&store).await);
    client.stop("a").await;
    assert_eq!(client.next().await, Incoming::Complete { id: "a".to_owned() });
    append_many(&store, 1).await;
    assert_eq!(client.next_within(Duration::from_millis(300)).await, None, "stopped means stopped");
    // A socket still open does not hold the server up on SIGTERM.
    client.subscribe("b", EVENTS, json!({})).await;
    assert_eq!(cursors(&mut client, "b", 4).await.len(), 4);
    client.send(json!({ "type": "connection_terminate" })).await;
    assert!(matches!(client.next().await, Incoming::Closed { .. }));
    let mut open = Client::connect(&server.base, Protocol::Transport).await;
    open.authenticate(&token(Role::Auditor, true)).await;
    stop(server).await;
}

#[tokio::test]
async fn refused_and_expiring_tokens_close_the_socket_and_personal_data_stays_masked() {
    let (_db, store, server) = start().await;
    let base = server.base.clone();
    let mut idle = Client::connect(&base, Protocol::Transport).await;
    let closed = |code: u16| move |got: &Incoming| matches!(got, Incoming::Closed { code: c, .. } if *c == code);

    assert_eq!(handshake_status(&base, None).await, 400, "no sub-protocol offered");
    assert_eq!(handshake_status(&base, Some("mqtt")).await, 400, "no sub-protocol we speak");
    let mut client = Client::connect(&base, Protocol::Transport).await;
    assert!(closed(4403)(&client.init(json!({})).await), "no token");
    let mut client = Client::connect(&base, Protocol::Transport).await;
    let forged = format!("{}x", token(Role::Admin, true));
    assert!(closed(4403)(&client.init(json!({ "token": forged })).await), "a bad signature");
    let mut client = Client::connect(&base, Protocol::Transport).await;
    client.subscribe("1", EVENTS, json!({})).await;
    assert!(closed(4401)(&client.next().await), "subscribe before connection_init");

    let mut legacy = Client::connect(&base, Protocol::Legacy).await;
    let refused = legacy.init(json!({ "authorization": "Bearer nope" })).await;
    assert_eq!(
        refused,
        Incoming::ConnectionError(json!({ "message": "malformed token", "extensions": { "code": "UNAUTHENTICATED" } }))
    );
    assert!(closed(4403)(&legacy.next().await));

    let mut operator = Client::connect(&base, Protocol::Transport).await;
    operator.authenticate(&token(Role::Operator, true)).await;
    operator.subscribe("1", EVENTS, json!({})).await;
    let payload = operator.next_payload("1").await;
    assert_eq!(payload["errors"][0]["extensions"]["code"], "FORBIDDEN", "{payload}");
    assert_eq!(operator.next().await, Incoming::Complete { id: "1".to_owned() });

    let mut lead_events = story(0, Uuid::new_v4());
    lead_events.truncate(1);
    append_lead(&store, Uuid::new_v4(), 0, &lead_events).await;
    for (pii, name) in [(false, json!({ "$pii": "***" })), (true, json!({ "$pii": "Person 0" }))] {
        let mut client = Client::connect(&base, Protocol::Transport).await;
        client.authenticate(&token(Role::CrmSync, pii)).await;
        client.subscribe("1", EVENTS, json!({})).await;
        let payload = client.next_payload("1").await;
        assert_eq!(payload["data"]["events"]["payload"]["name"], name, "pii {pii}: {payload}");
    }

    // Accepted within the 30 s leeway, expiring two seconds from now: acked, then closed.
    let mut expiring = Client::connect(&base, Protocol::Transport).await;
    expiring.authenticate(&token_until(Role::CrmSync, false, now() - 28)).await;
    expiring.subscribe("1", EVENTS, json!({})).await;
    let ended = loop {
        match expiring.next().await {
            Incoming::Next { .. } => {}
            other => break other,
        }
    };
    assert_eq!(ended, Incoming::Closed { code: 4401, reason: "Unauthorized: token expired".to_owned() });
    let mut expiring = Client::connect(&base, Protocol::Legacy).await;
    expiring.authenticate(&token_until(Role::CrmSync, false, now() - 29)).await;
    let error = expiring.next().await;
    assert_eq!(
        error,
        Incoming::ConnectionError(json!({ "message": "token expired", "extensions": { "code": "UNAUTHENTICATED" } }))
    );
    assert!(closed(4401)(&expiring.next().await));

    // The socket that never sent connection_init is closed after ten seconds.
    assert!(closed(4408)(&idle.next().await));
    stop(server).await;
}

fn story(n: u64, campaign: Uuid) -> Vec<LeadEvent> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(n);
    lead_story(&mut rng, n, campaign, Uuid::new_v4(), Utc::now()).0
}

#[tokio::test]
async fn lead_changed_and_pipeline_changed_follow_the_read_models() {
    let (_db, store, server) = start().await;
    let (lead, campaign) = (Uuid::new_v4(), Uuid::new_v4());
    let events = story(7, campaign);
    append_lead(&store, lead, 0, &events[..1]).await;
    // Visible to gap-free readers before subscribing, so the first counts include it.
    settle(&store).await;
    let mut client = Client::connect(&server.base, Protocol::Transport).await;
    client.authenticate(&token(Role::Admin, true)).await;
    let lead_q =
        "subscription($id: ID!) { leadChanged(id: $id) { eventType version lead { name classification version } } }";
    client.subscribe("lead", lead_q, json!({ "id": lead })).await;
    let pipeline_q = "subscription($c: ID!) { pipelineChanged(campaign: $c) { discovered classified } }";
    client.subscribe("pipe", pipeline_q, json!({ "c": campaign })).await;
    let first = client.next_payload("pipe").await;
    assert_eq!(first["data"]["pipelineChanged"], json!({ "discovered": 1, "classified": 0 }));

    append_lead(&store, lead, 1, &events[1..2]).await;
    let (mut change, mut update) = (Value::Null, Value::Null);
    while change.is_null() || update.is_null() {
        match client.next().await {
            Incoming::Next { id, payload } if id == "lead" => change = payload,
            Incoming::Next { id, payload } if id == "pipe" => update = payload,
            other => panic!("unexpected {other:?}"),
        }
    }
    let change = &change["data"]["leadChanged"];
    assert_eq!((change["eventType"].as_str(), change["version"].as_i64()), (Some("LeadClassified"), Some(2)));
    assert_eq!(change["lead"]["version"], 2, "the row has applied the event: {change}");
    assert_eq!(change["lead"]["name"], "Person 7");
    assert!(change["lead"]["classification"].is_string());
    assert_eq!(update["data"]["pipelineChanged"], json!({ "discovered": 1, "classified": 1 }));
    stop(server).await;
}
