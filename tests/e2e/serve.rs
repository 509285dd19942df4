//! `reachspark serve`: health over a real socket, graceful shutdown on SIGTERM.

use std::time::Duration;

use reachspark_store::testing::TestDb;

use crate::support::{reachspark, serve, terminate};

#[tokio::test]
async fn serve_answers_health_and_readiness_then_stops_cleanly_on_sigterm() {
    let db = TestDb::new().await;
    let mut cmd = reachspark();
    cmd.env("DATABASE_URL", db.url()).env("REACHSPARK_MASTER_KEY", reachspark_store::MasterKey::generate().to_base64());
    let mut server = serve(cmd).await;

    let health = reqwest::get(format!("{}/healthz", server.base)).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"status": "ok"}));
    let ready = reqwest::get(format!("{}/readyz", server.base)).await.unwrap();
    assert_eq!(ready.status(), 200);
    let missing = reqwest::get(format!("{}/nope", server.base)).await.unwrap();
    assert_eq!(missing.status(), 404);

    terminate(&server.child);
    let status =
        tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.expect("stops within 30 s").unwrap();
    assert!(status.success(), "{status:?}");
    // It migrated the database on the way up.
    let migrated: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(db.pool()).await.unwrap();
    assert!(migrated >= 1);
}
