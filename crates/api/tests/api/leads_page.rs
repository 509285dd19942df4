//! `leads` in its default order (most recently changed first) with a campaign and status
//! filter: every matching lead once, in order, across pages; the page is read from the leads
//! model's index rather than by sorting every matching row; and a page that selects some fields
//! answers them exactly as a page that selects every field does.

use async_graphql::{Request, Variables};
use chrono::Utc;
use rand::SeedableRng;
use reachspark_api::auth::{Principal, Role};
use reachspark_api::graphql::schema;
use reachspark_domain::Actor;
use reachspark_projections::queries::{self, LeadFilter, LeadOrder};
use reachspark_projections::runner::{self, RunnerConfig, Step};
use reachspark_projections::workload::lead_story;
use reachspark_store::testing::{settle, TestDb};
use reachspark_store::{CommandContext, NewEvent, Store, StreamAppend};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

const LEADS: u64 = 40;

/// `LEADS` leads of one campaign, each appended separately so their update times differ.
async fn one_campaign() -> (TestDb, Store, Uuid) {
    let db = TestDb::new().await;
    let store = db.store().await;
    let campaign = Uuid::new_v4();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for n in 0..LEADS {
        let (events, _) = lead_story(&mut rng, n, campaign, Uuid::new_v4(), Utc::now());
        let events: Vec<NewEvent> = events.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect();
        let append =
            StreamAppend { stream_type: "lead".to_owned(), stream_id: Uuid::new_v4(), expected_version: 0, events };
        store.append(&CommandContext::new(Actor::system(), Utc::now()), vec![append]).await.unwrap();
    }
    settle(&store).await;
    let all = reachspark_projections::all();
    runner::ensure_ready(&store, &all).await.unwrap();
    for p in &all {
        while runner::step(&store, p.as_ref(), &RunnerConfig::default()).await.unwrap() != Step::Idle {}
    }
    (db, store, campaign)
}

