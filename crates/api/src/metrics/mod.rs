//! Prometheus metrics, served at `/metrics` to tokens of the admin and auditor roles.
//!
//! | metric | type | labels | recorded |
//! |---|---|---|---|
//! | `reachspark_http_requests_total` | counter | `route`, `method`, `status` | per HTTP request |
//! | `reachspark_http_request_duration_seconds` | histogram | `route` | per HTTP request |
//! | `reachspark_graphql_operation_duration_seconds` | histogram | `operation` | per GraphQL request |
//! | `reachspark_graphql_errors_total` | counter | `code` | per error, by `extensions.code` |
//! | `reachspark_graphql_subscribers` | gauge | – | open subscription connections (WebSockets) |
//! | `reachspark_events_appended_total` | counter | – | at scrape: highest global position |
//! | `reachspark_projection_lag_events` | gauge | `projection` | at scrape |
//! | `reachspark_projection_failed` | gauge | `projection` | at scrape (1 = stopped on an event) |
//! | `reachspark_database_up` | gauge | – | at scrape |
//!
//! The store cannot depend on this crate, so the append rate is sampled: the log's highest
//! global position (an identity column, so it only grows) is read at each scrape, and
//! `rate(reachspark_events_appended_total[5m])` is the append rate. Positions of rolled-back
//! appends are skipped, so it slightly over-counts under conflicts. Projection lag is read at
//! scrape time too: always current, and no background task to keep alive. Labels are bounded:
//! routes are the router's patterns, never raw paths; operation types, not names.

mod extension;
mod requests;
mod scrape;

use std::sync::OnceLock;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub use extension::GraphqlMetrics;
pub(crate) use extension::{operation_type, record_http_graphql};
pub(crate) use requests::track_http;
pub(crate) use scrape::scrape;

use crate::graphql::Code;

pub(crate) const HTTP_REQUESTS: &str = "reachspark_http_requests_total";
pub(crate) const HTTP_DURATION: &str = "reachspark_http_request_duration_seconds";
pub(crate) const GRAPHQL_DURATION: &str = "reachspark_graphql_operation_duration_seconds";
pub(crate) const GRAPHQL_ERRORS: &str = "reachspark_graphql_errors_total";
const SUBSCRIBERS: &str = "reachspark_graphql_subscribers";
pub(crate) const EVENTS_APPENDED: &str = "reachspark_events_appended_total";
pub(crate) const PROJECTION_LAG: &str = "reachspark_projection_lag_events";
pub(crate) const PROJECTION_FAILED: &str = "reachspark_projection_failed";
pub(crate) const DATABASE_UP: &str = "reachspark_database_up";

/// Latency buckets in seconds: 1 ms to 10 s.
const BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus recorder, installed on first use. The `metrics` facade has one
/// global recorder, so every router in a process (tests build many) shares it.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = match builder.set_buckets(&BUCKETS) {
            Ok(with_buckets) => with_buckets,
            Err(err) => unreachable!("the bucket list is not empty: {err}"),
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics will show nothing");
        }
        describe();
        handle
    })
}

/// Drains histogram samples into their buckets. `/metrics` does it on every scrape; call this
/// every few seconds as well, so a server nobody scrapes does not accumulate samples.
pub fn run_upkeep() {
    handle().run_upkeep();
}

/// A subscription started. Call [`subscriber_disconnected`] exactly once when it ends (or hold
/// a [`SubscriberGuard`], which does).
pub fn subscriber_connected() {
    handle();
    gauge!(SUBSCRIBERS).increment(1.0);
}

/// A subscription ended.
pub fn subscriber_disconnected() {
    handle();
    gauge!(SUBSCRIBERS).decrement(1.0);
}

/// Counts one subscriber for as long as it lives: keep it in the subscription's stream, so
/// the gauge goes down however the stream ends (client gone, token expired, server stopping).
#[derive(Debug)]
pub struct SubscriberGuard(());

impl SubscriberGuard {
    /// Counts a subscriber now.
    #[must_use = "the subscriber is uncounted as soon as the guard is dropped"]
    pub fn connect() -> Self {
        subscriber_connected();
        Self(())
    }
}

impl Drop for SubscriberGuard {
    fn drop(&mut self) {
        subscriber_disconnected();
    }
}

/// One error answered to a client, by its `extensions.code`. The schema's extension counts
/// resolver and validation errors; the HTTP layer calls this for refusals it answers itself
/// (bad token, rate limit, unreadable parameters).
pub fn graphql_error(code: Code) {
    count_error(code.as_str());
}

pub(crate) fn count_error(code: &str) {
    counter!(GRAPHQL_ERRORS, "code" => code.to_owned()).increment(1);
}

fn describe() {
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by route pattern, method and status");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "HTTP request latency, by route pattern");
    describe_histogram!(GRAPHQL_DURATION, Unit::Seconds, "GraphQL request latency, by operation type");
    describe_counter!(GRAPHQL_ERRORS, "GraphQL errors answered, by extensions.code");
    describe_gauge!(SUBSCRIBERS, "Open GraphQL subscriptions");
    describe_counter!(EVENTS_APPENDED, "Highest global position in the event log; its rate is the append rate");
    describe_gauge!(PROJECTION_LAG, "Events in the log after the projection's checkpoint");
    describe_gauge!(PROJECTION_FAILED, "1 when the projection stopped on an event it could not apply");
    describe_gauge!(DATABASE_UP, "1 when the last scrape reached the database");
}
