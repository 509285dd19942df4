//! esrs's `AggregateManager` on our store: metadata, rejections, concurrency, and the
//! two-stream send reservation.

use chrono::{Duration, Utc};
use esrs::Aggregate;
use futures::future::join_all;
use reachspark_domain::decision::DecisionKind;
use reachspark_domain::lead::{AllocateLead, DraftMessage, Lead, LeadError, LeadEvent, OptOut, OptOutSource, Step};
use reachspark_domain::outreach::{ReserveSend, ReserveSendError};
use reachspark_domain::sender_account::{ActionType, Channel, RegisterSenderAccount, SenderAccount, SendingLimits};
use reachspark_domain::{Actor, Pii};
use reachspark_store::testing::TestDb;
use reachspark_store::{CommandBus, CommandContext, CommandError, Position};
use uuid::Uuid;

use crate::support::domain::{decision, discover};

const URL: &str = "https://linkedin.com/in/ada-lovelace";

#[tokio::test]
async fn a_command_is_stored_with_its_actor_correlation_causation_and_command_id() {
    let db = TestDb::new().await;
    let bus = CommandBus::new(db.store().await);
    let lead = Uuid::new_v4();
    let cause = Uuid::new_v4();
    let mut ctx = CommandContext::new(Actor::agent("lead_finder"), Utc::now());
    ctx.causation_id = Some(cause);
    let outcome = bus.execute::<Lead>(&ctx, lead, Some(0), discover("Ada", URL, Utc::now()).into()).await.unwrap();
    assert_eq!((outcome.version, outcome.replayed), (1, false));
    assert_eq!(outcome.state.person().and_then(|p| p.name.known()).map(String::as_str), Some("Ada"));

    crate::support::settle(bus.store()).await;
    let recorded = bus.store().read_all(Position::START, 10).await.unwrap();
    assert_eq!(recorded.len(), 1);
    let meta = &recorded[0].metadata;
    assert_eq!(meta["actor"]["id"], "lead_finder");
    assert_eq!(meta["actor"]["kind"], "agent");
    assert_eq!(meta["command_id"], ctx.command_id.to_string());
    assert_eq!(meta["correlation_id"], ctx.correlation_id.to_string());
    assert_eq!(meta["causation_id"], cause.to_string());
    assert!(matches!(recorded[0].decode::<LeadEvent>().unwrap(), LeadEvent::LeadDiscovered { .. }));
}

