//! `/metrics`: who may read it, and that each figure moves when what it counts happens. The
//! recorder is process-wide: counters are compared before and after (other tests count too),
//! and the tests here that read gauges take [`SCRAPES`], since every scrape rewrites them.

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, StatusCode};
use axum::Router;
use reachspark_api::auth::Role;
use reachspark_api::http::Limits;
use reachspark_api::metrics::SubscriberGuard;

use crate::harness::{app, append_leads, event_count, from_peer, post, seed, send, token};

/// Held by each test that reads a gauge, so no other scrape rewrites it meanwhile.
static SCRAPES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn scrape(router: &Router, role: Role) -> String {
    let request = Request::get("/metrics").header("authorization", format!("Bearer {}", token(role)));
    let reply = send(router, from_peer(request.body(Body::empty()).unwrap(), [127, 0, 0, 1])).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header(CONTENT_TYPE), Some("text/plain; version=0.0.4; charset=utf-8"));
    reply.text()
}

/// The value of the sample `name` whose labels include every one of `labels` (`key="value"`).
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
        (metric == name && labels.iter().all(|l| rest.contains(l))).then(|| value.parse().ok())?
    })
}

#[tokio::test]
async fn only_admin_and_auditor_tokens_read_metrics() {
    let app = app(Limits::default()).await;
    let anonymous = send(&app.router, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!((anonymous.status, anonymous.code().as_deref()), (StatusCode::UNAUTHORIZED, Some("UNAUTHENTICATED")));
    for role in [Role::Operator, Role::Analyst, Role::CrmSync] {
        let request = Request::get("/metrics").header("authorization", format!("Bearer {}", token(role)));
        let reply = send(&app.router, request.body(Body::empty()).unwrap()).await;
        assert_eq!((reply.status, reply.code().as_deref()), (StatusCode::FORBIDDEN, Some("FORBIDDEN")), "{role}");
        assert!(!reply.text().contains("reachspark_"), "{role} sees no figure");
    }
    for role in [Role::Admin, Role::Auditor] {
        assert!(scrape(&app.router, role).await.contains("# TYPE reachspark_http_requests_total counter"), "{role}");
    }
}

#[tokio::test]
async fn requests_latencies_and_errors_by_code_are_counted() {
    let app = app(Limits::default()).await;
    let before = scrape(&app.router, Role::Admin).await;
    let ok_labels = ["route=\"/graphql\"", "method=\"POST\"", "status=\"200\""];
    let requests = |text: &str| sample(text, "reachspark_http_requests_total", &ok_labels).unwrap_or(0.0);
    let errors = |text: &str, code: &str| {
        sample(text, "reachspark_graphql_errors_total", &[&format!("code=\"{code}\"")]).unwrap_or(0.0)
    };
    let queries = |text: &str| {
        sample(text, "reachspark_graphql_operation_duration_seconds_count", &["operation=\"query\""]).unwrap_or(0.0)
    };

    send(&app.router, post("{ __typename }", Some(&token(Role::Admin)))).await;
    send(&app.router, post("{ auditVerify { intact } }", None)).await; // UNAUTHENTICATED
    send(&app.router, post("{ auditVerify { intact } }", Some(&token(Role::Analyst)))).await; // FORBIDDEN
    send(&app.router, post("{ nope }", None)).await; // VALIDATION
    send(&app.router, post("{ __typename }", Some("forged"))).await; // 401, UNAUTHENTICATED

    let after = scrape(&app.router, Role::Admin).await;
    // Other tests in this binary share the recorder: at least our own requests were counted.
    assert!(requests(&after) - requests(&before) >= 4.0, "{after}");
    assert!(queries(&after) - queries(&before) >= 3.0, "{after}");
    assert!(errors(&after, "UNAUTHENTICATED") - errors(&before, "UNAUTHENTICATED") >= 2.0);
    assert!(errors(&after, "FORBIDDEN") - errors(&before, "FORBIDDEN") >= 1.0);
    assert!(errors(&after, "VALIDATION") - errors(&before, "VALIDATION") >= 1.0);
    assert!(
        sample(&after, "reachspark_http_request_duration_seconds_bucket", &["route=\"/graphql\"", "le=\"+Inf\""])
            .is_some(),
        "latency is a histogram with buckets"
    );
    let unmatched = send(&app.router, Request::get("/no/such/route/42").body(Body::empty()).unwrap()).await;
    assert_eq!(unmatched.status, StatusCode::NOT_FOUND);
    let text = scrape(&app.router, Role::Admin).await;
    assert!(!text.contains("/no/such/route"), "raw paths never become labels");
    assert!(sample(&text, "reachspark_http_requests_total", &["route=\"unmatched\"", "status=\"404\""]).is_some());
}

#[tokio::test]
async fn the_append_position_and_each_projections_lag_are_sampled_at_scrape() {
    let _scrapes = SCRAPES.lock().await;
    let app = app(Limits::default()).await;
    seed(&app.store, 2).await;
    let caught_up = event_count(&app.store).await;
    append_leads(&app.store, 1).await;
    let behind = event_count(&app.store).await - caught_up;
    assert!(behind > 0);

    let text = scrape(&app.router, Role::Auditor).await;
    let head: i64 =
        sqlx::query_scalar("SELECT max(global_position) FROM events").fetch_one(app.store.pool()).await.unwrap();
    // A counter only grows: it holds the highest head any database of this test binary showed.
    let head = head as f64;
    assert!(sample(&text, "reachspark_events_appended_total", &[]).unwrap() >= head, "{text}");
    for projection in reachspark_projections::all() {
        let label = format!("projection=\"{}\"", projection.name());
        let expected = behind as f64;
        assert_eq!(sample(&text, "reachspark_projection_lag_events", &[&label]), Some(expected), "{label}");
        assert_eq!(sample(&text, "reachspark_projection_failed", &[&label]), Some(0.0), "{label}");
    }
    assert_eq!(sample(&text, "reachspark_database_up", &[]), Some(1.0));
}

#[tokio::test]
async fn subscribers_are_counted_while_their_guard_lives() {
    let _scrapes = SCRAPES.lock().await;
    let app = app(Limits::default()).await;
    let count = |text: &str| sample(text, "reachspark_graphql_subscribers", &[]).unwrap_or(0.0);
    let before = count(&scrape(&app.router, Role::Admin).await);
    let guards = [SubscriberGuard::connect(), SubscriberGuard::connect()];
    let during = count(&scrape(&app.router, Role::Admin).await);
    drop(guards);
    let after = count(&scrape(&app.router, Role::Admin).await);
    assert_eq!((during - before, after - before), (2.0, 0.0));
}
