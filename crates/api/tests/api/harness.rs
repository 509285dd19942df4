//! Shared by the HTTP tests: the router over a fresh database, tokens, requests sent with
//! `router.oneshot`, and seeding the log.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body};
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use reachspark_api::auth::{issue_hs256, AuthConfig, Authenticator, Claims, Role};
use reachspark_api::http::Limits;
use reachspark_api::{router, AppState};
use reachspark_projections::runner;
use reachspark_store::testing::TestDb;
use reachspark_store::Store;
use secrecy::SecretString;
use serde_json::{json, Value};
use tower::ServiceExt as _;
use uuid::Uuid;

pub(crate) const SECRET: &str = "router-test-secret-that-is-comfortably-over-32-bytes";

/// A router over its own database, with the read models created.
pub(crate) struct App {
    pub(crate) _db: TestDb,
    pub(crate) store: Store,
    pub(crate) router: Router,
}

pub(crate) async fn app(limits: Limits) -> App {
    let db = TestDb::new().await;
    let store = db.store().await;
    runner::ensure_ready(&store, &reachspark_projections::all()).await.unwrap();
    let auth = Authenticator::new(AuthConfig::hs256(&SecretString::from(SECRET)).unwrap());
    let router = router(AppState::new(store.clone(), Some(auth)).with_limits(limits));
    App { _db: db, store, router }
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A valid token for `role` and subject `sub`.
pub(crate) fn token_for(role: Role, sub: &str) -> String {
    let iat = now();
    let claims = Claims { sub: sub.to_owned(), role, agent: None, scope: vec![], exp: iat + 3600, iat };
    issue_hs256(&claims, &SecretString::from(SECRET)).unwrap()
}

pub(crate) fn token(role: Role) -> String {
    token_for(role, "ada")
}

/// An answer, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub(crate) fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The first error's `extensions.code`.
    pub(crate) fn code(&self) -> Option<String> {
        self.json()["errors"][0]["extensions"]["code"].as_str().map(ToOwned::to_owned)
    }
}

pub(crate) async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec();
    Reply { status, headers, body }
}

/// A POST of `{"query": query}` with `Content-Type: application/json`, from 127.0.0.1.
pub(crate) fn post(query: &str, token: Option<&str>) -> Request<Body> {
    post_body(json!({ "query": query }).to_string(), token)
}

pub(crate) fn post_body(body: impl Into<Body>, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    from_peer(builder.body(body.into()).unwrap(), [127, 0, 0, 1])
}

/// Marks the request as coming from `ip`, as `axum::serve` with connect info does.
pub(crate) fn from_peer(mut request: Request<Body>, ip: [u8; 4]) -> Request<Body> {
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
    request
}

/// How many events the log holds.
pub(crate) async fn event_count(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(store.pool()).await.unwrap()
}

/// Appends `leads` lead stories (discovered, enriched, scored, contacted, ...) and brings every
/// read model up to date.
pub(crate) async fn seed(store: &Store, leads: u64) {
    append_leads(store, leads).await;
    catch_up(store).await;
}

/// Appends `leads` lead stories and leaves the read models behind.
pub(crate) async fn append_leads(store: &Store, leads: u64) {
    use rand::SeedableRng as _;
    use reachspark_store::{CommandContext, NewEvent, StreamAppend};

    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for n in 0..leads {
        let now = chrono::Utc::now();
        let (events, _) =
            reachspark_projections::workload::lead_story(&mut rng, n, Uuid::new_v4(), Uuid::new_v4(), now);
        let events: Vec<NewEvent> = events.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect();
        let append =
            StreamAppend { stream_type: "lead".to_owned(), stream_id: Uuid::new_v4(), expected_version: 0, events };
        store.append(&CommandContext::new(reachspark_domain::Actor::system(), now), vec![append]).await.unwrap();
    }
    reachspark_store::testing::settle(store).await;
}

/// Runs every projection until it has nothing left to apply.
pub(crate) async fn catch_up(store: &Store) {
    use reachspark_projections::runner::{RunnerConfig, Step};
    for projection in &reachspark_projections::all() {
        while runner::step(store, projection.as_ref(), &RunnerConfig::default()).await.unwrap() != Step::Idle {}
    }
}