#[tokio::test]
async fn filtered_pages_in_the_default_order_hold_every_match_once_newest_first() {
    let (_db, store, campaign) = one_campaign().await;
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT lead_id::text FROM read.leads WHERE campaign_id = $1 AND contact_status = 'Sent'
         ORDER BY updated_at DESC, lead_id DESC",
    )
    .bind(campaign)
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(expected.len() > 10, "the workload sends most leads no reply: {}", expected.len());

    let schema = schema(store);
    let viewer =
        Principal { subject: "ops".to_owned(), role: Role::Operator, agent: None, pii: false, expires_at: u64::MAX };
    let query = "query($c: ID!, $after: String) { leads(first: 7, after: $after,
        filter: {campaignId: $c, contactStatus: \"Sent\"}) { edges { node { id } } pageInfo { hasNextPage endCursor } } }";
    let (mut seen, mut after) = (Vec::new(), Value::Null);
    loop {
        let variables = Variables::from_json(json!({ "c": campaign, "after": after }));
        let request = Request::new(query).variables(variables).data(viewer.clone());
        let out = serde_json::to_value(schema.execute(request).await).unwrap();
        assert!(out.get("errors").is_none(), "{out}");
        let page = &out["data"]["leads"];
        seen.extend(page["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, expected, "newest first, ties by id, every match exactly once");
}

#[tokio::test]
async fn a_filtered_page_and_the_next_are_index_range_scans() {
    let (db, store, campaign) = one_campaign().await;
    // One connection on which the planner may neither scan the table nor sort: only an index
    // that yields the rows in the page's order can answer.
    let options: PgConnectOptions = db.url().parse().unwrap();
    let options = options.options([("enable_seqscan", "off"), ("enable_bitmapscan", "off"), ("enable_sort", "off")]);
    let pool = PgPoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    let filter =
        LeadFilter { campaign_id: Some(campaign), contact_status: Some("Sent".to_owned()), ..LeadFilter::default() };
    let matching: i64 =
        sqlx::query_scalar("SELECT count(*) FROM read.leads WHERE campaign_id = $1 AND contact_status = 'Sent'")
            .bind(campaign)
            .fetch_one(&pool)
            .await
            .unwrap();
    // Index entries read so far: a range scan in the page's order stops after the page, a scan
    // that needs a sort afterwards reads every matching entry.
    let entries_read = || async {
        sqlx::query("SELECT pg_stat_force_next_flush()").execute(&pool).await.unwrap();
        sqlx::query_scalar::<_, i64>(
            "SELECT idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = 'leads_campaign_status_recent_idx'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let before = entries_read().await;
    let first = queries::leads(&pool, &filter, LeadOrder::RecentlyUpdated, None, 5).await.unwrap();
    let cursor = LeadOrder::RecentlyUpdated.cursor(first.last().unwrap());
    let second = queries::leads(&pool, &filter, LeadOrder::RecentlyUpdated, Some(cursor), 5).await.unwrap();
    assert_eq!((first.len(), second.len()), (5, 5));
    assert!(second.iter().all(|row| !first.iter().any(|f| f.lead_id == row.lead_id)));
    let read = entries_read().await - before;
    assert!(matching > 20, "enough matches to tell a range scan from a sort: {matching}");
    assert!(read <= 12, "two pages of 5 read {read} index entries of {matching} matching: not a range scan");
    drop(store);
}

#[tokio::test]
async fn each_field_selected_alone_or_in_a_fragment_answers_as_in_the_full_selection() {
    let (_db, store, _) = one_campaign().await;
    let schema = schema(store);
    let viewer =
        Principal { subject: "ops".to_owned(), role: Role::Admin, agent: None, pii: true, expires_at: u64::MAX };
    let ask = |query: String| {
        let request = Request::new(query).data(viewer.clone());
        let schema = schema.clone();
        async move {
            let out = serde_json::to_value(schema.execute(request).await).unwrap();
            assert!(out.get("errors").is_none(), "{out}");
            out["data"]["leads"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect::<Vec<_>>()
        }
    };
    let introspection = serde_json::to_value(schema.execute(r#"{ __type(name: "Lead") { fields { name } } }"#).await);
    let fields: Vec<String> = introspection.unwrap()["data"]["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        // Object fields (decisions, the sender account) come through DataLoaders, not columns;
        // dataloaders.rs tests them.
        .filter(|name| !matches!(name.as_str(), "decisions" | "assignedAccount"))
        .collect();
    let all = fields.join(" ");
    let full = ask(format!("{{ leads(first: 20) {{ edges {{ node {{ {all} }} }} }} }}")).await;
    // The truth: `lead(id)`, which reads every column whatever is selected.
    let mut truth = Vec::new();
    for lead in &full {
        let query = format!("{{ lead(id: {}) {{ {all} }} }}", lead["id"]);
        let out = serde_json::to_value(schema.execute(Request::new(query).data(viewer.clone())).await).unwrap();
        truth.push(out["data"]["lead"].clone());
    }
    for field in &fields {
        let differs = full.iter().zip(&truth).any(|(page, one)| page[field.as_str()] != one[field.as_str()]);
        assert!(!differs, "`{field}` of a page selecting every field differs from `lead`'s");
    }
    assert!(full.iter().any(|lead| !lead["responseIntent"].is_null()), "some leads replied, so texts are present");
    for field in fields.iter().filter(|f| *f != "id") {
        let alone = ask(format!("{{ leads(first: 20) {{ edges {{ node {{ id {field} }} }} }} }}")).await;
        let inline =
            ask(format!("{{ leads(first: 20) {{ edges {{ node {{ id ... on Lead {{ {field} }} }} }} }} }}")).await;
        let named = ask(format!(
            "query {{ leads(first: 20) {{ edges {{ node {{ id ...F }} }} }} }} fragment F on Lead {{ {field} }}"
        ))
        .await;
        for answer in [alone, inline, named] {
            let differs = answer.iter().zip(&truth).any(|(got, want)| got[field.as_str()] != want[field.as_str()]);
            assert!(!differs, "`{field}` differs when selected without the other fields");
        }
    }
}
