//! Servers on loopback for the adapter tests.

pub(crate) mod smtp;

use std::net::SocketAddr;

/// Serves `router` on 127.0.0.1 at a free port until the test's runtime ends.
pub(crate) async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    addr
}

/// A loopback port with nothing listening on it.
pub(crate) fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local address").port()
}

/// Sets an environment variable under a name unique to the calling test, so tests running in
/// parallel never see each other's secrets.
pub(crate) fn secret_var(test: &str, value: &str) -> String {
    let name = format!("REACHSPARK_TEST_{}", test.to_ascii_uppercase());
    std::env::set_var(&name, value);
    name
}
