//! A local server that speaks the OpenAI chat completions protocol on 127.0.0.1:0: canned
//! answers in protocol-correct responses, errors in OpenAI's error shape, a request count,
//! the request bodies for inspection, and a script of what to answer next.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The key the server accepts.
pub(crate) const KEY: &str = "sk-test-local-0123456789";
/// Tokens reported for every answer.
pub(crate) const PROMPT_TOKENS: u64 = 100;
pub(crate) const COMPLETION_TOKENS: u64 = 20;

/// What to answer one request with.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// 200 with this text as the assistant message's content.
    Content(String),
    /// An error status with OpenAI's error body.
    Status(u16),
    /// 200 whose body is JSON but not a chat completion.
    NotACompletion,
    /// Waits this long, then answers with the content.
    Slow(Duration, String),
}

#[derive(Debug)]
struct Script {
    next: VecDeque<Reply>,
    otherwise: Reply,
    bodies: Vec<Value>,
}

/// A running server; it stops with the test's runtime.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    /// Base URL, `http://127.0.0.1:PORT/v1`.
    pub(crate) url: String,
    script: Arc<Mutex<Script>>,
}

impl Server {
    /// Starts a server that answers `otherwise` unless told more.
    pub(crate) async fn start(otherwise: Reply) -> Self {
        let script = Arc::new(Mutex::new(Script { next: VecDeque::new(), otherwise, bodies: Vec::new() }));
        let app = Router::new().route("/v1/chat/completions", post(complete)).with_state(Arc::clone(&script));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
        let url = format!("http://{}/v1", listener.local_addr().expect("local address"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self { url, script }
    }

    /// Queues the answers to the next requests, in order.
    pub(crate) fn then(&self, replies: impl IntoIterator<Item = Reply>) {
        self.script.lock().unwrap().next.extend(replies);
    }

    /// What to answer once the queue is empty.
    pub(crate) fn otherwise(&self, reply: Reply) {
        self.script.lock().unwrap().otherwise = reply;
    }

    /// Requests received, with the right key or not.
    pub(crate) fn requests(&self) -> usize {
        self.script.lock().unwrap().bodies.len()
    }

    /// Their bodies, in order.
    pub(crate) fn bodies(&self) -> Vec<Value> {
        self.script.lock().unwrap().bodies.clone()
    }
}

fn error(status: u16) -> Response {
    let (kind, message) = match status {
        401 => ("invalid_request_error", "Incorrect API key provided: sk-wr***ng."),
        429 => ("rate_limit_error", "Rate limit reached for requests."),
        _ => ("server_error", "The server had an error while processing your request."),
    };
    let status = StatusCode::from_u16(status).expect("a status code");
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": null}});
    (status, Json(body)).into_response()
}

fn completion(model: &str, content: &str) -> Response {
    Json(json!({
        "id": "chatcmpl-local-1",
        "object": "chat.completion",
        "created": 1_790_000_000u32,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS
        }
    }))
    .into_response()
}

async fn complete(State(script): State<Arc<Mutex<Script>>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let model = body["model"].as_str().unwrap_or("unknown").to_owned();
    let authorised = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}"));
    let reply = {
        let mut script = script.lock().unwrap();
        script.bodies.push(body);
        if !authorised {
            return error(401);
        }
        let otherwise = script.otherwise.clone();
        script.next.pop_front().unwrap_or(otherwise)
    };
    match reply {
        Reply::Content(content) => completion(&model, &content),
        Reply::Status(status) => error(status),
        Reply::NotACompletion => Json(json!({"hello": "world"})).into_response(),
        Reply::Slow(wait, content) => {
            tokio::time::sleep(wait).await;
            completion(&model, &content)
        }
    }
}
