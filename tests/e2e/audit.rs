//! `reachspark audit verify`: exit 0 on an intact log, 1 with the altered event named.

use chrono::Utc;
use reachspark_domain::Actor;
use reachspark_store::testing::TestDb;
use reachspark_store::{CommandContext, MasterKey, NewEvent, StreamAppend};
use sqlx::Connection;
use uuid::Uuid;

use crate::support::reachspark;

#[tokio::test]
async fn audit_verify_passes_then_names_the_altered_event() {
    let db = TestDb::new().await;
    let master = MasterKey::generate().to_base64();
    let store = db.store_with(MasterKey::from_base64(&master).unwrap()).await;
    let stream = Uuid::new_v4();
    let events = (0..3)
        .map(|n| NewEvent {
            event_type: "NoteAdded".to_owned(),
            schema_version: 1,
            payload: serde_json::json!({ "n": n }),
        })
        .collect();
    let ctx = CommandContext::new(Actor::system(), Utc::now());
    store
        .append(
            &ctx,
            vec![StreamAppend { stream_type: "lead".to_owned(), stream_id: stream, expected_version: 0, events }],
        )
        .await
        .unwrap();

    let run = || async {
        reachspark()
            .env("DATABASE_URL", db.url())
            .env("REACHSPARK_MASTER_KEY", &master)
            .args(["audit", "verify"])
            .output()
            .await
            .unwrap()
    };
    let ok = run().await;
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("OK: the log is intact"));

    let mut raw = sqlx::PgConnection::connect(db.url()).await.unwrap();
    let mut tx = raw.begin().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER USER").execute(&mut *tx).await.unwrap();
    sqlx::query("UPDATE events SET payload = '{\"n\": 5}' WHERE stream_version = 2").execute(&mut *tx).await.unwrap();
    sqlx::query("ALTER TABLE events ENABLE TRIGGER USER").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();

    let failed = run().await;
    assert_eq!(failed.status.code(), Some(1));
    let out = String::from_utf8_lossy(&failed.stdout);
    assert!(out.contains(&format!("stream {stream} version 2")) && out.contains("FAILED"), "{out}");
}
