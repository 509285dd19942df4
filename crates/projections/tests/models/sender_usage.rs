//! `sender_usage`: slots per account, day and action type against the ramped caps, and the
//! 7-day view.

use chrono::{DateTime, NaiveDate, Utc};
use reachspark_domain::decision::DecisionKind;
use reachspark_domain::lead::{AllocateLead, Step};
use reachspark_domain::sender_account::{
    ActionType, ChangeLimits, Channel, RegisterSenderAccount, ReleaseReason, ReleaseSlot, ReserveSlot, SendingLimits,
};
use reachspark_projections::models::SenderUsage;
use reachspark_projections::Projection;
use uuid::Uuid;

use crate::support::{
    assert_batch_independent, at, day, decision, discover, draft, project, register, snapshot, World,
};

const LINKEDIN: Uuid = Uuid::from_u128(0xA1);
const MAILBOX: Uuid = Uuid::from_u128(0xB1);

fn slot(action_type: ActionType, at: DateTime<Utc>) -> (Uuid, ReserveSlot) {
    let reservation_id = Uuid::new_v4();
    (reservation_id, ReserveSlot { reservation_id, lead_id: Uuid::new_v4(), message_id: None, action_type, at })
}

async fn reserve(world: &World, account: Uuid, action_type: ActionType, at: DateTime<Utc>) -> Uuid {
    let (id, command) = slot(action_type, at);
    world.account(account, command).await;
    id
}

async fn release(world: &World, account: Uuid, reservation_id: Uuid, at: DateTime<Utc>) {
    world.account(account, ReleaseSlot { reservation_id, reason: ReleaseReason::Cancelled, at }).await;
}

/// A LinkedIn account ramping up from 2025-03-03 and a mailbox from 2025-03-01; returns the
/// reservations still held at the end.
async fn bookings(world: &World) -> Vec<Uuid> {
    world.account(LINKEDIN, register(SendingLimits::linkedin(), at(3, 0, 0))).await;
    let mailbox = RegisterSenderAccount {
        channel: Channel::Email,
        provider: "smtp".to_owned(),
        limits: SendingLimits::email(),
        at: at(1, 0, 0),
    };
    world.account(MAILBOX, mailbox).await;

    // Day 0 of the ramp: a quarter of each budget.
    reserve(world, LINKEDIN, ActionType::ConnectionInvitation, at(3, 9, 0)).await;
    let cancelled = reserve(world, LINKEDIN, ActionType::ConnectionInvitation, at(3, 9, 10)).await;
    reserve(world, LINKEDIN, ActionType::Message, at(3, 9, 20)).await;
    reserve(world, LINKEDIN, ActionType::ProfileView, at(3, 9, 21)).await;
    // Released the next day: it no longer counts on the day of its slot.
    release(world, LINKEDIN, cancelled, at(4, 8, 0)).await;

    // Day 6 and day 7 of the ramp; a lead's message books its slot through the outreach flow.
    let day_nine = reserve(world, LINKEDIN, ActionType::ConnectionInvitation, at(9, 10, 0)).await;
    let lead = Uuid::new_v4();
    world.lead(lead, discover(lead, Uuid::new_v4(), at(9, 9, 0))).await;
    let allocation = decision(DecisionKind::Allocation, "account");
    world.lead(lead, AllocateLead { account_id: LINKEDIN, priority: 3, decision: allocation, at: at(9, 9, 1) }).await;
    let message = Uuid::new_v4();
    world.lead(lead, draft(message, Some("intro"), Step::First, at(9, 9, 2))).await;
    let outreach = world.reserve(lead, LINKEDIN, message, ActionType::Message, at(10, 10, 0)).await;
    let withdrawn = reserve(world, LINKEDIN, ActionType::ConnectionInvitation, at(10, 11, 0)).await;
    let tighter = SendingLimits { daily_invitations: 12, ..SendingLimits::linkedin() };
    world.account(LINKEDIN, ChangeLimits { limits: tighter, at: at(10, 12, 0) }).await;
    let late = reserve(world, LINKEDIN, ActionType::ConnectionInvitation, at(10, 12, 30)).await;
    release(world, LINKEDIN, withdrawn, at(10, 13, 0)).await;

    let email = reserve(world, MAILBOX, ActionType::Email, at(10, 9, 0)).await;
    // The day-3 slots are a week older than the latest (day 10, 12:30): the account forgot them.
    let mut held = vec![day_nine, outreach, late, email];
    held.sort();
    held
}

type Row = (Uuid, NaiveDate, String, i64, i64, i64, i64, Option<i64>, Option<i64>);

fn row(
    account: Uuid,
    d: u32,
    action: &str,
    (reserved, released): (i64, i64),
    (daily, total, weekly): (i64, Option<i64>, Option<i64>),
) -> Row {
    (account, day(d), action.to_owned(), reserved, released, reserved - released, daily, total, weekly)
}

