//! `pipeline_daily`: the funnel per campaign and day, from real domain commands.

use chrono::NaiveDate;
use reachspark_domain::decision::DecisionKind;
use reachspark_domain::lead::{
    AllocateLead, AnalyzeResponse, ClassifyLead, CloseLead, CloseOutcome, Intent, LeadClass, OptOut, OptOutSource,
    QualifyLead, RecordResponse, ScoreLead, Sentiment, Step,
};
use reachspark_domain::{Actor, Pii};
use reachspark_projections::models::PipelineDaily;
use reachspark_projections::{Projection, ProjectionError};
use sqlx::Row as _;
use uuid::Uuid;

use crate::support::{assert_batch_independent, at, day, decision, discover, draft, project, register, roomy, World};

const CAMPAIGN_A: Uuid = Uuid::from_u128(0xA);
const CAMPAIGN_B: Uuid = Uuid::from_u128(0xB);

/// Three leads in two campaigns over four days.
async fn funnel(world: &World) -> [Uuid; 3] {
    let [first, second, third] = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
    let account = Uuid::new_v4();
    world.account(account, register(roomy(), at(1, 0, 0))).await;

    world.lead(first, discover(first, CAMPAIGN_A, at(3, 9, 0))).await;
    let speaker = decision(DecisionKind::Classification, "Speaker");
    world.lead(first, ClassifyLead { class: LeadClass::Speaker, decision: speaker, at: at(3, 9, 5) }).await;
    let allocation = decision(DecisionKind::Allocation, "account");
    world.lead(first, AllocateLead { account_id: account, priority: 5, decision: allocation, at: at(3, 9, 10) }).await;
    let message = Uuid::new_v4();
    world.lead(first, draft(message, Some("intro"), Step::First, at(3, 9, 15))).await;
    world.send(first, account, message, at(4, 10, 0)).await;
    let response_id = Uuid::new_v4();
    let text = Pii::new("Happy to talk".to_owned());
    world.lead(first, RecordResponse { response_id, message_id: Some(message), text, at: at(4, 12, 0) }).await;
    let analysis = AnalyzeResponse {
        response_id,
        sentiment: Sentiment::Positive,
        intent: Intent::Interested,
        decision: decision(DecisionKind::ReplyAnalysis, "positive"),
        at: at(5, 8, 0),
    };
    world.lead(first, analysis).await;
    world.lead(first, QualifyLead { by: Actor::person("sales"), note: None, at: at(5, 9, 0) }).await;
    world.lead(first, CloseLead { outcome: CloseOutcome::Won, at: at(6, 16, 0) }).await;

    world.lead(second, discover(second, CAMPAIGN_A, at(3, 11, 0))).await;
    let other = decision(DecisionKind::Classification, "Other");
    world.lead(second, ClassifyLead { class: LeadClass::Other, decision: other, at: at(4, 8, 0) }).await;
    world.lead(second, OptOut { source: OptOutSource::Link, at: at(4, 9, 0) }).await;

    world.lead(third, discover(third, CAMPAIGN_B, at(4, 7, 0))).await;
    world.lead(third, ScoreLead { score: 7, decision: decision(DecisionKind::Score, "7") }).await;
    let allocation = decision(DecisionKind::Allocation, "account");
    world.lead(third, AllocateLead { account_id: account, priority: 7, decision: allocation, at: at(4, 7, 30) }).await;
    [first, second, third]
}

type Row = (Uuid, NaiveDate, [i64; 10]);

async fn rows(world: &World) -> Vec<Row> {
    let rows = sqlx::query(
        "SELECT campaign_id, day, discovered, classified, allocated, drafted, sent, responded, positive, qualified,
                closed, opted_out
         FROM read.pipeline_daily ORDER BY campaign_id, day",
    )
    .fetch_all(world.pool())
    .await
    .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1), std::array::from_fn(|i| r.get(i + 2)))).collect()
}

#[tokio::test]
async fn each_stage_counts_on_the_day_of_the_event_in_the_lead_s_campaign() {
    let world = World::new().await;
    let [first, second, third] = funnel(&world).await;
    let events = world.envelopes().await;
    project(world.pool(), &PipelineDaily, "read", &[&events]).await;
    //                 discovered classified allocated drafted sent responded positive qualified closed opted_out
    let expected: Vec<Row> = vec![
        (CAMPAIGN_A, day(3), [2, 1, 1, 1, 0, 0, 0, 0, 0, 0]),
        (CAMPAIGN_A, day(4), [0, 1, 0, 0, 1, 1, 0, 0, 0, 1]),
        (CAMPAIGN_A, day(5), [0, 0, 0, 0, 0, 0, 1, 1, 0, 0]),
        (CAMPAIGN_A, day(6), [0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
        (CAMPAIGN_B, day(4), [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
    ];
    assert_eq!(rows(&world).await, expected);
    let mut leads: Vec<(Uuid, Uuid)> = sqlx::query_as("SELECT lead_id, campaign_id FROM read.pipeline_lead_campaigns")
        .fetch_all(world.pool())
        .await
        .unwrap();
    leads.sort();
    let mut expected = vec![(first, CAMPAIGN_A), (second, CAMPAIGN_A), (third, CAMPAIGN_B)];
    expected.sort();
    assert_eq!(leads, expected);
}

#[tokio::test]
async fn the_same_events_in_two_batches_give_the_same_rows() {
    let world = World::new().await;
    funnel(&world).await;
    let events = world.envelopes().await;
    assert_batch_independent(world.pool(), &PipelineDaily, &events).await;
}

#[tokio::test]
async fn a_lead_event_without_its_discovery_stops_the_projection() {
    let world = World::new().await;
    funnel(&world).await;
    let events = world.envelopes().await;
    let model = PipelineDaily;
    for sql in model.schema_sql("read") {
        sqlx::query(&sql).execute(world.pool()).await.unwrap();
    }
    let classified = events.iter().position(|e| e.recorded.event_type == "LeadClassified").unwrap();
    let mut tx = world.pool().begin().await.unwrap();
    let failed = model.apply(&mut tx, "read", &events[classified..]).await;
    let expected_id = events[classified].recorded.event_id;
    assert!(matches!(failed, Err(ProjectionError::Event { event_id, .. }) if event_id == expected_id), "{failed:?}");
}
