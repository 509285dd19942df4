//! The hub and its followers against a real store: the seam between history and live, the
//! fallback of a subscriber that lags, and routing by stream.

use std::time::Duration;

use chrono::Utc;
use reachspark_api::hub::{Follower, Hub, HubConfig, Route};
use reachspark_domain::Actor;
use reachspark_store::testing::{settle, TestDb};
use reachspark_store::{CommandContext, NewEvent, Position, Store, StreamAppend};
use serde_json::json;
use uuid::Uuid;

/// Appends `count` events to `stream` (from `version`), one command each.
pub(crate) async fn append_each(store: &Store, stream: Uuid, version: i64, count: i64) {
    for v in version..version + count {
        let event = NewEvent { event_type: "Tick".to_owned(), schema_version: 1, payload: json!({ "n": v }) };
        let append = StreamAppend {
            stream_type: "test".to_owned(),
            stream_id: stream,
            expected_version: v,
            events: vec![event],
        };
        store.append(&CommandContext::new(Actor::system(), Utc::now()), vec![append]).await.unwrap();
    }
}

/// Every event's position in the gap-free order, as a fresh reader sees the whole log.
pub(crate) async fn log_order(store: &Store, stream: Option<Uuid>) -> Vec<Position> {
    settle(store).await;
    let mut all = Vec::new();
    let mut cursor = Position::START;
    loop {
        let batch = store.read_all(cursor, 1000).await.unwrap();
        let Some(last) = batch.last() else { break };
        cursor = last.position();
        all.extend(batch.iter().filter(|e| stream.is_none_or(|s| e.stream_id == s)).map(|e| e.position()));
    }
    all
}

async fn take(follower: &mut Follower, n: usize) -> Vec<Position> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let event = tokio::time::timeout(Duration::from_secs(20), follower.next()).await.expect("an event").unwrap();
        out.push(event.position());
    }
    out
}

async fn until_dropped(hub: &Hub) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while hub.subscribers() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the hub drops a subscriber whose buffer is full");
}

#[tokio::test]
async fn history_then_live_has_no_gap_and_no_duplicate_at_the_seam() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    append_each(&store, a, 0, 20).await;
    settle(&store).await;
    let hub = Hub::new(store.clone());
    // A live subscriber starts the hub at the current head; a replaying one starts from zero.
    let mut live = Follower::new(&hub, Route::All, None).await.unwrap();
    let mut replay = Follower::new(&hub, Route::All, Some(Position::START)).await.unwrap();
    let writers: Vec<_> = [(a, 20), (b, 0)]
        .into_iter()
        .map(|(stream, from)| {
            let store = store.clone();
            tokio::spawn(async move { append_each(&store, stream, from, 30).await })
        })
        .collect();
    let first = take(&mut replay, 10).await;
    for writer in writers {
        writer.await.unwrap();
    }
    let expected = log_order(&store, None).await;
    assert_eq!(expected.len(), 80);
    let rest = take(&mut replay, 70).await;
    assert_eq!([first, rest].concat(), expected, "every position once, in the log's order");
    assert_eq!(take(&mut live, 60).await, expected[20..], "live from the head on");
    assert!(tokio::time::timeout(Duration::from_millis(300), replay.next()).await.is_err(), "nothing more");
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_catches_up_from_the_store() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let hub = Hub::with_config(store.clone(), HubConfig { batch: 4, buffer: 1 });
    let stream = Uuid::new_v4();
    let mut all = Follower::new(&hub, Route::All, None).await.unwrap();
    let mut one = Follower::new(&hub, Route::Stream(stream), None).await.unwrap();
    assert_eq!(hub.subscribers(), 2);
    // Nobody reads while 60 events go by: both buffers overflow and the hub lets go of them.
    let other = Uuid::new_v4();
    let noise = tokio::spawn({
        let store = store.clone();
        async move { append_each(&store, other, 0, 30).await }
    });
    append_each(&store, stream, 0, 30).await;
    noise.await.unwrap();
    until_dropped(&hub).await;

    let expected = log_order(&store, None).await;
    assert_eq!(take(&mut all, 60).await, expected);
    assert_eq!(take(&mut one, 30).await, log_order(&store, Some(stream)).await);
    assert_eq!(hub.subscribers(), 2, "both registered again once caught up");
    append_each(&store, stream, 30, 1).await;
    let last = log_order(&store, None).await.pop();
    assert_eq!(take(&mut one, 1).await.pop(), last);
    assert_eq!(take(&mut all, 1).await.pop(), last);
}

#[tokio::test]
async fn a_stream_route_sees_only_its_stream_and_a_dropped_follower_unregisters() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let hub = Hub::new(store.clone());
    let (mine, theirs) = (Uuid::new_v4(), Uuid::new_v4());
    let mut follower = Follower::new(&hub, Route::Stream(mine), None).await.unwrap();
    let gone = Follower::new(&hub, Route::Stream(theirs), None).await.unwrap();
    drop(gone);
    assert_eq!(hub.subscribers(), 1);
    append_each(&store, theirs, 0, 5).await;
    append_each(&store, mine, 0, 3).await;
    let positions = take(&mut follower, 3).await;
    assert_eq!(positions, log_order(&store, Some(mine)).await);
    assert!(follower.try_next().is_none());
}
