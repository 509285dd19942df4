//! A small GraphQL-over-WebSocket client for the tests, speaking graphql-transport-ws or the
//! legacy graphql-ws over a real socket (tokio-tungstenite).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// graphql-transport-ws.
    Transport,
    /// The legacy graphql-ws (subscriptions-transport-ws).
    Legacy,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Self::Transport => "graphql-transport-ws",
            Self::Legacy => "graphql-ws",
        }
    }
}

/// What the server said.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    /// A result for subscription `id` (`next`, or `data` in the legacy protocol).
    Next { id: String, payload: Value },
    /// Subscription `id` ended.
    Complete { id: String },
    /// The legacy protocol's `connection_error`.
    ConnectionError(Value),
    /// The server closed the socket.
    Closed { code: u16, reason: String },
    /// Anything else (`connection_ack`, `ka`, `pong`).
    Other(Value),
}

/// The HTTP status a WebSocket handshake offering `protocol` (or none) gets: 101 when accepted.
pub(crate) async fn handshake_status(base: &str, protocol: Option<&str>) -> u16 {
    let mut request = format!("{}/graphql", base.replacen("http://", "ws://", 1)).into_client_request().unwrap();
    if let Some(protocol) = protocol {
        request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    }
    match connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("handshake failed: {other}"),
    }
}

pub(crate) struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    protocol: Protocol,
}

impl Client {
    /// Opens `ws://.../graphql` offering `protocol`, and checks the server picked it.
    pub(crate) async fn connect(base: &str, protocol: Protocol) -> Self {
        let mut request = format!("{}/graphql", base.replacen("http://", "ws://", 1)).into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.name().parse().unwrap());
        let (ws, response) = connect_async(request).await.expect("the WebSocket handshake");
        assert_eq!(response.headers()["sec-websocket-protocol"], protocol.name());
        Self { ws, protocol }
    }

    pub(crate) async fn send(&mut self, message: Value) {
        self.ws.send(Message::text(message.to_string())).await.expect("send");
    }

    /// Sends `connection_init` with `payload`; the first answer (an ack, or why not).
    pub(crate) async fn init(&mut self, payload: Value) -> Incoming {
        self.send(json!({ "type": "connection_init", "payload": payload })).await;
        self.next().await
    }

    /// Sends `connection_init` with the bearer token and expects the ack.
    pub(crate) async fn authenticate(&mut self, token: &str) {
        let answer = self.init(json!({ "authorization": format!("Bearer {token}") })).await;
        assert_eq!(answer, Incoming::Other(json!({ "type": "connection_ack" })));
    }

    /// Starts subscription `id`.
    pub(crate) async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.protocol == Protocol::Transport { "subscribe" } else { "start" };
        self.send(json!({ "type": kind, "id": id, "payload": { "query": query, "variables": variables } })).await;
    }

    /// Stops subscription `id`.
    pub(crate) async fn stop(&mut self, id: &str) {
        let kind = if self.protocol == Protocol::Transport { "complete" } else { "stop" };
        self.send(json!({ "type": kind, "id": id })).await;
    }

    /// The next message (waits up to 20 s).
    pub(crate) async fn next(&mut self) -> Incoming {
        tokio::time::timeout(Duration::from_secs(20), self.read()).await.expect("a message within 20 s")
    }

    /// The next message if one comes within `wait`.
    pub(crate) async fn next_within(&mut self, wait: Duration) -> Option<Incoming> {
        tokio::time::timeout(wait, self.read()).await.ok()
    }

    /// The payload of the next result for `id`; panics on anything else.
    pub(crate) async fn next_payload(&mut self, id: &str) -> Value {
        match self.next().await {
            Incoming::Next { id: got, payload } if got == id => payload,
            other => panic!("expected a result for {id}, got {other:?}"),
        }
    }

    async fn read(&mut self) -> Incoming {
        loop {
            let message = match self.ws.next().await {
                None | Some(Err(_)) => return Incoming::Closed { code: 1006, reason: String::new() },
                Some(Ok(message)) => message,
            };
            let text = match message {
                Message::Text(text) => text,
                Message::Close(frame) => {
                    let (code, reason) = frame.map_or((1005, String::new()), |f| (f.code.into(), f.reason.to_string()));
                    return Incoming::Closed { code, reason };
                }
                _ => continue,
            };
            let value: Value = serde_json::from_str(&text).expect("JSON from the server");
            let id = || value["id"].as_str().unwrap_or_default().to_owned();
            return match value["type"].as_str() {
                Some("next" | "data") => Incoming::Next { id: id(), payload: value["payload"].clone() },
                Some("complete") => Incoming::Complete { id: id() },
                Some("connection_error") => Incoming::ConnectionError(value["payload"].clone()),
                _ => Incoming::Other(value),
            };
        }
    }
}
