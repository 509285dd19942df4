//! Queries over real read models: paging, filters, masking, errors with codes.

use async_graphql::{Request, Variables};
use chrono::Utc;
use rand::SeedableRng;
use reachspark_api::auth::{Principal, Role};
use reachspark_api::graphql::{schema, ApiSchema};
use reachspark_domain::Actor;
use reachspark_projections::runner::{self, RunnerConfig, Step};
use reachspark_projections::workload::lead_story;
use reachspark_store::testing::{settle, TestDb};
use reachspark_store::{CommandContext, NewEvent, Store, StreamAppend};
use serde_json::{json, Value};
use uuid::Uuid;

async fn seeded(leads: u64) -> (TestDb, Store, Vec<Uuid>) {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut ids = Vec::new();
    for n in 0..leads {
        let id = Uuid::new_v4();
        let (events, _) = lead_story(&mut rng, n, Uuid::new_v4(), Uuid::new_v4(), Utc::now());
        let events: Vec<NewEvent> = events.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect();
        let append = StreamAppend { stream_type: "lead".to_owned(), stream_id: id, expected_version: 0, events };
        store.append(&CommandContext::new(Actor::system(), Utc::now()), vec![append]).await.unwrap();
        ids.push(id);
    }
    settle(&store).await;
    let all = reachspark_projections::all();
    runner::ensure_ready(&store, &all).await.unwrap();
    for p in &all {
        while runner::step(&store, p.as_ref(), &RunnerConfig::default()).await.unwrap() != Step::Idle {}
    }
    (db, store, ids)
}

async fn run(schema: &ApiSchema, viewer: Option<Principal>, query: &str, variables: Value) -> Value {
    let mut request = Request::new(query).variables(Variables::from_json(variables));
    if let Some(viewer) = viewer {
        request = request.data(viewer);
    }
    serde_json::to_value(schema.execute(request).await).unwrap()
}

fn as_role(role: Role, pii: bool) -> Option<Principal> {
    Some(Principal { subject: "ops".to_owned(), role, agent: None, pii, expires_at: u64::MAX })
}

fn viewer(pii: bool) -> Option<Principal> {
    as_role(Role::Operator, pii)
}

#[tokio::test]
async fn leads_page_through_every_lead_once_in_order() {
    let (_db, store, ids) = seeded(25).await;
    let schema = schema(store);
    let query = "query($after: String) { leads(first: 10, after: $after, orderBy: QUALITY_SCORE) {
        edges { cursor node { id qualityScore } } pageInfo { hasNextPage endCursor } } }";
    let mut seen = Vec::new();
    let mut scores = Vec::new();
    let mut after = Value::Null;
    loop {
        let out = run(&schema, viewer(false), query, json!({ "after": after })).await;
        assert!(out.get("errors").is_none(), "{out}");
        let page = &out["data"]["leads"];
        for edge in page["edges"].as_array().unwrap() {
            seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
            scores.push(edge["node"]["qualityScore"].as_i64().unwrap());
        }
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 25);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 25, "no lead twice");
    assert!(ids.iter().all(|id| seen.contains(&id.to_string())));
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "ordered by score: {scores:?}");
}

#[tokio::test]
async fn personal_data_is_masked_without_the_pii_scope() {
    let (_db, store, ids) = seeded(1).await;
    let schema = schema(store);
    let query = "query($id: ID!) { lead(id: $id) { name email company linkedinUrl } }";
    let vars = json!({ "id": ids[0] });
    let masked = run(&schema, viewer(false), query, vars.clone()).await;
    assert_eq!(
        masked["data"]["lead"],
        json!({ "name": "***", "email": "***", "company": "Company 0", "linkedinUrl": "***" })
    );
    let clear = run(&schema, viewer(true), query, vars).await;
    assert_eq!(clear["data"]["lead"]["name"], "Person 0");
    assert_eq!(clear["data"]["lead"]["email"], "person0@example.com");
}

#[tokio::test]
async fn errors_carry_codes_and_no_internal_detail() {
    let (_db, store, ids) = seeded(1).await;
    let schema = schema(store);
    let anonymous = run(&schema, None, "{ leads(first: 1) { edges { node { id } } } }", json!({})).await;
    assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(anonymous["data"], Value::Null);

    let too_many = run(&schema, viewer(false), "{ leads(first: 1000) { edges { node { id } } } }", json!({})).await;
    assert_eq!(too_many["errors"][0]["extensions"]["code"], "VALIDATION");
    assert_eq!(too_many["errors"][0]["message"], "first: must be between 1 and 100");

    let bad_id = run(&schema, viewer(false), r#"{ lead(id: "nope") { id } }"#, json!({})).await;
    assert_eq!(bad_id["errors"][0]["message"], "id: not a UUID");
    let missing =
        run(&schema, viewer(false), "query($id: ID!) { lead(id: $id) { id } }", json!({ "id": Uuid::new_v4() })).await;
    assert_eq!(missing["data"]["lead"], Value::Null);

    let explain = run(
        &schema,
        viewer(false),
        "query($id: ID!) { explain(leadId: $id) { kind output engine factors } }",
        json!({ "id": ids[0] }),
    )
    .await;
    let kinds: Vec<&str> =
        explain["data"]["explain"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..4], ["classification", "score", "allocation", "draft"]);
}

