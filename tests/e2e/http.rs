//! The HTTP limits and `/metrics` of a real `reachspark serve`, configured through the
//! environment, over a real socket.

use std::time::Duration;

use reachspark_store::testing::TestDb;
use reachspark_store::MasterKey;
use serde_json::json;

use crate::support::{reachspark, serve, terminate};

const SECRET: &str = "an-e2e-test-secret-for-the-http-limits-0123456789";

async fn mint(role: &str, sub: &str) -> String {
    let out = reachspark()
        .env("REACHSPARK_JWT_SECRET", SECRET)
        .args(["token", "issue", "--role", role, "--sub", sub, "--ttl", "10m"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn limits_negotiation_and_metrics_over_a_real_socket() {
    let db = TestDb::new().await;
    let mut cmd = reachspark();
    cmd.env("DATABASE_URL", db.url())
        .env("REACHSPARK_MASTER_KEY", MasterKey::generate().to_base64())
        .env("REACHSPARK_JWT_SECRET", SECRET)
        .env("REACHSPARK_BODY_LIMIT_BYTES", "2048")
        .env("REACHSPARK_RATE_LIMIT_PER_SEC", "1")
        .env("REACHSPARK_RATE_LIMIT_BURST", "2");
    let mut server = serve(cmd).await;
    let graphql = format!("{}/graphql", server.base);
    let client = reqwest::Client::new();
    let query = json!({ "query": "{ __typename }" });

    // A client that accepts only application/json gets application/json.
    let admin = mint("admin", "e2e-admin").await;
    let reply = client
        .post(&graphql)
        .bearer_auth(&admin)
        .header("accept", "application/json")
        .json(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/json; charset=utf-8");

    // 413 past REACHSPARK_BODY_LIMIT_BYTES.
    let big = json!({ "query": format!("{{ __typename }} # {}", "x".repeat(4096)) });
    let reply = client.post(&graphql).bearer_auth(&admin).json(&big).send().await.unwrap();
    assert_eq!(reply.status(), 413);
    let body: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(body["errors"][0]["message"], "the request body is larger than 2048 bytes");

    // Anonymous callers share their address's budget: a burst of 2, then 429.
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..3 {
        let reply = client.post(&graphql).json(&query).send().await.unwrap();
        statuses.push(reply.status().as_u16());
        retry_after = reply.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    }
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(retry_after.as_deref(), Some("1"));

    // The scraper's token has a budget of its own.
    let auditor = mint("auditor", "e2e-prometheus").await;
    let reply = client.get(format!("{}/metrics", server.base)).bearer_auth(&auditor).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let text = reply.text().await.unwrap();
    assert!(text.contains(r#"reachspark_graphql_errors_total{code="RATE_LIMITED"} 1"#), "{text}");
    assert!(text.contains("reachspark_projection_lag_events{projection="), "{text}");
    // The address's budget is spent for every guarded route, /metrics included.
    let anonymous = client.get(format!("{}/metrics", server.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), 429);

    terminate(&server.child);
    let exit = tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
    assert!(exit.success());
}