#[tokio::test]
async fn a_rejected_command_writes_nothing_and_a_retry_returns_the_first_result() {
    let db = TestDb::new().await;
    let bus = CommandBus::new(db.store().await);
    let lead = Uuid::new_v4();
    let ctx = CommandContext::new(Actor::agent("lead_finder"), Utc::now());
    let first = bus.execute::<Lead>(&ctx, lead, None, discover("Ada", URL, Utc::now()).into()).await.unwrap();
    // The same command id again: the aggregate would now say AlreadyDiscovered, but the retry
    // is recognised first and answered with the first result.
    let retry = bus.execute::<Lead>(&ctx, lead, None, discover("Ada", URL, Utc::now()).into()).await.unwrap();
    assert!(retry.replayed);
    assert_eq!(retry.events, first.events);

    let other = CommandContext::new(Actor::agent("lead_finder"), Utc::now());
    let rejected = bus.execute::<Lead>(&other, lead, None, discover("Ada", URL, Utc::now()).into()).await;
    assert!(matches!(rejected, Err(CommandError::Rejected(LeadError::AlreadyDiscovered))), "{rejected:?}");
    let stale = bus
        .execute::<Lead>(&other, lead, Some(0), OptOut { source: OptOutSource::Person, at: Utc::now() }.into())
        .await;
    assert!(matches!(stale, Err(CommandError::Conflict { expected: 0, actual: 1, .. })), "{stale:?}");
    assert_eq!(bus.store().read_stream(lead, 0).await.unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_commands_without_expected_versions_all_land_by_retrying() {
    let db = TestDb::new().await;
    let bus = CommandBus::new(db.store().await);
    let account = Uuid::new_v4();
    let ctx = CommandContext::new(Actor::person("ops"), Utc::now());
    let mut limits = SendingLimits::linkedin();
    limits.min_spacing_seconds = 0;
    limits.ramp_up_days = 0;
    let register = RegisterSenderAccount {
        channel: Channel::LinkedIn,
        provider: "sandbox".to_owned(),
        limits,
        at: Utc::now() - Duration::days(30),
    };
    bus.execute::<SenderAccount>(&ctx, account, Some(0), register.into()).await.unwrap();
    let at = Utc::now();
    let reservations = (0..8).map(|i| {
        let bus = bus.clone();
        async move {
            let slot = reachspark_domain::sender_account::ReserveSlot {
                reservation_id: Uuid::new_v4(),
                lead_id: Uuid::new_v4(),
                message_id: None,
                action_type: ActionType::ProfileView,
                at: at + Duration::seconds(i),
            };
            bus.execute::<SenderAccount>(&CommandContext::new(Actor::agent("outreach"), at), account, None, slot.into())
                .await
        }
    });
    let results = join_all(reservations).await;
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let (state, version) = bus.load::<SenderAccount>(account).await.unwrap();
    assert_eq!((version, state.reservations().len()), (9, 8));
}

async fn drafted_and_allocated(bus: &CommandBus, lead: Uuid, account: Uuid) -> Uuid {
    let now = Utc::now();
    let ctx = || CommandContext::new(Actor::agent("test"), now);
    bus.execute::<Lead>(&ctx(), lead, None, discover("Ada", URL, now).into()).await.unwrap();
    let allocate = AllocateLead {
        account_id: account,
        priority: 5,
        decision: decision(DecisionKind::Allocation, "account"),
        at: now,
    };
    bus.execute::<Lead>(&ctx(), lead, None, allocate.into()).await.unwrap();
    let message_id = Uuid::new_v4();
    let draft = DraftMessage {
        message_id,
        channel: Channel::LinkedIn,
        template_id: Some("intro".to_owned()),
        step: Step::First,
        body: Pii::new("Hello Ada".to_owned()),
        ai_generated: false,
        model: None,
        prompt_hash: None,
        requires_approval: false,
        decision: decision(DecisionKind::Draft, "intro"),
        at: now,
    };
    bus.execute::<Lead>(&ctx(), lead, None, draft.into()).await.unwrap();
    let register = RegisterSenderAccount {
        channel: Channel::LinkedIn,
        provider: "sandbox".to_owned(),
        limits: SendingLimits::linkedin(),
        at: now - Duration::days(60),
    };
    bus.execute::<SenderAccount>(&ctx(), account, Some(0), register.into()).await.unwrap();
    message_id
}

#[tokio::test]
async fn a_send_reservation_writes_the_lead_and_the_account_in_one_transaction() {
    let db = TestDb::new().await;
    let bus = CommandBus::new(db.store().await);
    let (lead, account) = (Uuid::new_v4(), Uuid::new_v4());
    let message_id = drafted_and_allocated(&bus, lead, account).await;
    let reserve = ReserveSend {
        lead_id: lead,
        account_id: account,
        message_id,
        reservation_id: Uuid::new_v4(),
        action_type: ActionType::Message,
        at: Utc::now(),
    };
    let ctx = CommandContext::new(Actor::agent("outreach"), Utc::now());
    let reserved = bus.reserve_send(&ctx, reserve.clone()).await.unwrap();
    assert_eq!(reserved.events.len(), 2);
    assert_eq!(reserved.events[0].transaction_id, reserved.events[1].transaction_id);
    assert_eq!((reserved.events[0].stream_id, reserved.events[1].stream_id), (lead, account));
    assert_eq!(reserved.account.reservations().len(), 1);
    assert!(bus.reserve_send(&ctx, reserve).await.unwrap().replayed, "a retried reservation books nothing twice");
    assert_eq!(bus.load::<SenderAccount>(account).await.unwrap().0.reservations().len(), 1);
}

#[tokio::test]
async fn an_opted_out_lead_gets_no_slot_on_any_account_and_nothing_is_written() {
    let db = TestDb::new().await;
    let bus = CommandBus::new(db.store().await);
    let (lead, account) = (Uuid::new_v4(), Uuid::new_v4());
    let message_id = drafted_and_allocated(&bus, lead, account).await;
    let ctx = CommandContext::new(Actor::person("dpo"), Utc::now());
    bus.execute::<Lead>(&ctx, lead, None, OptOut { source: OptOutSource::Reply, at: Utc::now() }.into()).await.unwrap();
    crate::support::settle(bus.store()).await;
    let before = bus.store().read_all(Position::START, 1000).await.unwrap().len();
    let reserve = ReserveSend {
        lead_id: lead,
        account_id: account,
        message_id,
        reservation_id: Uuid::new_v4(),
        action_type: ActionType::Message,
        at: Utc::now(),
    };
    let refused = bus.reserve_send(&CommandContext::new(Actor::agent("outreach"), Utc::now()), reserve).await;
    assert!(matches!(refused, Err(CommandError::Rejected(ReserveSendError::Lead(LeadError::OptedOut)))), "{refused:?}");
    crate::support::settle(bus.store()).await;
    assert_eq!(bus.store().read_all(Position::START, 1000).await.unwrap().len(), before);
    assert!(bus.load::<SenderAccount>(account).await.unwrap().0.reservations().is_empty());
    let _ = Lead::NAME;
}
