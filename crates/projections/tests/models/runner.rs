//! The runner: exactly once across a crash, one runner per projection, failures stop it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reachspark_projections::runner::{self, RunnerConfig, Step};
use reachspark_projections::{status, Envelope, Projection, ProjectionError};
use reachspark_store::testing::TestDb;
use reachspark_store::NewEvent;
use sqlx::PgConnection;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::fixtures::{compare_with_rebuild, ctx, drain, seed, settle, stream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_killed_between_its_writes_and_its_commit_applies_every_event_once() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let total = seed(&store, 1, 40).await;
    settle(&store).await;
    let all = reachspark_projections::all();
    runner::ensure_ready(&store, &all).await.unwrap();
    let leads = all.iter().find(|p| p.name() == "leads").unwrap().clone();

    // The third batch reaches its commit and the runner is killed there.
    let batches = Arc::new(AtomicU64::new(0));
    let reached = Arc::new(Notify::new());
    let (b, r) = (Arc::clone(&batches), Arc::clone(&reached));
    let config = RunnerConfig {
        batch: 50,
        before_commit: Some(Arc::new(move |_| {
            let (b, r) = (Arc::clone(&b), Arc::clone(&r));
            Box::pin(async move {
                if b.fetch_add(1, Ordering::SeqCst) == 2 {
                    r.notify_one();
                    std::future::pending::<()>().await;
                }
            })
        })),
        ..RunnerConfig::default()
    };
    let (s, p) = (store.clone(), leads.clone());
    let doomed = tokio::spawn(async move {
        loop {
            if runner::step(&s, p.as_ref(), &config).await.unwrap() == Step::Idle {
                break;
            }
        }
    });
    reached.notified().await;
    doomed.abort();
    let _ = doomed.await;

    let before: Vec<_> = status::status(&store).await.unwrap().into_iter().filter(|s| s.name == "leads").collect();
    assert_eq!(before[0].events_applied, 100, "two batches committed, the third rolled back");

    drain(&store, &all, 50).await;
    let after: Vec<_> = status::status(&store).await.unwrap().into_iter().filter(|s| s.name == "leads").collect();
    assert_eq!(after[0].events_applied, i64::try_from(total).unwrap());
    assert_eq!(after[0].lag, 0);
    compare_with_rebuild(&store, &all).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runners_on_one_database_apply_each_event_once() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let all = reachspark_projections::all();
    runner::ensure_ready(&store, &all).await.unwrap();
    let stop = CancellationToken::new();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        for projection in &all {
            let config = RunnerConfig { batch: 64, poll: Duration::from_millis(50), ..RunnerConfig::default() };
            tasks.push(tokio::spawn(runner::run(store.clone(), projection.clone(), config, stop.clone())));
        }
    }
    // Steps racing the runners directly, too: the checkpoint row lock serialises them.
    let config = RunnerConfig { batch: 16, ..RunnerConfig::default() };
    let total = seed(&store, 2, 60).await;
    for _ in 0..20 {
        for projection in &all {
            runner::step(&store, projection.as_ref(), &config).await.unwrap();
        }
    }
    settle(&store).await;
    for _ in 0..600 {
        let statuses = status::status(&store).await.unwrap();
        if statuses.iter().all(|s| s.lag == 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    for s in status::status(&store).await.unwrap() {
        assert_eq!((s.name.as_str(), s.events_applied, s.lag), (s.name.as_str(), i64::try_from(total).unwrap(), 0));
    }
    compare_with_rebuild(&store, &all).await;
}

/// Fails on any event whose payload says `{"poison": true}`.
struct Fussy;

#[async_trait]
impl Projection for Fussy {
    fn name(&self) -> &'static str {
        "fussy"
    }
    fn tables(&self) -> &'static [&'static str] {
        &["fussy"]
    }
    fn schema_sql(&self, schema: &str) -> Vec<String> {
        vec![format!("CREATE TABLE IF NOT EXISTS {schema}.fussy (event_id uuid PRIMARY KEY)")]
    }
    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError> {
        for e in events {
            if serde_json::from_str::<serde_json::Value>(&e.recorded.payload).expect("json")["poison"] == true {
                return Err(ProjectionError::Event { event_id: e.recorded.event_id, reason: "poisoned".to_owned() });
            }
            sqlx::query(&format!("INSERT INTO {schema}.fussy VALUES ($1)"))
                .bind(e.recorded.event_id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_projection_that_fails_stops_at_that_event_keeps_its_checkpoint_and_never_skips_it() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let fussy: Arc<dyn Projection> = Arc::new(Fussy);
    runner::ensure_ready(&store, std::slice::from_ref(&fussy)).await.unwrap();
    let note = |poison: bool| NewEvent {
        event_type: "NoteAdded".to_owned(),
        schema_version: 1,
        payload: serde_json::json!({ "poison": poison }),
    };
    let id = Uuid::new_v4();
    let mut events: Vec<NewEvent> = (0..10).map(|_| note(false)).collect();
    events.push(note(true));
    events.extend((0..5).map(|_| note(false)));
    let outcome = store.append(&ctx(), vec![stream("other", id, 0, events)]).await.unwrap();
    let (bad, last_good) = (outcome.events[10], outcome.events[9]);
    settle(&store).await;

    let config = RunnerConfig::default();
    assert_eq!(runner::step(&store, fussy.as_ref(), &config).await.unwrap(), Step::Failed);
    let s = status::status(&store).await.unwrap().into_iter().find(|s| s.name == "fussy").unwrap();
    assert_eq!(s.state, "failed");
    assert_eq!((s.failed_event_id, s.failed_position), (Some(bad.event_id), Some(bad.global_position)));
    assert!(s.error.as_deref().is_some_and(|e| e.contains("poisoned")), "{:?}", s.error);
    assert_eq!(s.position.global_position, last_good.global_position, "the good events before it are applied");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM read.fussy").fetch_one(store.pool()).await.unwrap();
    assert_eq!(applied, 10);

    // It does not move on by itself, and a resume retries the same event.
    assert_eq!(runner::step(&store, fussy.as_ref(), &config).await.unwrap(), Step::Failed);
    runner::resume(&store, "fussy").await.unwrap();
    assert_eq!(runner::step(&store, fussy.as_ref(), &config).await.unwrap(), Step::Failed);
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM read.fussy").fetch_one(store.pool()).await.unwrap();
    assert_eq!(applied, 10, "nothing after the failed event was applied");
}

/// A rebuild whose read model fails on an event names it, swaps nothing in, and leaves no lock
/// behind: the other models' tasks stop with it and the live tables keep answering.
#[tokio::test]
async fn a_rebuild_that_fails_in_one_read_model_swaps_nothing_and_can_run_again() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let mut all = reachspark_projections::all();
    all.push(Arc::new(Fussy));
    runner::ensure_ready(&store, &all).await.unwrap();
    seed(&store, 2, 40).await;
    let note = |poison: bool| NewEvent {
        event_type: "NoteAdded".to_owned(),
        schema_version: 1,
        payload: serde_json::json!({ "poison": poison }),
    };
    let mut events: Vec<NewEvent> = (0..30).map(|_| note(false)).collect();
    events.push(note(true));
    store.append(&ctx(), vec![stream("other", Uuid::new_v4(), 0, events)]).await.unwrap();
    settle(&store).await;
    let marker = Uuid::new_v4();
    sqlx::query("INSERT INTO read.fussy VALUES ($1)").bind(marker).execute(store.pool()).await.unwrap();
    let leads_before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM read.leads").fetch_one(store.pool()).await.unwrap();

    for attempt in 1..=2 {
        let err = reachspark_projections::rebuild::rebuild(&store, &all, 7, |_| {}).await.unwrap_err();
        assert!(
            matches!(&err, runner::RunnerError::Projection { projection: "fussy", .. }),
            "attempt {attempt}: {err}"
        );
        assert!(err.to_string().contains("poisoned"), "{err}");
        let kept: Vec<Uuid> =
            sqlx::query_scalar("SELECT event_id FROM read.fussy").fetch_all(store.pool()).await.unwrap();
        assert_eq!(kept, vec![marker], "attempt {attempt}: the live table was not swapped");
        let leads: i64 = sqlx::query_scalar("SELECT count(*) FROM read.leads").fetch_one(store.pool()).await.unwrap();
        assert_eq!(leads, leads_before, "attempt {attempt}: no other model was swapped either");
    }
}
