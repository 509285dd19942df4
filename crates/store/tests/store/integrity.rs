//! Guarantee 5: the hash chain and checkpoints catch a changed byte and a removed tail.

use reachspark_store::testing::TestDb;
use reachspark_store::{ProblemKind, Store};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::support::{append, ctx, event, personal, settle};

async fn seed(store: &Store) -> [Uuid; 3] {
    let streams = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
    for stream in streams {
        store.append(&ctx(), vec![append(stream, 0, vec![personal("Ada Lovelace"), event(1)])]).await.unwrap();
        store.append(&ctx(), vec![append(stream, 2, vec![event(2), event(3)])]).await.unwrap();
    }
    settle(store).await;
    streams
}

/// Runs `statement` as a superuser with the append-only triggers switched off.
async fn tamper(url: &str, statement: &str) {
    let mut raw = PgConnection::connect(url).await.unwrap();
    let mut tx = raw.begin().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER USER").execute(&mut *tx).await.unwrap();
    let changed = sqlx::query(statement).execute(&mut *tx).await.unwrap().rows_affected();
    assert_eq!(changed, 1, "{statement}");
    sqlx::query("ALTER TABLE events ENABLE TRIGGER USER").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn an_intact_log_verifies() {
    let db = TestDb::new().await;
    let store = db.store().await;
    seed(&store).await;
    store.checkpoint().await.unwrap().expect("a checkpoint over 12 events");
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!((report.events, report.streams, report.checkpoints), (12, 3, 1));
    assert!(store.checkpoint().await.unwrap().is_none(), "nothing new to checkpoint");
}

#[tokio::test]
async fn one_changed_byte_in_one_payload_is_reported_with_its_stream_and_position() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let streams = seed(&store).await;
    let (target, version) = (streams[1], 3);
    let position: i64 =
        sqlx::query_scalar("SELECT global_position FROM events WHERE stream_id = $1 AND stream_version = $2")
            .bind(target)
            .bind(version)
            .fetch_one(db.pool())
            .await
            .unwrap();
    // "Acme" becomes "Acne": one byte.
    tamper(
        db.url(),
        &format!("UPDATE events SET payload = jsonb_set(payload::jsonb, '{{company}}', '\"Acne\"')::json WHERE global_position = {position}"),
    )
    .await;

    let report = store.verify().await.unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    let problem = &report.problems[0];
    assert_eq!(problem.kind, ProblemKind::HashMismatch);
    assert_eq!(
        (problem.stream_id, problem.stream_version, problem.global_position),
        (Some(target), Some(version), Some(position))
    );
}

#[tokio::test]
async fn a_removed_stream_tail_is_reported_by_the_checkpoint() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let streams = seed(&store).await;
    store.checkpoint().await.unwrap().unwrap();
    tamper(db.url(), &format!("DELETE FROM events WHERE stream_id = '{}' AND stream_version = 4", streams[2])).await;

    let report = store.verify().await.unwrap();
    let missing: Vec<_> = report.problems.iter().filter(|p| p.kind == ProblemKind::MissingEvent).collect();
    assert_eq!(missing.len(), 1, "{:?}", report.problems);
    assert_eq!((missing[0].stream_id, missing[0].stream_version), (Some(streams[2]), Some(4)));
    assert!(report.problems.iter().any(|p| p.kind == ProblemKind::CheckpointMismatch), "the range digest changes too");
}

#[tokio::test]
async fn a_removed_middle_event_breaks_the_chain() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let streams = seed(&store).await;
    tamper(db.url(), &format!("DELETE FROM events WHERE stream_id = '{}' AND stream_version = 2", streams[0])).await;
    let report = store.verify().await.unwrap();
    assert!(
        report.problems.iter().any(|p| p.kind == ProblemKind::VersionGap && p.stream_id == Some(streams[0])),
        "{:?}",
        report.problems
    );
}

/// PostgreSQL's `jsonb` (the stored format before migration 0003, and what a migrated event
/// went through) keeps a number's value, not its spelling: `-0.0` comes back as `0.0`. A
/// decision factor that contributes `-0.0` (a negative weight times zero) must not read as an
/// altered event, in either format.
#[tokio::test]
async fn numbers_jsonb_respells_still_verify() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let payload = serde_json::json!({ "factors": [{ "contribution": -0.0 }, { "contribution": 2.5 }], "n": 3.0 });
    let negative_zero = reachspark_store::NewEvent { event_type: "NoteAdded".to_owned(), schema_version: 1, payload };
    store.append(&ctx(), vec![append(Uuid::new_v4(), 0, vec![negative_zero, event(1)])]).await.unwrap();
    settle(&store).await;
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.events, 2);
    sqlx::query("ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb")
        .execute(db.pool())
        .await
        .unwrap();
    let respelled: String = sqlx::query_scalar("SELECT payload::text FROM events ORDER BY global_position LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(!respelled.contains("-0.0"), "jsonb respells it: {respelled}");
    // A new pool: statements prepared before the type change would be refused.
    let reopened = Store::connect(db.url(), 2, reachspark_store::MasterKey::generate()).await.unwrap();
    let report = reopened.verify().await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
}