#[tokio::test]
async fn slots_count_on_their_own_day_against_the_ramped_caps_in_force() {
    let world = World::new().await;
    let held = bookings(&world).await;
    let events = world.envelopes().await;
    project(world.pool(), &SenderUsage, "read", &[&events]).await;

    let rows: Vec<Row> = sqlx::query_as(
        "SELECT account_id, day, action_type, reserved, released, used, daily_cap, daily_total_cap, weekly_cap
         FROM read.sender_usage ORDER BY account_id, day, action_type",
    )
    .fetch_all(world.pool())
    .await
    .unwrap();
    let expected = vec![
        // Ramp day 0: 25 % of 20 invitations, 45 messages, 80 views, 45 in total.
        row(LINKEDIN, 3, "connection_invitation", (2, 1), (5, Some(11), Some(100))),
        row(LINKEDIN, 3, "message", (1, 0), (11, Some(11), None)),
        row(LINKEDIN, 3, "profile_view", (1, 0), (20, None, None)),
        // Ramp day 6: 46 %.
        row(LINKEDIN, 9, "connection_invitation", (1, 0), (9, Some(20), Some(100))),
        // Ramp day 7: 50 %, of the new 12 invitations once the limits changed.
        row(LINKEDIN, 10, "connection_invitation", (2, 1), (6, Some(22), Some(100))),
        row(LINKEDIN, 10, "message", (1, 0), (22, Some(22), None)),
        // Ramp day 9 of a mailbox: 57 % of 350.
        row(MAILBOX, 10, "email", (1, 0), (199, Some(199), None)),
    ];
    assert_eq!(rows, expected);

    let weekly: Vec<(NaiveDate, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT day, used, used_7d, weekly_cap FROM read.sender_usage_weekly
         WHERE account_id = $1 AND action_type = 'connection_invitation' ORDER BY day",
    )
    .bind(LINKEDIN)
    .fetch_all(world.pool())
    .await
    .unwrap();
    // Day 9's window reaches back to day 3; day 10's starts on day 4.
    assert_eq!(weekly, vec![(day(3), 1, 1, Some(100)), (day(9), 1, 2, Some(100)), (day(10), 1, 2, Some(100))]);

    let accounts: Vec<(Uuid, String, String, i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT account_id, channel, provider, (limits->>'daily_invitations')::bigint, registered_at
         FROM read.sender_accounts ORDER BY account_id",
    )
    .fetch_all(world.pool())
    .await
    .unwrap();
    assert_eq!(
        accounts,
        vec![
            (LINKEDIN, "linkedin".to_owned(), "sandbox".to_owned(), 12, at(3, 0, 0)),
            (MAILBOX, "email".to_owned(), "smtp".to_owned(), 0, at(1, 0, 0)),
        ]
    );
    let reservations: Vec<Uuid> =
        sqlx::query_scalar("SELECT reservation_id FROM read.sender_usage_reservations ORDER BY reservation_id")
            .fetch_all(world.pool())
            .await
            .unwrap();
    assert_eq!(reservations, held, "released and forgotten slots are dropped");
}

#[tokio::test]
async fn the_same_events_in_two_batches_give_the_same_rows() {
    let world = World::new().await;
    bookings(&world).await;
    let events = world.envelopes().await;
    assert_batch_independent(world.pool(), &SenderUsage, &events).await;
}

#[tokio::test]
async fn the_schema_and_its_view_can_be_recreated_after_a_swap() {
    let world = World::new().await;
    let model = SenderUsage;
    project(world.pool(), &model, "read", &[]).await;
    // A rebuild drops the old tables (and with them the view) and moves the new ones in.
    for table in model.tables() {
        sqlx::query(&format!("DROP TABLE read.{table} CASCADE")).execute(world.pool()).await.unwrap();
    }
    project(world.pool(), &model, "read", &[]).await;
    let views: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.views WHERE table_schema = 'read' AND table_name = 'sender_usage_weekly'",
    )
    .fetch_one(world.pool())
    .await
    .unwrap();
    assert_eq!(views, 1);
}

#[tokio::test]
async fn a_rebuild_folding_in_memory_page_by_page_gives_the_same_rows() {
    let world = World::new().await;
    let held = bookings(&world).await;
    let events = world.envelopes().await;
    project(world.pool(), &SenderUsage, "applied", &[&events]).await;
    let store = world.bus.store();
    let models: Vec<std::sync::Arc<dyn Projection>> = vec![std::sync::Arc::new(SenderUsage)];
    reachspark_projections::runner::ensure_ready(store, &models).await.unwrap();
    // Pages of three events: releases of slots held from earlier pages, and the week-old slots
    // forgotten on a later page.
    reachspark_projections::rebuild::rebuild(store, &models, 3, |_| {}).await.unwrap();
    let rebuilt = snapshot(world.pool(), &SenderUsage, "read").await;
    assert_eq!(rebuilt, snapshot(world.pool(), &SenderUsage, "applied").await);
    let reservations: Vec<Uuid> =
        sqlx::query_scalar("SELECT reservation_id FROM read.sender_usage_reservations ORDER BY reservation_id")
            .fetch_all(world.pool())
            .await
            .unwrap();
    assert_eq!(reservations, held);
}
