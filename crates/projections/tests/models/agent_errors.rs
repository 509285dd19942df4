//! `agent_errors`: every error an agent raised, open until an operator asks for a retry.

use chrono::{DateTime, Utc};
use reachspark_domain::agent::{agent_stream_id, Agent, ErrorKind, RaiseError, RequestRetry};
use reachspark_domain::Actor;
use reachspark_projections::models::AgentErrors;
use uuid::Uuid;

use crate::support::{assert_batch_independent, at, project, World};

async fn raise(world: &World, agent: &str, context: String, minute: u32) {
    let command =
        RaiseError { kind: ErrorKind::Rejected, context, command: Some("LeadAllocated".into()), at: at(5, 10, minute) };
    world.run::<Agent>(&Actor::agent(agent), agent_stream_id(agent), command).await;
}

/// Two outreach errors and one of the lead finder; an operator retries the first.
async fn errors_and_a_retry(world: &World) -> (Uuid, Uuid) {
    let trigger = Uuid::from_u128(0x7);
    raise(world, "outreach", format!("event={trigger} type=LeadAllocated code=VALIDATION"), 0).await;
    raise(world, "outreach", "event=? code=VALIDATION".to_owned(), 1).await;
    raise(world, "lead_finder", format!("event={} code=NOT_FOUND", Uuid::from_u128(0x8)), 2).await;
    let first = world.envelopes().await[0].recorded.event_id;
    let retry = RequestRetry { error_event_id: first, requested_by: "ops".into(), at: at(5, 11, 0) };
    world.run::<Agent>(&Actor::person("ops"), agent_stream_id("outreach"), retry).await;
    (first, trigger)
}

type Row = (Uuid, String, String, Option<Uuid>, Option<DateTime<Utc>>, Option<String>);

#[tokio::test]
async fn errors_stay_open_until_a_retry_is_requested() {
    let world = World::new().await;
    let (first, trigger) = errors_and_a_retry(&world).await;
    let events = world.envelopes().await;
    project(world.pool(), &AgentErrors, "read", &[&events]).await;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT error_event_id, agent, kind, triggering_event_id, retry_requested_at, retry_requested_by
         FROM read.agent_errors ORDER BY global_position",
    )
    .fetch_all(world.pool())
    .await
    .unwrap();
    let ids: Vec<Uuid> = events.iter().take(3).map(|e| e.recorded.event_id).collect();
    let rejected = || "rejected".to_owned();
    assert_eq!(
        rows,
        vec![
            (first, "outreach".into(), rejected(), Some(trigger), Some(at(5, 11, 0)), Some("ops".into())),
            (ids[1], "outreach".into(), rejected(), None, None, None),
            (ids[2], "lead_finder".into(), rejected(), Some(Uuid::from_u128(0x8)), None, None),
        ]
    );
}

#[tokio::test]
async fn the_same_events_in_two_batches_give_the_same_rows() {
    let world = World::new().await;
    errors_and_a_retry(&world).await;
    let events = world.envelopes().await;
    assert_batch_independent(world.pool(), &AgentErrors, &events).await;
}
