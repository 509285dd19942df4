//! The embedded PostgreSQL default: no `DATABASE_URL`, data kept under the data directory.

use std::time::Duration;

use crate::support::{reachspark, serve, terminate};

#[tokio::test]
async fn without_database_url_the_binary_runs_its_own_cluster_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for _ in 0..2 {
        let out = reachspark().arg("--data-dir").arg(&data).arg("migrate").output().await.unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(data.join("postgres/data/PG_VERSION").is_file());
    let key = std::fs::read_to_string(data.join("master.key")).unwrap();
    assert_eq!(key.trim().len(), 44, "a base64 32-byte key");

    // serve on the same directory, then stop: the cluster stops with it.
    let mut cmd = reachspark();
    cmd.arg("--data-dir").arg(&data);
    let mut server = serve(cmd).await;
    assert_eq!(reqwest::get(format!("{}/readyz", server.base)).await.unwrap().status(), 200);
    terminate(&server.child);
    let status = tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
    assert!(status.success());
    let pid_file = data.join("postgres/data/postmaster.pid");
    for _ in 0..100 {
        if !pid_file.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!pid_file.exists(), "the embedded server stopped with the binary");
}

#[tokio::test]
async fn without_postgresql_binaries_it_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = reachspark()
        .env("REACHSPARK_PG_BIN", dir.path().join("no-such-dir"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("migrate")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Install PostgreSQL") && stderr.contains("DATABASE_URL"), "{stderr}");
}
