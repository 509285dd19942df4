//! The bench's subscribers: bare graphql-transport-ws clients that note when each event
//! arrives. Deliberately thin (the position is read without parsing the whole message) so the
//! load generator takes as little of the shared CPU as it can.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async_with_config, MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const QUERY: &str = "subscription($from: String, $id: ID) {
    events(fromPosition: $from, filter: { streamId: $id }) { cursor position eventType payload } }";

/// What one subscriber saw.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// Each event's position and when it arrived.
    pub(super) deliveries: Vec<(i64, Instant)>,
    /// Messages that were not results (errors, unexpected frames, a closed socket).
    pub(super) problems: usize,
}

/// Opens a socket, authenticates and subscribes to `events` after `from`, on one stream or
/// (`None`) on all of them.
pub(super) async fn connect(address: &str, token: &str, from: &str, stream: Option<Uuid>) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{address}/graphql").into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024).write_buffer_size(0);
    let (mut socket, _) = connect_async_with_config(request, Some(config), true).await.context("connecting")?;
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await?;
    let ack = tokio::time::timeout(Duration::from_secs(60), socket.next())
        .await
        .context("no connection_ack within 60 s")?
        .context("closed before connection_ack")??;
    anyhow::ensure!(ack.to_text()?.contains("connection_ack"), "not acknowledged: {ack}");
    let subscribe = json!({
        "type": "subscribe", "id": "1",
        "payload": { "query": QUERY, "variables": { "from": from, "id": stream } },
    });
    socket.send(Message::text(subscribe.to_string())).await?;
    Ok(socket)
}

/// Notes every result until `stop`.
pub(super) async fn listen(mut socket: Socket, stop: CancellationToken) -> Seen {
    let mut seen = Seen::default();
    loop {
        let message = tokio::select! {
            message = socket.next() => message,
            () = stop.cancelled() => break,
        };
        let at = Instant::now();
        match message {
            Some(Ok(Message::Text(text))) => match position(&text) {
                Some(position) if text.starts_with(r#"{"type":"next""#) => seen.deliveries.push((position, at)),
                _ => seen.problems += 1,
            },
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(_) | Err(_)) | None => {
                seen.problems += 1;
                break;
            }
        }
    }
    let _ = socket.close(None).await;
    seen
}

/// The number after `"position":`.
fn position(text: &str) -> Option<i64> {
    let start = text.find(r#""position":"#)? + r#""position":"#.len();
    let digits: &str = &text[start..];
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    digits[..end].parse().ok()
}
