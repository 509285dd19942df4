//! Rebuilds: queries read the old tables until the swap, which is one transaction.

use std::sync::mpsc;
use std::time::Duration;

use reachspark_projections::rebuild::rebuild;
use reachspark_store::testing::TestDb;
use reachspark_store::MasterKey;
use uuid::Uuid;

use crate::fixtures::applied;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn while_a_rebuild_runs_queries_read_the_old_tables() {
    let db = TestDb::new().await;
    let key = MasterKey::generate().to_base64();
    let store = db.store_with(MasterKey::from_base64(&key).unwrap()).await;
    applied(&store, 3, 60).await;
    // A row no event produced: it lives exactly as long as the old tables.
    let marker = Uuid::new_v4();
    sqlx::query("INSERT INTO read.leads (lead_id, contact_status, stream_version) VALUES ($1, 'Marker', 0)")
        .bind(marker)
        .execute(store.pool())
        .await
        .unwrap();

    let (progressed, paused) = (mpsc::channel::<u64>(), mpsc::channel::<()>());
    let (progress_tx, progress_rx) = progressed;
    let (resume_tx, resume_rx) = paused;
    // The rebuild runs on a thread and runtime of its own, so that holding it still in its
    // progress callback blocks nothing the test needs.
    let url = db.url().to_owned();
    let rebuilding = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let store = reachspark_store::Store::connect(&url, 4, MasterKey::from_base64(&key).unwrap()).await.unwrap();
            let mut first = true;
            rebuild(&store, &reachspark_projections::all(), 50, move |p| {
                if first && p.done < p.total {
                    first = false;
                    progress_tx.send(p.done).unwrap();
                    resume_rx.recv_timeout(Duration::from_secs(60)).unwrap();
                }
            })
            .await
        })
    });
    let done =
        tokio::task::spawn_blocking(move || progress_rx.recv_timeout(Duration::from_secs(60)).unwrap()).await.unwrap();
    assert!(done > 0);
    let during: i64 = sqlx::query_scalar("SELECT count(*) FROM read.leads WHERE lead_id = $1")
        .bind(marker)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(during, 1, "mid-rebuild, queries still answer from the old table");
    // (`leads` folds in memory and writes its shadow tables at the end; the timeline streams.)
    let shadow: i64 =
        sqlx::query_scalar("SELECT count(*) FROM read_rebuild.lead_timeline").fetch_one(store.pool()).await.unwrap();
    assert!(shadow > 0, "the shadow tables are being filled");
    resume_tx.send(()).unwrap();
    let report = tokio::task::spawn_blocking(move || rebuilding.join().unwrap()).await.unwrap().unwrap();
    assert!(report.events > 0);

    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM read.leads WHERE lead_id = $1")
        .bind(marker)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(after, 0, "the swap replaced the table");
    let leads: i64 = sqlx::query_scalar("SELECT count(*) FROM read.leads").fetch_one(store.pool()).await.unwrap();
    assert_eq!(leads, 60);
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname IN ('read_rebuild', 'read_retired') ORDER BY 1",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(left.is_empty(), "neither the shadow tables nor the replaced ones are left: {left:?}");
    assert_eq!(read_views(&store).await, ["sender_usage_weekly on read.sender_usage"]);
}

/// Each view in `read` and the tables it reads.
async fn read_views(store: &reachspark_store::Store) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT format('%s on %s', v.relname, string_agg(DISTINCT t.relnamespace::regnamespace || '.' || t.relname, ', '))
         FROM pg_class v JOIN pg_rewrite r ON r.ev_class = v.oid
              JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass
              JOIN pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid AND t.relkind = 'r'
         WHERE v.relkind = 'v' AND v.relnamespace = 'read'::regnamespace
         GROUP BY v.relname ORDER BY v.relname",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// A rebuild stopped between its swap and the drop of the replaced tables leaves them in
/// `read_retired`; the next rebuild drops them first, and every view reads the new tables.
#[tokio::test]
async fn a_rebuild_drops_replaced_tables_left_by_one_that_stopped_after_its_swap() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let all = applied(&store, 2, 10).await;
    sqlx::query("CREATE SCHEMA read_retired").execute(store.pool()).await.unwrap();
    sqlx::query("CREATE TABLE read_retired.leads AS SELECT * FROM read.leads").execute(store.pool()).await.unwrap();

    let report = rebuild(&store, &all, 7, |_| {}).await.unwrap();

    assert!(report.swapped <= report.elapsed);
    let retired: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'read_retired')")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(!retired);
    assert_eq!(read_views(&store).await, ["sender_usage_weekly on read.sender_usage"]);
    let leads: i64 = sqlx::query_scalar("SELECT count(*) FROM read.leads").fetch_one(store.pool()).await.unwrap();
    assert_eq!(leads, 10);
}

/// The in-memory models load their rows frozen and all-visible, so an analyst's index-only scan
/// reads no heap page right after a rebuild (without, every row's visibility would first be
/// checked in the heap, and the first reader would write every page again to set hint bits).
#[tokio::test]
async fn a_rebuild_leaves_the_in_memory_models_rows_all_visible_for_index_only_scans() {
    let db = TestDb::new().await;
    let store = db.store().await;
    let all = applied(&store, 3, 60).await;

    rebuild(&store, &all, 50, |_| {}).await.unwrap();

    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query("SET enable_seqscan = off").execute(&mut *conn).await.unwrap();
    sqlx::query("SET enable_bitmapscan = off").execute(&mut *conn).await.unwrap();
    let tables = [
        "leads",
        "lead_messages",
        "pipeline_daily",
        "pipeline_lead_campaigns",
        "sender_accounts",
        "sender_usage",
        "sender_usage_reservations",
        "template_performance",
        "template_attribution",
    ];
    for table in tables {
        let plan: serde_json::Value =
            sqlx::query_scalar(&format!("EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM read.{table}"))
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        let scan = &plan[0]["Plan"]["Plans"][0];
        assert_eq!(scan["Node Type"], "Index Only Scan", "read.{table}: {plan}");
        assert_eq!(scan["Heap Fetches"], 0, "read.{table} is all-visible: {plan}");
        if ["leads", "lead_messages", "pipeline_daily"].contains(&table) {
            assert!(scan["Actual Rows"].as_u64() > Some(0), "read.{table} has rows: {plan}");
        }
    }
}
