//! `agent_activity`: commands, events, rejections and errors per actor.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use reachspark_domain::agent::{
    agent_stream_id, Agent, AlertKind, ErrorKind, PublishDailyReport, RaiseAlert, RaiseError,
};
use reachspark_domain::decision::DecisionKind;
use reachspark_domain::lead::{AllocateLead, Lead, Step};
use reachspark_domain::sender_account::ActionType;
use reachspark_domain::Actor;
use reachspark_projections::models::AgentActivity;
use uuid::Uuid;

use crate::support::{assert_batch_independent, at, day, decision, discover, draft, project, register, roomy, World};

fn error(kind: ErrorKind, context: &str, command: Option<&str>, minute: u32) -> RaiseError {
    RaiseError { kind, context: context.to_owned(), command: command.map(str::to_owned), at: at(5, 10, minute) }
}

async fn raise(world: &World, agent: &str, command: RaiseError) {
    world.run::<Agent>(&Actor::agent(agent), agent_stream_id(agent), command).await;
}

/// Three agents and a person at work.
async fn workday(world: &World) {
    let lead_finder = Actor::agent("lead_finder");
    let [first, second] = [Uuid::new_v4(), Uuid::new_v4()];
    let campaign = Uuid::new_v4();
    world.run::<Lead>(&lead_finder, first, discover(first, campaign, at(5, 8, 0))).await;
    world.run::<Lead>(&lead_finder, second, discover(second, campaign, at(5, 8, 1))).await;

    let account = Uuid::new_v4();
    world.account(account, register(roomy(), at(1, 0, 0))).await;

    let allocation = decision(DecisionKind::Allocation, "account");
    world.lead(first, AllocateLead { account_id: account, priority: 1, decision: allocation, at: at(5, 9, 0) }).await;
    let message = Uuid::new_v4();
    world.lead(first, draft(message, Some("intro"), Step::First, at(5, 9, 1))).await;
    // One command, an event on the lead and one on the account.
    world.reserve(first, account, message, ActionType::Message, at(5, 9, 30)).await;
    raise(world, "outreach", error(ErrorKind::Rejected, "ReserveSend: daily_limit_reached", Some("ReserveSend"), 0))
        .await;
    raise(world, "outreach", error(ErrorKind::Transient, "RecordSent: provider_timeout", Some("RecordSent"), 1)).await;
    raise(world, "lead_finder", error(ErrorKind::Permanent, "csv_import: missing_column=profile_url", None, 2)).await;

    let sales_manager = Actor::agent("sales_manager");
    let stream = agent_stream_id("sales_manager");
    let report =
        PublishDailyReport { day: day(5), report_markdown: "# 2025-03-05\n\n2 leads".to_owned(), at: at(6, 7, 0) };
    world.run::<Agent>(&sales_manager, stream, report).await;
    let alert = RaiseAlert { alert: AlertKind::ErrorSpike, detail: "3 errors in 1 hour".to_owned(), at: at(6, 7, 1) };
    world.run::<Agent>(&sales_manager, stream, alert).await;
}

type Row = (String, String, i64, i64, i64, i64, Option<String>, Option<String>, Option<String>, Option<DateTime<Utc>>);

fn row(
    (kind, id): (&str, &str),
    (commands, events, rejections, errors): (i64, i64, i64, i64),
    last_error: Option<(&str, Option<&str>, &str, DateTime<Utc>)>,
) -> Row {
    (
        kind.to_owned(),
        id.to_owned(),
        commands,
        events,
        rejections,
        errors,
        last_error.map(|e| e.0.to_owned()),
        last_error.and_then(|e| e.1.map(str::to_owned)),
        last_error.map(|e| e.2.to_owned()),
        last_error.map(|e| e.3),
    )
}

#[tokio::test]
async fn commands_count_once_however_many_events_they_wrote_and_errors_by_kind() {
    let world = World::new().await;
    workday(&world).await;
    let events = world.envelopes().await;
    project(world.pool(), &AgentActivity, "read", &[&events]).await;

    let rows: Vec<Row> = sqlx::query_as(
        "SELECT actor_kind, actor_id, commands, events, rejections, errors, last_error_kind, last_error_command,
                last_error_context, last_error_at
         FROM read.agent_activity ORDER BY actor_kind, actor_id",
    )
    .fetch_all(world.pool())
    .await
    .unwrap();
    let expected = vec![
        row(
            ("agent", "lead_finder"),
            (3, 3, 0, 1),
            Some(("permanent", None, "csv_import: missing_column=profile_url", at(5, 10, 2))),
        ),
        row(
            ("agent", "outreach"),
            (5, 6, 1, 1),
            Some(("transient", Some("RecordSent"), "RecordSent: provider_timeout", at(5, 10, 1))),
        ),
        row(("agent", "sales_manager"), (2, 2, 0, 0), None),
        row(("person", "ops"), (1, 1, 0, 0), None),
    ];
    assert_eq!(rows, expected);

    let mut last_seen: HashMap<String, DateTime<Utc>> = HashMap::new();
    for e in &events {
        let seen = last_seen.entry(e.actor_id().unwrap().to_owned()).or_insert(e.recorded.recorded_at);
        *seen = (*seen).max(e.recorded.recorded_at);
    }
    let stored: Vec<(String, DateTime<Utc>)> =
        sqlx::query_as("SELECT actor_id, last_seen FROM read.agent_activity").fetch_all(world.pool()).await.unwrap();
    assert_eq!(stored.into_iter().collect::<HashMap<_, _>>(), last_seen);
    let boundary: Vec<Uuid> = sqlx::query_scalar("SELECT command_id FROM read.agent_activity_commands")
        .fetch_all(world.pool())
        .await
        .unwrap();
    assert_eq!(boundary, vec![events.last().unwrap().command_id().unwrap()], "only the last command is kept");
}

/// Every split point is tried, also between the two events of the send reservation's command.
#[tokio::test]
async fn the_same_events_in_two_batches_give_the_same_rows() {
    let world = World::new().await;
    workday(&world).await;
    let events = world.envelopes().await;
    assert_batch_independent(world.pool(), &AgentActivity, &events).await;
}

/// Through the runner, as in production: its decoding must know agent streams, or the errors
/// agents report are never counted.
#[tokio::test]
async fn the_runner_counts_the_errors_agents_report() {
    let world = World::new().await;
    workday(&world).await;
    let store = world.bus.store();
    let models: Vec<std::sync::Arc<dyn reachspark_projections::Projection>> = vec![std::sync::Arc::new(AgentActivity)];
    reachspark_projections::runner::ensure_ready(store, &models).await.unwrap();
    crate::fixtures::drain(store, &models, 3).await;
    let rows: Vec<(String, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT actor_id, rejections, errors, last_error_kind FROM read.agent_activity
         WHERE actor_kind = 'agent' ORDER BY actor_id",
    )
    .fetch_all(world.pool())
    .await
    .unwrap();
    let expected = [
        ("lead_finder", 0, 1, Some("permanent")),
        ("outreach", 1, 1, Some("transient")),
        ("sales_manager", 0, 0, None),
    ];
    let expected: Vec<_> =
        expected.iter().map(|(a, r, e, k)| ((*a).to_owned(), *r, *e, k.map(str::to_owned))).collect();
    assert_eq!(rows, expected);
}
