//! Fields that fan out over a page (`Lead.decisions`, `Lead.assignedAccount` and its `usage`)
//! load through DataLoaders: a page costs the same few statements whatever its size. The
//! statements are counted at the connection pool the schema reads through, so the count is
//! honest whatever the resolvers do: a return of the N+1 pattern costs one per lead.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use rand::SeedableRng;
use reachspark_api::auth::{Principal, Role};
use reachspark_api::graphql::schema;
use reachspark_domain::sender_account::{Channel, RegisterSenderAccount, SenderAccount, SendingLimits};
use reachspark_domain::Actor;
use reachspark_projections::workload::lead_story;
use reachspark_store::testing::TestDb;
use reachspark_store::{CommandBus, CommandContext, MasterKey, NewEvent, Store, StreamAppend};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use crate::support::{project, run};

/// `leads` leads spread over three sender accounts, projected.
async fn seeded(db: &TestDb, leads: u64) -> Vec<Uuid> {
    let bus = CommandBus::new(db.store().await);
    let ctx = || CommandContext::new(Actor::person("ops"), Utc::now());
    let registered = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).single().expect("a valid time");
    let accounts: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
    for account in &accounts {
        let limits = SendingLimits::linkedin();
        let command = RegisterSenderAccount {
            channel: Channel::LinkedIn,
            provider: "sandbox".to_owned(),
            limits,
            at: registered,
        };
        bus.execute::<SenderAccount>(&ctx(), *account, None, command.into()).await.expect("account registered");
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let campaign = Uuid::new_v4();
    for n in 0..leads {
        let account = accounts[usize::try_from(n).unwrap() % accounts.len()];
        let (events, _) = lead_story(&mut rng, n, campaign, account, registered);
        let events: Vec<NewEvent> = events.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect();
        let append =
            StreamAppend { stream_type: "lead".to_owned(), stream_id: Uuid::new_v4(), expected_version: 0, events };
        bus.store().append(&ctx(), vec![append]).await.unwrap();
    }
    project(bus.store()).await;
    accounts
}

/// A store over a pool that counts every connection handed out: one per statement, since
/// each read on a pool acquires a connection for itself.
async fn counting_store(db: &TestDb) -> (Store, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let (fresh, reused) = (Arc::clone(&count), Arc::clone(&count));
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .after_connect(move |_, _| {
            fresh.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Ok(()) })
        })
        .before_acquire(move |_, _| {
            reused.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Ok(true) })
        })
        .connect(db.url())
        .await
        .expect("connect the counting pool");
    (Store::new(pool, MasterKey::generate()).await.expect("start the store"), count)
}

fn viewer(role: Role) -> Option<Principal> {
    Some(Principal { subject: "ops".to_owned(), role, agent: None, pii: false, expires_at: u64::MAX })
}

const PAGE: &str = "query($first: Int) { leads(first: $first) { edges { node {
    id assignedTo qualityScore
    decisions { subjectId kind output }
    scores: decisions(kind: \"score\") { output }
    assignedAccount { id channel usage(day: \"2025-03-01\") { contactsUsed actions { actionType usedToday } } }
} } } }";

#[tokio::test]
async fn a_page_of_leads_loads_decisions_and_accounts_in_a_bounded_number_of_statements() {
    let db = TestDb::new().await;
    let accounts = seeded(&db, 100).await;
    let (store, statements) = counting_store(&db).await;
    let schema = schema(store);

    let mut counts = Vec::new();
    for first in [100, 10] {
        statements.store(0, Ordering::SeqCst);
        let out = run(&schema, viewer(Role::Operator), PAGE, json!({ "first": first })).await;
        counts.push(statements.load(Ordering::SeqCst));
        assert!(out.get("errors").is_none(), "{out}");
        let edges = out["data"]["leads"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first);
        for node in edges.iter().map(|e| &e["node"]) {
            let decisions = node["decisions"].as_array().unwrap();
            assert!(decisions.iter().all(|d| d["subjectId"] == node["id"]), "only this lead's decisions: {node}");
            let kinds: Vec<&str> = decisions.iter().map(|d| d["kind"].as_str().unwrap()).collect();
            assert_eq!(&kinds[..4], ["classification", "score", "allocation", "draft"], "{node}");
            assert_eq!(node["scores"], json!([{ "output": node["qualityScore"].to_string() }]));
            assert_eq!(node["assignedAccount"]["id"], node["assignedTo"]);
            assert!(accounts.iter().any(|a| node["assignedTo"] == json!(a)));
            assert_eq!(node["assignedAccount"]["channel"], "linkedin");
            let actions: Vec<&Value> = node["assignedAccount"]["usage"]["actions"].as_array().unwrap().iter().collect();
            assert_eq!(actions.len(), 3, "the LinkedIn actions: {node}");
        }
    }
    // Five when every batch catches its whole page: the page, decisions (one per `kind` asked),
    // accounts, usage. A DataLoader batches by time window, so a loaded machine splits batches
    // (16 seen with ten builds running beside it); one statement per lead would be 300 or more.
    assert!(counts.iter().all(|n| *n <= 40), "pages of 100 and of 10, three fields fanning out: {counts:?}");
}

#[tokio::test]
async fn fields_that_fan_out_check_their_own_permission() {
    let db = TestDb::new().await;
    seeded(&db, 2).await;
    let schema = schema(db.store().await);
    let decisions = "{ leads(first: 2) { edges { node { decisions { kind } } } } }";
    let out = run(&schema, viewer(Role::CrmSync), decisions, json!({})).await;
    assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{out}");
    let usage = "{ leads(first: 2) { edges { node { assignedAccount { id usage { contactsUsed } } } } } }";
    let out = run(&schema, viewer(Role::CrmSync), usage, json!({})).await;
    assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{out}");
    let accounts = "{ leads(first: 2) { edges { node { assignedAccount { id provider } } } } }";
    let out = run(&schema, viewer(Role::CrmSync), accounts, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    let out = run(&schema, viewer(Role::Analyst), usage, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
}
