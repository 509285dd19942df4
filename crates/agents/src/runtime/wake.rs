//! Waking a worker as soon as an event it reacts to commits, instead of on its next poll.
//!
//! [`follow`] subscribes to the API's `events(fromPosition, filter: {eventTypes})` over
//! WebSocket (graphql-transport-ws, the socket authenticated in `connection_init` with the
//! agent's token) and pokes a [`Notify`] for every event. It only wakes: the worker's step
//! reads the events itself, so the step stays the single place that does work and the
//! checkpoint the single place that says what is done. When the socket drops, it reconnects
//! with exponential backoff from the last cursor it saw; meanwhile the worker's interval poll
//! keeps it going.
//!
//! Why drive the protocol over tokio-tungstenite rather than `graphql-ws-client`: the workspace
//! already builds tokio-tungstenite 0.29 (the server's tests speak the protocol with it), and
//! the five messages a single subscription needs are fewer lines than the adapter would be;
//! the operation itself is still a typed `graphql_client` document checked against the schema.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use graphql_client::{GraphQLQuery as _, Response};
use secrecy::ExposeSecret as _;
use serde_json::{json, Value};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use crate::client::ops::{wake_on, WakeOn};
use crate::client::ApiClient;

/// How long the server has to acknowledge `connection_init`.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// The subprotocol spoken.
const PROTOCOL: &str = "graphql-transport-ws";

/// Waits that double from `base` up to `max`, and start again after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Starts at `base`, never above `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Self { base, max, next: base }
    }

    /// The wait before the next attempt.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    /// The connection worked: the next failure waits `base` again.
    pub fn reset(&mut self) {
        self.next = self.base;
    }
}

/// Why a subscription session ended.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("websocket: {0}")]
    Socket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("no connection_ack within {0:?}")]
    NoAck(Duration),
    #[error("closed by the server ({code}): {reason}")]
    Closed { code: u16, reason: String },
    #[error("subscription refused: {0}")]
    Refused(String),
    #[error("unexpected message: {0}")]
    Protocol(String),
}

/// The WebSocket URL of the GraphQL endpoint `http(s)://…/graphql`.
pub fn ws_url(graphql_url: &str) -> String {
    if let Some(rest) = graphql_url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = graphql_url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        graphql_url.to_owned()
    }
}

/// Pokes `wake` for every event of `types` after `from`, reconnecting for ever; stop it by
/// aborting its task. `agent` names it in logs.
pub async fn follow(agent: &'static str, api: ApiClient, types: Vec<String>, from: Option<String>, wake: Arc<Notify>) {
    let mut from = from;
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
    let mut failures = 0_u32;
    loop {
        let outcome = session(&api, &types, &mut from, &wake, &mut backoff).await;
        failures = if outcome.is_ok() { 0 } else { failures + 1 };
        match outcome {
            Err(e) if failures == 1 => {
                tracing::warn!(agent, error = %e, "event subscription lost; polling until it is back")
            }
            Err(e) => tracing::debug!(agent, error = %e, failures, "event subscription still down"),
            Ok(()) => tracing::info!(agent, "event subscription ended; reconnecting"),
        }
        // No wake here: whatever came while the socket was down is replayed from `from` once
        // it is back, and the worker's own poll covers the gap.
        tokio::time::sleep(backoff.next_wait()).await;
    }
}

