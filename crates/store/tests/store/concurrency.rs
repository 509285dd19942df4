//! Guarantee 2: optimistic concurrency, and one transaction across streams.

use std::sync::Arc;

use reachspark_store::testing::TestDb;
use reachspark_store::StoreError;
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::support::{append, ctx, event};

#[tokio::test]
async fn of_32_racing_writers_exactly_one_wins_each_version() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let stream = Uuid::new_v4();
    const WRITERS: usize = 32;
    const VERSIONS: i64 = 4;
    for version in 0..VERSIONS {
        let barrier = Arc::new(Barrier::new(WRITERS));
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (store, barrier) = (store.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.append(&ctx(), vec![append(stream, version, vec![event(w)])]).await
                })
            })
            .collect();
        let mut wins = 0;
        let mut conflicts = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(outcome) => {
                    wins += 1;
                    assert_eq!(outcome.events[0].stream_version, version + 1);
                }
                Err(StoreError::Conflict { stream_id, expected }) => {
                    conflicts += 1;
                    assert_eq!((stream_id, expected), (stream, version));
                }
                Err(other) => panic!("unexpected error: {other}"),
            }
        }
        assert_eq!((wins, conflicts), (1, WRITERS - 1), "version {version}");
    }
    let versions: Vec<i64> = store.read_stream(stream, 0).await.unwrap().iter().map(|e| e.stream_version).collect();
    assert_eq!(versions, (1..=VERSIONS).collect::<Vec<_>>());
    assert!(store.verify().await.unwrap().is_intact());
}

#[tokio::test]
async fn a_command_across_two_streams_lands_in_one_transaction_or_not_at_all() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let (lead, account) = (Uuid::new_v4(), Uuid::new_v4());
    store.append(&ctx(), vec![append(account, 0, vec![event(0)])]).await.unwrap();

    // The account is at version 1, not 0: the whole command fails, the lead gets nothing.
    let err = store.append(&ctx(), vec![append(lead, 0, vec![event(1)]), append(account, 0, vec![event(2)])]).await;
    assert!(matches!(err, Err(StoreError::Conflict { stream_id, expected: 0 }) if stream_id == account), "{err:?}");
    assert!(store.read_stream(lead, 0).await.unwrap().is_empty());

    let outcome =
        store.append(&ctx(), vec![append(lead, 0, vec![event(1)]), append(account, 1, vec![event(2)])]).await.unwrap();
    assert_eq!(outcome.events.len(), 2);
    assert_eq!(outcome.events[0].transaction_id, outcome.events[1].transaction_id);
    assert_eq!((outcome.events[0].stream_id, outcome.events[1].stream_id), (lead, account));
}
