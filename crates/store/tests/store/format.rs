//! The stored format: payloads and metadata are `json` text since migration 0003. A log
//! written as `jsonb` (before it) is read as it is, and the migration keeps every event intact.

use reachspark_store::testing::TestDb;
use reachspark_store::{MasterKey, Store};
use serde_json::json;
use sqlx::Row;
use uuid::Uuid;

use crate::support::{append, ctx, event, personal, settle};

const TO_JSONB: &str = "ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb, \
                        ALTER COLUMN metadata TYPE jsonb USING metadata::jsonb";

/// A store on a new pool: prepared statements cached before a column's type changed would be
/// refused ("cached plan must not change result type"), as they would be in a process that
/// was running across the migration (the server migrates before it starts serving).
async fn reopen(db: &TestDb, master: &str) -> Store {
    let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
    Store::new(pool, MasterKey::from_base64(master).unwrap()).await.unwrap()
}

#[tokio::test]
async fn a_jsonb_log_reads_the_same_and_survives_the_migration_to_json() {
    let db = TestDb::new().await;
    let master = MasterKey::generate().to_base64();
    let store = reopen(&db, &master).await;
    let (ada, grace) = (Uuid::new_v4(), Uuid::new_v4());
    store.append(&ctx(), vec![append(ada, 0, vec![personal("Ada Lovelace"), event(1)])]).await.unwrap();
    store.append(&ctx(), vec![append(grace, 0, vec![personal("Grace Hopper")])]).await.unwrap();
    settle(&store).await;
    let written = store.read_all(reachspark_store::Position::START, 100).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT payload::text FROM events ORDER BY global_position LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(stored.contains(r#","name":{"$enc":""#) && !stored.contains(": "), "as the store wrote it: {stored}");

    // The format before migration 0003: jsonb renders with spaces and its own key order.
    sqlx::query(TO_JSONB).execute(db.pool()).await.unwrap();
    let fresh = reopen(&db, &master).await;
    assert_eq!(fresh.read_all(reachspark_store::Position::START, 100).await.unwrap(), written);
    assert!(fresh.verify().await.unwrap().is_intact());

    // The migration's own statement (0003), then the same events, opened, and the chain intact.
    let migration = reachspark_store::MIGRATOR.iter().find(|m| m.version == 3).expect("migration 0003");
    sqlx::raw_sql(&migration.sql).execute(db.pool()).await.unwrap();
    let types: Vec<String> = sqlx::query(
        "SELECT data_type FROM information_schema.columns
         WHERE table_name = 'events' AND column_name IN ('payload', 'metadata')",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert_eq!(types, ["json", "json"]);
    let migrated = reopen(&db, &master).await;
    let read = migrated.read_all(reachspark_store::Position::START, 100).await.unwrap();
    assert_eq!(read, written);
    assert_eq!(read[0].payload["name"], json!({"$pii": "Ada Lovelace"}));
    let raw = migrated.read_all_raw(reachspark_store::Position::START, 100).await.unwrap();
    assert!(raw[0].payload.contains(r#""$pii":"Ada Lovelace""#), "opened in the text: {}", raw[0].payload);
    assert!(migrated.verify().await.unwrap().is_intact());

    // Appends go on after the migrated events, on the same chains.
    migrated.append(&ctx(), vec![append(ada, 2, vec![event(2)])]).await.unwrap();
    settle(&migrated).await;
    assert!(migrated.verify().await.unwrap().is_intact());
}
