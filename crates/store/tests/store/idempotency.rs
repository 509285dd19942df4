//! Guarantee 3: a retried command writes nothing and returns the first result.

use reachspark_store::testing::TestDb;
use uuid::Uuid;

use crate::support::{append, ctx, event};

#[tokio::test]
async fn a_retry_with_the_same_command_id_writes_nothing_new() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let stream = Uuid::new_v4();
    let command = ctx();
    let first = store.append(&command, vec![append(stream, 0, vec![event(1), event(2)])]).await.unwrap();
    assert!(!first.replayed);

    // Same version expectation (a plain retry) and a stale one (the stream moved on meanwhile).
    store.append(&ctx(), vec![append(stream, 2, vec![event(3)])]).await.unwrap();
    for expected in [0, 3] {
        let retry = store.append(&command, vec![append(stream, expected, vec![event(1), event(2)])]).await.unwrap();
        assert!(retry.replayed);
        assert_eq!(retry.events, first.events);
    }
    assert_eq!(store.read_stream(stream, 0).await.unwrap().len(), 3);
    assert_eq!(first.events[0].event_id, command.event_id(0));
}
