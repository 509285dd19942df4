//! `lead_as_of` rebuilds a lead as it was, and agrees with the projection at that time.

use rand::SeedableRng;
use reachspark_domain::lead::{ContactStatus, LeadEvent};
use reachspark_projections::as_of::lead_as_of;
use reachspark_projections::runner;
use reachspark_projections::workload::lead_story;
use reachspark_store::testing::TestDb;
use reachspark_store::NewEvent;
use uuid::Uuid;

use crate::fixtures::{ctx, drain, stream};

#[tokio::test]
async fn a_lead_as_of_a_past_time_matches_the_read_model_at_that_time() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let all = reachspark_projections::all();
    runner::ensure_ready(&store, &all).await.unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let lead = Uuid::new_v4();
    let (events, _) = lead_story(&mut rng, 1, Uuid::new_v4(), Uuid::new_v4(), chrono::Utc::now());
    let sent = events.iter().position(|e| matches!(e, LeadEvent::MessageSent { .. })).unwrap();
    let (early, late) = events.split_at(4);
    let to_new = |e: &[LeadEvent]| e.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect::<Vec<_>>();
    store.append(&ctx(), vec![stream("lead", lead, 0, to_new(early))]).await.unwrap();
    drain(&store, &all, 100).await;
    let then: (String, Option<String>, Option<i16>, i64) = sqlx::query_as(
        "SELECT contact_status, classification, quality_score, stream_version FROM read.leads WHERE lead_id = $1",
    )
    .bind(lead)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let at: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT clock_timestamp()").fetch_one(store.pool()).await.unwrap();

    store.append(&ctx(), vec![stream("lead", lead, 4, to_new(late))]).await.unwrap();
    drain(&store, &all, 100).await;
    assert!(sent >= 4);

    let (state, version) = lead_as_of(&store, lead, at).await.unwrap().expect("the lead existed then");
    assert_eq!(version, then.3);
    assert_eq!(state.status().map(|s| reachspark_projections::models::sheet_label(&s)), Some(then.0));
    assert_eq!(state.classification().map(|c| reachspark_projections::models::sheet_label(&c)), then.1);
    assert_eq!(state.score().map(i16::from), then.2);
    let (now_state, now_version) = lead_as_of(&store, lead, chrono::Utc::now()).await.unwrap().unwrap();
    assert_eq!(now_version, i64::try_from(events.len()).unwrap());
    let current: String = sqlx::query_scalar("SELECT contact_status FROM read.leads WHERE lead_id = $1")
        .bind(lead)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(now_state.status().map(|s| reachspark_projections::models::sheet_label(&s)), Some(current));
    assert_ne!(now_state.status(), Some(ContactStatus::New), "the later events moved it on");
    let before_discovery = at - chrono::Duration::hours(1);
    assert!(lead_as_of(&store, lead, before_discovery).await.unwrap().is_none());
}
