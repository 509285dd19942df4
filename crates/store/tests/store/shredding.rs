//! Guarantee 6: crypto-shredding. Personal data is sealed per subject; erasure destroys the
//! key; the events stay, the chain verifies, and the text is gone.

use reachspark_store::testing::TestDb;
use reachspark_store::{MasterKey, StoreError};
use serde_json::json;
use sqlx::Row;
use uuid::Uuid;

use crate::support::{append, ctx, event, personal, settle};

const NAME: &str = "Ada Lovelace";

/// Every row of every table in the database, as text.
async fn dump(pool: &sqlx::PgPool) -> String {
    let tables = sqlx::query(
        "SELECT table_schema, table_name FROM information_schema.tables
         WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(tables.len() >= 4, "events, subject_keys, audit_checkpoints, _sqlx_migrations");
    let mut all = String::new();
    for table in tables {
        let (schema, name): (String, String) = (table.get(0), table.get(1));
        let rows: Vec<String> =
            sqlx::query_scalar(&format!(r#"SELECT t::text FROM "{schema}"."{name}" t"#)).fetch_all(pool).await.unwrap();
        all.push_str(&rows.join("\n"));
    }
    all
}

#[tokio::test]
async fn personal_data_is_never_stored_in_plaintext_and_is_gone_after_erasure() {
    let db = TestDb::new().await;
    let master = MasterKey::generate();
    let encoded = master.to_base64();
    let store = db.store_with(master).await;
    let (subject, bystander) = (Uuid::new_v4(), Uuid::new_v4());
    store.append(&ctx(), vec![append(subject, 0, vec![personal(NAME), event(1)])]).await.unwrap();
    store.append(&ctx(), vec![append(bystander, 0, vec![personal("Grace Hopper")])]).await.unwrap();
    settle(&store).await;
    store.checkpoint().await.unwrap();

    let stored = dump(db.pool()).await;
    assert!(stored.contains("Analytical Engines Ltd"), "non-personal fields are plain");
    assert!(!stored.contains(NAME) && !stored.contains("Grace Hopper"), "personal data is sealed at rest");
    let before = store.read_stream(subject, 0).await.unwrap();
    assert_eq!(before[0].payload["name"], json!({"$pii": NAME}));

    store.shred_subject_key(subject).await.unwrap();

    // A new process with the same master key cannot read it either: the key itself is gone.
    let fresh = db.store_with(MasterKey::from_base64(&encoded).unwrap()).await;
    for reader in [&store, &fresh] {
        let after = reader.read_stream(subject, 0).await.unwrap();
        assert_eq!(after.len(), 2, "the events stay");
        assert_eq!(after[0].payload["name"], json!({"$pii": null}));
        assert_eq!(after[0].payload["company"], json!("Analytical Engines Ltd"));
        let other = reader.read_stream(bystander, 0).await.unwrap();
        assert_eq!(other[0].payload["name"], json!({"$pii": "Grace Hopper"}), "other subjects are untouched");
    }
    let wrapped: Option<Vec<u8>> = sqlx::query_scalar("SELECT wrapped_key FROM subject_keys WHERE subject_id = $1")
        .bind(subject)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(wrapped.is_none(), "the wrapped key is destroyed, a tombstone remains");
    assert!(store.is_erased(subject).await.unwrap());
    assert!(!dump(db.pool()).await.contains(NAME));
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "erasure keeps the chain: {:?}", report.problems);

    // No personal data can be written for the subject again; other events still can.
    let again = store.append(&ctx(), vec![append(subject, 2, vec![personal(NAME)])]).await;
    assert!(matches!(again, Err(StoreError::SubjectErased { subject: s }) if s == subject), "{again:?}");
    store.append(&ctx(), vec![append(subject, 2, vec![event(3)])]).await.unwrap();
}

#[tokio::test]
async fn a_new_stream_for_a_subject_erased_before_discovery_is_refused_personal_data() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let subject = Uuid::new_v4();
    // Erasure requested before we ever stored anything: a tombstone with no key.
    store.shred_subject_key(subject).await.unwrap();
    let refused = store.append(&ctx(), vec![append(subject, 0, vec![personal(NAME)])]).await;
    assert!(matches!(refused, Err(StoreError::SubjectErased { .. })), "{refused:?}");
    assert!(store.read_stream(subject, 0).await.unwrap().is_empty(), "nothing was written");

    // Another process (cold cache, same master key) adds personal data under the existing key.
    let master = MasterKey::generate();
    let encoded = master.to_base64();
    let first = db.store_with(master).await;
    let other = Uuid::new_v4();
    first.append(&ctx(), vec![append(other, 0, vec![personal("Grace Hopper")])]).await.unwrap();
    let second = db.store_with(MasterKey::from_base64(&encoded).unwrap()).await;
    second.append(&ctx(), vec![append(other, 1, vec![personal("Grace B. Hopper")])]).await.unwrap();
    let names: Vec<_> = first.read_stream(other, 0).await.unwrap().iter().map(|e| e.payload["name"].clone()).collect();
    assert_eq!(names, vec![json!({"$pii": "Grace Hopper"}), json!({"$pii": "Grace B. Hopper"})]);
}
