//! Guarantee 4: a gap-free global order without a global lock, and resumable subscriptions.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use rand::Rng;
use reachspark_store::testing::TestDb;
use reachspark_store::{Position, Store};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{append, ctx, event, settle};

/// The reader most event stores ship first: `WHERE global_position > last`.
async fn naive_read(pool: &PgPool, after: i64) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT global_position FROM events WHERE global_position > $1 ORDER BY global_position LIMIT 500",
    )
    .bind(after)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_early_transaction_that_commits_late_is_skipped_by_the_naive_reader_but_not_by_ours() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut slow = db.pool().begin().await.unwrap();
    let early = store.append_in(&mut slow, &ctx(), vec![append(Uuid::new_v4(), 0, vec![event(1)])]).await.unwrap();
    let late = store.append(&ctx(), vec![append(Uuid::new_v4(), 0, vec![event(2)])]).await.unwrap();
    let (early, late) = (early.events[0].global_position, late.events[0].global_position);
    assert!(early < late);

    assert!(store.read_all(Position::START, 100).await.unwrap().is_empty(), "ours waits for the older transaction");
    let naive_first = naive_read(db.pool(), 0).await;
    assert_eq!(naive_first, vec![late], "the naive reader moves past the open transaction");

    slow.commit().await.unwrap();
    settle(&store).await;
    let ours: Vec<i64> =
        store.read_all(Position::START, 100).await.unwrap().iter().map(|e| e.global_position).collect();
    assert_eq!(ours, vec![early, late]);
    assert!(naive_read(db.pool(), late).await.is_empty(), "…and never sees the early event");
}

async fn tail(store: Store, stop: Arc<AtomicBool>, expected: usize) -> Vec<i64> {
    let mut cursor = Position::START;
    let mut seen = Vec::new();
    loop {
        let batch = store.read_all(cursor, 200).await.unwrap();
        if let Some(last) = batch.last() {
            cursor = last.position();
        }
        seen.extend(batch.iter().map(|e| e.global_position));
        if stop.load(Ordering::SeqCst) && seen.len() >= expected {
            return seen;
        }
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

async fn naive_tail(pool: PgPool, stop: Arc<AtomicBool>) -> Vec<i64> {
    let mut last = 0;
    let mut seen = Vec::new();
    loop {
        let done = stop.load(Ordering::SeqCst);
        let batch = naive_read(&pool, last).await;
        if let Some(&max) = batch.last() {
            last = max;
        }
        seen.extend(batch);
        if done {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_writers_and_a_tailing_reader_skip_and_repeat_nothing() {
    const WRITERS: usize = 16;
    const COMMANDS: usize = 30;
    const EVENTS: usize = 3;
    let db = TestDb::new().await;
    let store = db.store().await;
    let stop = Arc::new(AtomicBool::new(false));
    let total = WRITERS * COMMANDS * EVENTS;
    let ours = tokio::spawn(tail(store.clone(), Arc::clone(&stop), total));
    let naive = tokio::spawn(naive_tail(db.pool().clone(), Arc::clone(&stop)));

    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (store, pool) = (store.clone(), db.pool().clone());
            tokio::spawn(async move {
                let stream = Uuid::new_v4();
                for command in 0..COMMANDS {
                    let mut tx = pool.begin().await.unwrap();
                    let version = i64::try_from(command * EVENTS).unwrap();
                    let events = (0..EVENTS).map(event).collect();
                    store.append_in(&mut tx, &ctx(), vec![append(stream, version, events)]).await.unwrap();
                    // Other work of the same transaction, as a command handler would do.
                    let pause = rand::thread_rng().gen_range(0..3);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    let ours = tokio::time::timeout(Duration::from_secs(30), ours).await.expect("reader catches up").unwrap();
    let naive = naive.await.unwrap();

    let written: Vec<i64> =
        sqlx::query_scalar("SELECT global_position FROM events ORDER BY 1").fetch_all(db.pool()).await.unwrap();
    assert_eq!(written.len(), total);
    let unique: HashSet<i64> = ours.iter().copied().collect();
    assert_eq!(unique.len(), ours.len(), "our reader saw a position twice");
    assert_eq!(ours.len(), total, "our reader skipped {} events", total - ours.len());

    let naive_unique: HashSet<i64> = naive.iter().copied().collect();
    let skipped = total - naive_unique.len();
    assert!(skipped > 0, "the naive reader skipped nothing of {total}, so this run proves nothing about ours");
}

#[tokio::test]
async fn a_subscription_resumed_from_its_last_position_has_no_gap_and_no_duplicate() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let stream = Uuid::new_v4();
    store.append(&ctx(), vec![append(stream, 0, (0..10).map(event).collect())]).await.unwrap();

    let first: Vec<_> = store.subscribe(Position::START, 3).take(4).collect().await;
    let last = first.last().unwrap().as_ref().unwrap().position();

    let writer = store.clone();
    let appended = tokio::spawn(async move {
        for v in (10..20).step_by(2) {
            writer.append(&ctx(), vec![append(stream, v, vec![event(1), event(2)])]).await.unwrap();
        }
    });
    let rest: Vec<_> =
        tokio::time::timeout(Duration::from_secs(30), store.subscribe(last, 3).take(16).collect::<Vec<_>>())
            .await
            .expect("the live tail arrives");
    appended.await.unwrap();
    let versions: Vec<i64> = first.iter().chain(&rest).map(|e| e.as_ref().unwrap().stream_version).collect();
    assert_eq!(versions, (1..=20).collect::<Vec<_>>());
}
