//! Guarantee 1: UPDATE, DELETE and TRUNCATE on `events` fail inside the database.

use reachspark_store::testing::TestDb;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::support::{append, ctx, event};

#[tokio::test]
async fn the_database_refuses_update_delete_and_truncate() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let stream = Uuid::new_v4();
    store.append(&ctx(), vec![append(stream, 0, vec![event(1), event(2)])]).await.unwrap();

    let mut raw = PgConnection::connect(db.url()).await.unwrap();
    for statement in [
        "UPDATE events SET event_type = 'Forged'",
        "DELETE FROM events",
        "TRUNCATE events",
        "TRUNCATE events CASCADE",
        "UPDATE audit_checkpoints SET event_count = 0",
    ] {
        let err = sqlx::query(statement).execute(&mut raw).await.expect_err(statement);
        let code = err.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{statement}: {err}");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&mut raw).await.unwrap();
    assert_eq!(count, 2);
    let types: Vec<String> = sqlx::query_scalar("SELECT event_type FROM events").fetch_all(&mut raw).await.unwrap();
    assert!(types.iter().all(|t| t == "NoteAdded"));
}

#[tokio::test]
async fn the_application_role_may_only_read_and_append() {
    let db = TestDb::new().await;
    let store = db.store().await;
    store.append(&ctx(), vec![append(Uuid::new_v4(), 0, vec![event(1)])]).await.unwrap();
    let mut raw = PgConnection::connect(db.url()).await.unwrap();
    let role_exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reachspark_app')")
            .fetch_one(&mut raw)
            .await
            .unwrap();
    assert!(role_exists, "the migration creates the application role");
    let mut tx = raw.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE reachspark_app").execute(&mut *tx).await.unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(seen, 1);
    let err = sqlx::query("DELETE FROM events").execute(&mut *tx).await.expect_err("delete as the app role");
    assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"));
}