#[tokio::test]
async fn hostile_queries_hit_the_depth_and_complexity_limits() {
    let (_db, store, _) = seeded(1).await;
    let schema = schema(store);
    let wide = format!(
        "{{ {} }}",
        (0..60)
            .map(|i| format!("a{i}: leads(first: 100) {{ edges {{ node {{ id name email }} }} }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = run(&schema, viewer(false), &wide, json!({})).await;
    assert!(out["errors"][0]["message"].as_str().unwrap().contains("complex"), "{out}");
}

#[tokio::test]
async fn timeline_lead_as_of_audit_and_projections_answer() {
    let (_db, store, ids) = seeded(2).await;
    let schema = schema(store);
    let q = "query($id: ID!, $at: DateTime!) {
        timeline(leadId: $id) { version eventType summary }
        leadAsOf(id: $id, at: $at) { version contactStatus classification }
        auditVerify { intact events }
        projections { name lag state } }";
    let out = run(&schema, as_role(Role::Admin, false), q, json!({ "id": ids[0], "at": Utc::now() })).await;
    assert!(out.get("errors").is_none(), "{out}");
    let timeline = out["data"]["timeline"].as_array().unwrap();
    assert_eq!(timeline[0]["eventType"], "LeadDiscovered");
    assert_eq!(out["data"]["leadAsOf"]["version"].as_i64().unwrap(), i64::try_from(timeline.len()).unwrap());
    assert_eq!(out["data"]["auditVerify"]["intact"], true);
    assert!(out["data"]["projections"].as_array().unwrap().iter().all(|p| p["lag"] == 0 && p["state"] == "running"));
}

#[tokio::test]
async fn each_role_gets_what_the_matrix_allows_and_forbidden_otherwise() {
    let (_db, store, _) = seeded(1).await;
    let schema = schema(store);
    let audit = "{ auditVerify { intact } }";
    for (role, allowed) in [
        (Role::Admin, true),
        (Role::Auditor, true),
        (Role::Operator, false),
        (Role::Analyst, false),
        (Role::CrmSync, false),
    ] {
        let out = run(&schema, as_role(role, false), audit, json!({})).await;
        if allowed {
            assert_eq!(out["data"]["auditVerify"]["intact"], true, "{role:?}: {out}");
        } else {
            assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{role:?}: {out}");
        }
    }
    // Analysts read leads but never unmask personal data, even with the pii scope.
    let out =
        run(&schema, as_role(Role::Analyst, true), "{ leads(first: 1) { edges { node { name } } } }", json!({})).await;
    assert_eq!(out["data"]["leads"]["edges"][0]["node"]["name"], "***", "{out}");
}

#[tokio::test]
async fn the_raw_log_pages_without_gap_or_duplicate_and_masks_personal_data() {
    let (_db, store, ids) = seeded(3).await;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(store.pool()).await.unwrap();
    let schema = schema(store);
    let q = "query($after: String) { events(first: 4, after: $after) { events { cursor position eventType payload } endCursor } }";
    let mut after = Value::Null;
    let mut positions = Vec::new();
    loop {
        let out = run(&schema, as_role(Role::Auditor, false), q, json!({ "after": after })).await;
        assert!(out.get("errors").is_none(), "{out}");
        let page = out["data"]["events"]["events"].as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        for e in &page {
            positions.push(e["position"].as_i64().unwrap());
            if e["eventType"] == "LeadDiscovered" {
                assert_eq!(e["payload"]["name"], json!({ "$pii": "***" }), "masked without pii");
            }
        }
        after = out["data"]["events"]["endCursor"].clone();
    }
    let mut unique = positions.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!((positions.len(), unique.len()), (usize::try_from(total).unwrap(), usize::try_from(total).unwrap()));

    let filtered = "query($id: ID!) { events(first: 100, filter: { streamId: $id, eventTypes: [\"LeadDiscovered\"] }) { events { payload } } }";
    let out = run(&schema, as_role(Role::Admin, true), filtered, json!({ "id": ids[0] })).await;
    let events = out["data"]["events"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{out}");
    assert_eq!(events[0]["payload"]["name"], json!({ "$pii": "Person 0" }));
    let analyst = run(&schema, as_role(Role::Analyst, false), "{ events(first: 1) { endCursor } }", json!({})).await;
    assert_eq!(analyst["errors"][0]["extensions"]["code"], "FORBIDDEN");

    // One stream is read by its index, a page at a time: the same events, cursors and final
    // cursor as scanning the whole log and keeping that stream's events.
    let scan = "{ events(first: 100) { events { cursor streamId } endCursor } }";
    let all = run(&schema, as_role(Role::Auditor, false), scan, json!({})).await["data"]["events"].clone();
    let expected: Vec<Value> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["streamId"] == ids[1].to_string().as_str())
        .map(|e| e["cursor"].clone())
        .collect();
    assert!(expected.len() > 1, "{all}");
    let one = "query($id: ID!, $after: String) { events(first: 1, after: $after, filter: { streamId: $id }) {
        events { cursor } endCursor } }";
    let (mut seen, mut after) = (Vec::new(), Value::Null);
    loop {
        let page =
            run(&schema, as_role(Role::Auditor, false), one, json!({ "id": ids[1].to_string(), "after": after })).await;
        let page = page["data"]["events"].clone();
        let events = page["events"].as_array().unwrap().clone();
        after = page["endCursor"].clone();
        if events.is_empty() {
            break;
        }
        seen.extend(events.into_iter().map(|e| e["cursor"].clone()));
    }
    assert_eq!(seen, expected);
    assert_eq!(after, all["endCursor"], "an exhausted stream ends at the log's head, as a scan does");
}
