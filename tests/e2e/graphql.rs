//! `/graphql` over a real socket with a token minted by `reachspark token issue`.

use std::time::Duration;

use reachspark_store::testing::TestDb;
use reachspark_store::MasterKey;
use serde_json::{json, Value};

use crate::support::{reachspark, serve, terminate};

const SECRET: &str = "an-e2e-test-secret-that-is-long-enough-0123456789";

async fn post(base: &str, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(format!("{base}/graphql")).json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn graphql_answers_a_minted_token_and_refuses_the_rest() {
    let db = TestDb::new().await;
    let key = MasterKey::generate().to_base64();
    let minted = reachspark()
        .env("REACHSPARK_JWT_SECRET", SECRET)
        .args(["token", "issue", "--role", "admin", "--sub", "e2e", "--scope", "pii", "--ttl", "10m"])
        .output()
        .await
        .unwrap();
    assert!(minted.status.success(), "{}", String::from_utf8_lossy(&minted.stderr));
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "a JWT");

    let mut cmd = reachspark();
    cmd.env("DATABASE_URL", db.url()).env("REACHSPARK_MASTER_KEY", &key).env("REACHSPARK_JWT_SECRET", SECRET);
    let mut server = serve(cmd).await;

    let (status, body) =
        post(&server.base, Some(&token), "{ leads(first: 5) { edges { node { id } } } projections { name state } }")
            .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["leads"]["edges"], json!([]));
    assert_eq!(body["data"]["projections"].as_array().unwrap().len(), 8);

    let (status, body) = post(&server.base, None, "{ leads(first: 5) { edges { node { id } } } }").await;
    assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (200, Some("UNAUTHENTICATED")), "{body}");

    let forged = format!("{}x", &token[..token.len() - 1]);
    let (status, body) = post(&server.base, Some(&forged), "{ projections { name } }").await;
    assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (401, Some("UNAUTHENTICATED")), "{body}");

    terminate(&server.child);
    let exit = tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
    assert!(exit.success());
}
