//! `reachspark demo` as a newcomer runs it: the whole system on an accelerated clock, graded
//! against the sandbox's hidden truth. A short run here; the 14-day figures are in
//! docs/BENCHMARKS.md.

use std::time::Duration;

use reachspark_store::testing::TestDb;
use reachspark_store::MasterKey;
use sqlx::Connection as _;

use crate::support::reachspark;

#[tokio::test]
async fn the_demo_runs_the_whole_system_and_grades_it() {
    let db = TestDb::new().await;
    let run = reachspark()
        .env("DATABASE_URL", db.url())
        .env("REACHSPARK_MASTER_KEY", MasterKey::generate().to_base64())
        .env("RUST_LOG", "warn")
        .args(["demo", "--leads", "120", "--days", "3", "--accounts", "2", "--seed", "4242"])
        .output();
    let out = tokio::time::timeout(Duration::from_secs(600), run).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for section in ["Funnel", "Template policy", "learned (Thompson)", "uniform random", "oracle", "Classification"] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
    let line =
        |prefix: &str| text.lines().map(str::trim).find(|l| l.starts_with(prefix)).unwrap_or_default().to_owned();
    let number = |prefix: &str| -> i64 {
        let l = line(prefix);
        l.split_whitespace().last().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{prefix}: {l}\n{text}"))
    };
    assert!(number("sent") > 0, "{text}");
    assert!(number("discovered") == 120, "{text}");
    assert_eq!(line("cap violations:"), "cap violations: 0", "{text}");
    assert_eq!(line("Contacts after an opt-out:"), "Contacts after an opt-out: 0", "{text}");
    assert!(line("audit verify:").ends_with("OK: the log is intact"), "{text}");
    assert!(line("Decisions recorded:").contains("classification 120"), "{text}");
    assert_eq!(out.status.success(), text.contains("Goals: all met"), "exit status follows the goals:\n{text}");

    // The run's database is gone again.
    let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = 'reachspark_demo_4242'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
