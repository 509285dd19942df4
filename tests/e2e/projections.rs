//! `reachspark projections status | rebuild`, and `serve` keeping the read models current.

use std::time::Duration;

use chrono::Utc;
use rand::SeedableRng;
use reachspark_domain::Actor;
use reachspark_projections::workload::lead_story;
use reachspark_store::testing::TestDb;
use reachspark_store::{CommandContext, MasterKey, NewEvent, Store, StreamAppend};
use uuid::Uuid;

use crate::support::{reachspark, serve, terminate};

async fn seed(store: &Store, leads: u64) -> i64 {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut count = 0;
    for n in 0..leads {
        let (events, _) = lead_story(&mut rng, n, Uuid::new_v4(), Uuid::new_v4(), Utc::now());
        let events: Vec<NewEvent> = events.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect();
        count += i64::try_from(events.len()).unwrap();
        let append =
            StreamAppend { stream_type: "lead".to_owned(), stream_id: Uuid::new_v4(), expected_version: 0, events };
        store.append(&CommandContext::new(Actor::system(), Utc::now()), vec![append]).await.unwrap();
    }
    count
}

#[tokio::test]
async fn rebuild_logs_its_progress_and_status_reports_every_read_model() {
    let db = TestDb::new().await;
    let key = MasterKey::generate().to_base64();
    let store = db.store_with(MasterKey::from_base64(&key).unwrap()).await;
    let events = seed(&store, 30).await;
    let run = |args: &'static [&'static str]| {
        let mut cmd = reachspark();
        cmd.env("DATABASE_URL", db.url()).env("REACHSPARK_MASTER_KEY", &key).args(args);
        cmd
    };
    let rebuilt = run(&["projections", "rebuild", "--batch", "50"]).output().await.unwrap();
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    let stdout = String::from_utf8_lossy(&rebuilt.stdout);
    assert!(stdout.contains(&format!("from {events} events")), "{stdout}");
    // Not a terminal: progress comes as log lines, not a bar.
    assert!(String::from_utf8_lossy(&rebuilt.stderr).contains("rebuilding"));

    let status = run(&["projections", "status", "--json"]).output().await.unwrap();
    assert!(status.status.success());
    let statuses: Vec<serde_json::Value> = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(statuses.len(), reachspark_projections::all().len());
    for s in &statuses {
        assert_eq!(
            (s["state"].as_str(), s["lag"].as_i64(), s["events_applied"].as_i64()),
            (Some("running"), Some(0), Some(events)),
            "{s}"
        );
    }
    let leads: i64 = sqlx::query_scalar("SELECT count(*) FROM read.leads").fetch_one(db.pool()).await.unwrap();
    assert_eq!(leads, 30);

    let unknown = run(&["projections", "rebuild", "nope"]).output().await.unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no projection named nope"));
}

#[tokio::test]
async fn serve_keeps_the_read_models_current() {
    let db = TestDb::new().await;
    let key = MasterKey::generate().to_base64();
    let store = db.store_with(MasterKey::from_base64(&key).unwrap()).await;
    let mut cmd = reachspark();
    cmd.env("DATABASE_URL", db.url()).env("REACHSPARK_MASTER_KEY", &key);
    let mut server = serve(cmd).await;
    seed(&store, 10).await;
    let mut leads = 0_i64;
    for _ in 0..200 {
        leads = sqlx::query_scalar("SELECT count(*) FROM read.leads").fetch_one(db.pool()).await.unwrap_or(0);
        if leads == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(leads, 10, "the server's projections caught up with the appends");
    let ready: serde_json::Value = reqwest::get(format!("{}/readyz", server.base)).await.unwrap().json().await.unwrap();
    assert_eq!(ready["projections"]["leads"]["state"], "running");
    terminate(&server.child);
    let status = tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
    assert!(status.success());
}
