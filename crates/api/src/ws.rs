//! GraphQL over WebSocket on `/graphql`: graphql-transport-ws, and the legacy graphql-ws
//! (subscriptions-transport-ws) for older clients.
//!
//! A socket authenticates once, in `connection_init` (`{"authorization": "Bearer <jwt>"}` or
//! `{"token": "<jwt>"}`), and its subscriptions run with that principal. The close codes follow
//! graphql-transport-ws: 4403 when the token is refused, 4401 for a subscribe before the
//! handshake and when the token expires (the socket is closed then, with the same leeway the
//! HTTP path allows), 4408 when no `connection_init` comes within [`INIT_TIMEOUT`], 4400 for a
//! message that is not valid. The legacy protocol first gets a `connection_error` whose payload
//! carries `extensions.code = UNAUTHENTICATED`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_graphql::http::{WebSocket as GraphQLWebSocket, WebSocketProtocols, WsMessage};
use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{future, SinkExt, StreamExt};
use serde_json::json;
use tokio::time::Instant;

use crate::auth::{principal_from_connection_init, AuthError, Authenticator, LEEWAY_SECS};
use crate::graphql::ApiSchema;

/// How long a socket may stay open without a `connection_init`.
pub(crate) const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest message a client may send (a subscribe with its query and variables).
const MAX_CLIENT_MESSAGE: usize = 64 * 1024;
/// Later than any socket lives.
const FAR_FUTURE: Duration = Duration::from_secs(10 * 365 * 86_400);
/// Per-socket buffers: subscribers are many and their messages small.
const SOCKET_BUFFER: usize = 4 * 1024;

/// Whether the request asks to switch to WebSocket.
pub(crate) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The first sub-protocol the client offers that we speak.
fn requested_protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|name| name.trim().parse().ok())
}

/// Answers the upgrade and serves the socket; 400 when no known sub-protocol is offered.
pub(crate) fn upgrade(
    upgrade: WebSocketUpgrade,
    headers: &HeaderMap,
    schema: ApiSchema,
    auth: Option<Authenticator>,
) -> Response {
    let Some(protocol) = requested_protocol(headers) else {
        let why = "Sec-WebSocket-Protocol must offer graphql-transport-ws or graphql-ws";
        return (StatusCode::BAD_REQUEST, why).into_response();
    };
    upgrade
        .protocols([protocol.sec_websocket_protocol()])
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| serve(socket, protocol, schema, auth))
}

/// Where the handshake stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Admission {
    Waiting,
    /// Until `expires_at` (seconds since the Unix epoch).
    Admitted {
        expires_at: u64,
    },
    Refused(String),
}

async fn serve(socket: WebSocket, protocol: WebSocketProtocols, schema: ApiSchema, auth: Option<Authenticator>) {
    let _counted = crate::metrics::SubscriberGuard::connect();
    let admission = Arc::new(Mutex::new(Admission::Waiting));
    let (mut sink, stream) = socket.split();
    let input = stream.take_while(|message| future::ready(message.is_ok())).filter_map(|message| {
        future::ready(match message {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
            _ => None,
        })
    });
    let decided = Arc::clone(&admission);
    let mut messages = GraphQLWebSocket::new(schema, input, protocol).on_connection_init(move |payload| async move {
        let verdict = match &auth {
            Some(auth) => principal_from_connection_init(&payload, auth),
            None => Err(AuthError::InvalidClaims("this server has no token key configured".to_owned())),
        };
        let mut admission = decided.lock().unwrap_or_else(PoisonError::into_inner);
        match verdict {
            Ok(principal) => {
                *admission = Admission::Admitted { expires_at: principal.expires_at };
                let mut data = Data::default();
                data.insert(principal);
                Ok(data)
            }
            Err(err) => {
                *admission = Admission::Refused(err.to_string());
                Err(async_graphql::Error::new(err.to_string()))
            }
        }
    });

    let deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(deadline);
    let mut state = Admission::Waiting;
    loop {
        let outgoing = tokio::select! {
            message = messages.next() => message,
            () = &mut deadline => {
                for frame in ending(&state, protocol) {
                    if sink.send(frame).await.is_err() {
                        break;
                    }
                }
                return;
            }
        };
        let Some(outgoing) = outgoing else { break };
        if state == Admission::Waiting {
            state = admission.lock().unwrap_or_else(PoisonError::into_inner).clone();
            match &state {
                Admission::Admitted { expires_at } => deadline.as_mut().reset(expiry(*expires_at)),
                Admission::Refused(_) => deadline.as_mut().reset(Instant::now() + FAR_FUTURE),
                Admission::Waiting => {}
            }
        }
        let (frame, last) = translate(outgoing, &state, protocol);
        if sink.send(frame).await.is_err() || last {
            return;
        }
    }
    // The protocol ended the conversation (a refused legacy handshake, or the client left).
    let frame = match &state {
        Admission::Refused(why) => close(4403, &format!("Forbidden: {why}")),
        _ => close(1000, "bye"),
    };
    let _ = sink.send(frame).await;
}

/// When a token with `exp = expires_at` stops being accepted.
fn expiry(expires_at: u64) -> Instant {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let until = Duration::from_secs(expires_at.saturating_add(LEEWAY_SECS));
    // Capped, so that an absurd `exp` cannot overflow the clock.
    Instant::now() + until.saturating_sub(now).min(FAR_FUTURE)
}

/// What async-graphql says, in our close codes and error shape; `true` when it is the last.
fn translate(message: WsMessage, state: &Admission, protocol: WebSocketProtocols) -> (Message, bool) {
    match (message, state) {
        (WsMessage::Text(_), Admission::Refused(why)) if protocol == WebSocketProtocols::SubscriptionsTransportWS => {
            (legacy_error(why), false)
        }
        (WsMessage::Text(text), _) => (Message::Text(text.into()), false),
        (WsMessage::Close(_, _), Admission::Refused(why)) => (close(4403, &format!("Forbidden: {why}")), true),
        (WsMessage::Close(1011, _), Admission::Waiting) => (close(4401, "Unauthorized"), true),
        (WsMessage::Close(1002, reason), _) => (close(4400, &reason), true),
        (WsMessage::Close(code, reason), _) => (close(code, &reason), true),
    }
}

/// The frames that end a socket whose deadline passed.
fn ending(state: &Admission, protocol: WebSocketProtocols) -> Vec<Message> {
    match state {
        Admission::Waiting => vec![close(4408, "Connection initialisation timeout")],
        Admission::Admitted { .. } if protocol == WebSocketProtocols::SubscriptionsTransportWS => {
            vec![legacy_error(&AuthError::Expired.to_string()), close(4401, "Unauthorized: token expired")]
        }
        Admission::Admitted { .. } | Admission::Refused(_) => vec![close(4401, "Unauthorized: token expired")],
    }
}

/// The legacy protocol's `connection_error`, with the code every auth failure carries.
fn legacy_error(message: &str) -> Message {
    let error = json!({
        "type": "connection_error",
        "payload": { "message": message, "extensions": { "code": AuthError::CODE } },
    });
    Message::Text(error.to_string().into())
}

fn close(code: u16, reason: &str) -> Message {
    // A close frame's reason must fit in 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame { code, reason: reason[..end].into() }))
}
