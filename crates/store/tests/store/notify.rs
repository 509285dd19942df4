//! Readers wake on the append path's NOTIFY, not on their polling fallback.

use std::time::Duration;

use reachspark_store::testing::TestDb;
use uuid::Uuid;

use crate::support::{append, ctx, event};

#[tokio::test]
async fn an_append_notifies_every_store_on_the_database() {
    let db = TestDb::new().await;
    let writer = db.store().await;
    let reader = db.store().await;
    let mut signal = reader.notifications();
    signal.borrow_and_update();
    writer.append(&ctx(), vec![append(Uuid::new_v4(), 0, vec![event(1)])]).await.unwrap();
    // Polling never touches this signal: only a NOTIFY delivered to the reader's listener does.
    tokio::time::timeout(Duration::from_secs(10), signal.changed()).await.expect("a notification").unwrap();
}