/// One connection: handshake, subscribe, then a wake per event until the socket ends.
async fn session(
    api: &ApiClient,
    types: &[String],
    from: &mut Option<String>,
    wake: &Notify,
    backoff: &mut Backoff,
) -> Result<(), SessionError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut request = ws_url(api.url()).into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static(PROTOCOL));
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let bearer = format!("Bearer {}", api.token().expose_secret());
    let init = json!({ "type": "connection_init", "payload": { "authorization": bearer } });
    ws.send(Message::text(init.to_string())).await?;
    loop {
        let message =
            tokio::time::timeout(ACK_TIMEOUT, ws.next()).await.map_err(|_| SessionError::NoAck(ACK_TIMEOUT))?;
        match parse(message)? {
            Incoming::Ack => break,
            Incoming::Ping => ws.send(Message::text(json!({ "type": "pong" }).to_string())).await?,
            Incoming::Other => {}
            other => return Err(SessionError::Protocol(format!("{other:?} before connection_ack"))),
        }
    }
    backoff.reset();
    tracing::debug!(from = from.as_deref().unwrap_or("start"), "event subscription open");
    let body = WakeOn::build_query(wake_on::Variables { from: from.clone(), types: Some(types.to_vec()) });
    let subscribe = json!({ "id": "wake", "type": "subscribe", "payload": body });
    ws.send(Message::text(subscribe.to_string())).await?;
    loop {
        match parse(ws.next().await)? {
            Incoming::Next(payload) => {
                let answer: Response<wake_on::ResponseData> = serde_json::from_value(payload)
                    .map_err(|_| SessionError::Protocol("a next payload that does not decode".to_owned()))?;
                if let Some(error) = answer.errors.as_ref().and_then(|e| e.first()) {
                    return Err(SessionError::Refused(error.message.clone()));
                }
                if let Some(data) = answer.data {
                    *from = Some(data.events.cursor);
                }
                wake.notify_one();
            }
            Incoming::Ping => ws.send(Message::text(json!({ "type": "pong" }).to_string())).await?,
            Incoming::Error(payload) => return Err(SessionError::Refused(payload.to_string())),
            Incoming::Complete => return Ok(()),
            Incoming::Ack | Incoming::Other => {}
        }
    }
}

/// A server message, as far as one subscription cares.
#[derive(Debug)]
enum Incoming {
    Ack,
    Ping,
    Next(Value),
    Error(Value),
    Complete,
    Other,
}

fn parse(message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> Result<Incoming, SessionError> {
    let text = match message {
        None => return Err(SessionError::Closed { code: 1006, reason: "connection ended".to_owned() }),
        Some(message) => match message? {
            Message::Text(text) => text.to_string(),
            Message::Close(frame) => {
                let (code, reason) = frame.map_or((1005, String::new()), |f| (u16::from(f.code), f.reason.to_string()));
                return Err(SessionError::Closed { code, reason });
            }
            _ => return Ok(Incoming::Other),
        },
    };
    let value: Value =
        serde_json::from_str(&text).map_err(|_| SessionError::Protocol("a message that is not JSON".to_owned()))?;
    Ok(match value["type"].as_str() {
        Some("connection_ack") => Incoming::Ack,
        Some("ping") => Incoming::Ping,
        Some("next") => Incoming::Next(value["payload"].clone()),
        Some("error") => Incoming::Error(value["payload"].clone()),
        Some("complete") => Incoming::Complete,
        _ => Incoming::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_ceiling_and_starts_again_after_a_success() {
        let mut b = Backoff::new(Duration::from_millis(250), Duration::from_secs(1));
        let waits: Vec<u128> = (0..5).map(|_| b.next_wait().as_millis()).collect();
        assert_eq!(waits, [250, 500, 1000, 1000, 1000]);
        b.reset();
        assert_eq!(b.next_wait(), Duration::from_millis(250));
    }

    #[test]
    fn the_websocket_url_follows_the_http_scheme() {
        assert_eq!(ws_url("http://127.0.0.1:8080/graphql"), "ws://127.0.0.1:8080/graphql");
        assert_eq!(ws_url("https://api.example/graphql"), "wss://api.example/graphql");
    }

    #[test]
    fn server_messages_are_told_apart() {
        let text = |s: &str| Some(Ok(Message::text(s.to_owned())));
        assert!(matches!(parse(text(r#"{"type":"connection_ack"}"#)), Ok(Incoming::Ack)));
        assert!(matches!(parse(text(r#"{"type":"ping"}"#)), Ok(Incoming::Ping)));
        assert!(matches!(parse(text(r#"{"id":"wake","type":"next","payload":{}}"#)), Ok(Incoming::Next(_))));
        assert!(matches!(parse(text(r#"{"id":"wake","type":"complete"}"#)), Ok(Incoming::Complete)));
        assert!(matches!(parse(text("nope")), Err(SessionError::Protocol(_))));
        assert!(matches!(parse(None), Err(SessionError::Closed { code: 1006, .. })));
    }
}
