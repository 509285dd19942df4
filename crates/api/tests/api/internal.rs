//! An internal failure: the client sees `INTERNAL` and "internal error", nothing more; the
//! server logs the cause exactly once.

use std::io::Write;
use std::sync::{Arc, Mutex};

use reachspark_api::auth::Role;
use reachspark_api::http::Limits;
use serde_json::json;

use crate::harness::{app, post, send, token};

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_internal_error_shows_no_detail_and_is_logged_once() {
    let app = app(Limits::default()).await;
    // Break the read model under the resolver.
    sqlx::query("ALTER TABLE read.leads RENAME TO leads_moved_away").execute(app.store.pool()).await.unwrap();

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    // #[tokio::test] runs on one thread, so a thread-local default sees the whole request.
    let _logging = tracing::subscriber::set_default(subscriber);

    let reply = send(&app.router, post("{ leads(first: 1) { edges { cursor } } }", Some(&token(Role::Admin)))).await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(
        reply.json(),
        json!({ "data": null, "errors": [{ "message": "internal error", "locations": [{ "line": 1, "column": 3 }],
                "path": ["leads"], "extensions": { "code": "INTERNAL" } }] })
    );
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("read.leads")).collect();
    assert_eq!(lines.len(), 1, "the cause is logged once: {log}");
    assert!(lines[0].contains("ERROR") && lines[0].contains("internal error"), "{log}");
    assert!(lines[0].contains("route=/graphql"), "in the request's span: {log}");
}
