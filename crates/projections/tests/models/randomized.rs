//! A randomised workload (many streams, concurrent writers, every lead and account event type)
//! while the live runners work: afterwards every read model equals a rebuild, row for row.

use std::time::Duration;

use chrono::Utc;
use rand::{Rng, SeedableRng};
use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::lead::{CloseOutcome, Fact, FailureKind, LeadEvent, Step};
use reachspark_domain::sender_account::{Channel, ReleaseReason, SenderAccountEvent, SendingLimits};
use reachspark_domain::{Actor, Pii};
use reachspark_projections::runner::{self, RunnerConfig};
use reachspark_projections::status;
use reachspark_projections::workload::{account_registered, lead_story};
use reachspark_store::testing::TestDb;
use reachspark_store::{NewEvent, Store};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::fixtures::{compare_with_rebuild, ctx, settle, stream};

fn human(output: &str) -> Decision {
    Decision::new(DecisionKind::Approval, output, "reviewed", Actor::person("ops"), Engine::Human)
}

/// Events beyond the happy path, for the lead's drafted message.
fn extras(rng: &mut impl Rng, message_id: Uuid, account: Uuid) -> Vec<LeadEvent> {
    let now = Utc::now();
    let second = Uuid::new_v4();
    let mut out = vec![LeadEvent::LeadEnriched {
        facts: vec![Fact {
            attribute: "recent_talk".to_owned(),
            value: Pii::new("Keynote".to_owned()),
            evidence_url: Pii::new("https://example.com".to_owned()),
        }],
        at: now,
    }];
    out.push(LeadEvent::MessageDrafted {
        message_id: second,
        channel: Channel::LinkedIn,
        template_id: Some("follow-up".to_owned()),
        step: Step::FollowUp(1),
        body: Pii::new("A follow-up".to_owned()),
        ai_generated: true,
        model: Some("gpt-test".to_owned()),
        prompt_hash: Some("abc".to_owned()),
        requires_approval: true,
        decision: Decision::new(
            DecisionKind::Draft,
            "follow-up",
            "llm draft",
            Actor::agent("outreach"),
            Engine::rules("r"),
        ),
        at: now,
    });
    out.push(LeadEvent::MessageApprovalRequested { message_id: second, at: now });
    if rng.gen_bool(0.5) {
        out.push(LeadEvent::MessageApproved {
            message_id: second,
            by: Actor::person("ops"),
            edited: true,
            edited_body: Some(Pii::new("Edited".to_owned())),
            decision: human("approved"),
            at: now,
        });
        out.push(LeadEvent::MessageSendFailed {
            message_id: second,
            kind: FailureKind::Transient,
            attempt: 1,
            reason: "timeout".to_owned(),
            at: now,
        });
    } else {
        out.push(LeadEvent::MessageRejected {
            message_id: second,
            by: Actor::person("ops"),
            reason: Pii::new("tone".to_owned()),
            decision: human("rejected"),
            at: now,
        });
    }
    out.push(LeadEvent::NoteAdded {
        text: Pii::new("Met at the booth".to_owned()),
        author: Actor::person("ops"),
        at: now,
    });
    out.push(LeadEvent::LeadReassigned {
        from: account,
        to: Uuid::new_v4(),
        decision: Decision::new(
            DecisionKind::Allocation,
            "other",
            "rebalanced",
            Actor::agent("sales_manager"),
            Engine::rules("r"),
        ),
        at: now,
    });
    match rng.gen_range(0..3) {
        0 => out.push(LeadEvent::LeadClosed { outcome: CloseOutcome::NoResponse, at: now }),
        1 => out.push(LeadEvent::PersonalDataErased { requested_by: Actor::person("dpo"), at: now }),
        _ => {}
    }
    let _ = message_id;
    out
}

async fn writer(store: Store, seed: u64, leads: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (campaign, account) = (Uuid::new_v4(), Uuid::new_v4());
    let now = Utc::now();
    let to_new =
        |events: &[SenderAccountEvent]| events.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect::<Vec<_>>();
    store.append(&ctx(), vec![stream("sender_account", account, 0, to_new(&[account_registered(now)]))]).await.unwrap();
    let mut account_version = 1;
    for n in 0..leads {
        let lead_id = Uuid::new_v4();
        let (lead, slots) = lead_story(&mut rng, seed * 1000 + n, campaign, account, now);
        let message_id = lead.iter().find_map(|e| match e {
            LeadEvent::MessageDrafted { message_id, .. } => Some(*message_id),
            _ => None,
        });
        let lead_len = i64::try_from(lead.len()).unwrap();
        let lead_new: Vec<NewEvent> = lead.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect();
        store
            .append(
                &ctx(),
                vec![
                    stream("lead", lead_id, 0, lead_new),
                    stream("sender_account", account, account_version, to_new(&slots)),
                ],
            )
            .await
            .unwrap();
        account_version += i64::try_from(slots.len()).unwrap();
        if rng.gen_bool(0.5) {
            let more: Vec<NewEvent> = extras(&mut rng, message_id.unwrap(), account)
                .iter()
                .map(|e| NewEvent::from_domain(e).unwrap())
                .collect();
            store.append(&ctx(), vec![stream("lead", lead_id, lead_len, more)]).await.unwrap();
        }
        if let SenderAccountEvent::SendSlotReserved { reservation_id, .. } = &slots[0] {
            if rng.gen_bool(0.2) {
                let released = SenderAccountEvent::SendSlotReleased {
                    reservation_id: *reservation_id,
                    reason: ReleaseReason::Cancelled,
                    at: now,
                };
                store
                    .append(&ctx(), vec![stream("sender_account", account, account_version, to_new(&[released]))])
                    .await
                    .unwrap();
                account_version += 1;
            }
        }
    }
    let changed = SenderAccountEvent::LimitsChanged {
        limits: SendingLimits { daily_messages: 30, ..SendingLimits::default() },
        at: now,
    };
    store.append(&ctx(), vec![stream("sender_account", account, account_version, to_new(&[changed]))]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_randomised_concurrent_workload_every_read_model_equals_a_rebuild() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let all = reachspark_projections::all();
    runner::ensure_ready(&store, &all).await.unwrap();
    let stop = CancellationToken::new();
    let runners: Vec<_> = all
        .iter()
        .map(|p| {
            let config = RunnerConfig { batch: 37, poll: Duration::from_millis(50), ..RunnerConfig::default() };
            tokio::spawn(runner::run(store.clone(), p.clone(), config, stop.clone()))
        })
        .collect();
    let writers: Vec<_> = (0..6).map(|w| tokio::spawn(writer(store.clone(), w, 25))).collect();
    for w in writers {
        w.await.unwrap();
    }
    settle(&store).await;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(store.pool()).await.unwrap();
    for _ in 0..1200 {
        if status::status(&store).await.unwrap().iter().all(|s| s.lag == 0 && s.events_applied == total) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    for r in runners {
        r.await.unwrap().unwrap();
    }
    for s in status::status(&store).await.unwrap() {
        assert_eq!((s.name.clone(), s.events_applied, s.state.as_str()), (s.name, total, "running"));
    }
    // One decision row per event whose payload carries a decision record, whatever its type:
    // the model takes them from the domain events, and a decided event it did not know would
    // be missing here.
    let (carried, missing): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE event_id NOT IN (SELECT event_id FROM read.decisions))
         FROM events WHERE payload::jsonb ? 'decision'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM read.decisions").fetch_one(store.pool()).await.unwrap();
    assert!(carried > 0);
    assert_eq!((rows, missing), (carried, 0), "decision rows against events carrying a decision");
    compare_with_rebuild(&store, &all).await;
}
