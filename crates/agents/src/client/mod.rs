//! The agents' GraphQL client: typed operations over HTTP with the agent's own bearer token.
//!
//! Why `graphql_client` (and not `cynic`): our operations are written as plain `.graphql`
//! documents (readable by operators and reusable in GraphiQL) and the derive checks each of
//! them against the checked-in `schema.graphql`; cynic would have us mirror the schema in Rust
//! structs. HTTP is plain reqwest so that timeouts and error mapping stay ours.
//!
//! Errors are sorted by what a caller can do about them ([`ClientError::class`]): retry later
//! (network, `RATE_LIMITED`, `INTERNAL`, `CONFLICT` on a concurrent write), give up on this item
//! (`VALIDATION`, `NOT_FOUND`, `FORBIDDEN`: the domain refused, see `Rejected`), or stop
//! (`UNAUTHENTICATED`: the token is wrong, every item would fail).

pub mod ops;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use graphql_client::{GraphQLQuery, QueryBody, Response};
use secrecy::{ExposeSecret, SecretString};

/// What a failure means for the item being processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Retrying later can help (network, rate limit, server error, concurrent write).
    Transient,
    /// The command was refused on its merits: retrying the same command will not help.
    Rejected,
    /// Nothing this agent can fix by retrying (bad token, unexpected answer).
    Permanent,
}

/// A failed GraphQL call. Never carries personal data: only codes and short reasons.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The request did not complete (connect, timeout, body).
    #[error("network: {0}")]
    Network(String),
    /// The server answered with an HTTP status and no GraphQL body we could read.
    #[error("http status {0}")]
    Status(u16),
    /// The server answered with GraphQL errors; `code` is `extensions.code`.
    #[error("graphql {code}: {reason}")]
    Graphql {
        /// `VALIDATION`, `CONFLICT`, ...
        code: String,
        /// `extensions.reason` when the server gave one, else the message.
        reason: String,
    },
    /// An answer without data.
    #[error("empty answer")]
    Empty,
}

impl ClientError {
    /// How the runtime should treat it.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Network(_) => ErrorClass::Transient,
            Self::Status(s) if *s == 429 || *s >= 500 => ErrorClass::Transient,
            Self::Status(_) | Self::Empty => ErrorClass::Permanent,
            Self::Graphql { code, .. } => match code.as_str() {
                "RATE_LIMITED" | "INTERNAL" | "CONFLICT" => ErrorClass::Transient,
                "VALIDATION" | "NOT_FOUND" | "FORBIDDEN" => ErrorClass::Rejected,
                _ => ErrorClass::Permanent,
            },
        }
    }

    /// A short code for `raiseAgentError` contexts and logs.
    pub fn code(&self) -> String {
        match self {
            Self::Network(_) => "network".to_owned(),
            Self::Status(s) => format!("http_{s}"),
            Self::Graphql { code, .. } => code.clone(),
            Self::Empty => "empty".to_owned(),
        }
    }
}

/// Where an agent's bearer token comes from: a fixed one (from the environment), or one minted
/// and renewed before it expires (by whoever holds the signing secret: the binary, not this
/// crate). Asked before every request and every WebSocket connection.
pub trait Tokens: Send + Sync + fmt::Debug {
    /// A token valid now.
    fn token(&self) -> SecretString;
}

/// A token that never changes.
#[derive(Clone)]
pub struct FixedToken(pub SecretString);

/// Keeps the token out of `{:?}`.
impl fmt::Debug for FixedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FixedToken(..)")
    }
}

impl Tokens for FixedToken {
    fn token(&self) -> SecretString {
        self.0.clone()
    }
}

/// A GraphQL endpoint and the token an agent speaks with.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    url: String,
    tokens: Arc<dyn Tokens>,
}

/// Keeps the token out of `{:?}`.
impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient").field("url", &self.url).finish_non_exhaustive()
    }
}

impl ApiClient {
    /// A client for `base` (e.g. `http://127.0.0.1:8080`; `/graphql` is appended unless present).
    pub fn new(base: &str, token: SecretString) -> Result<Self, ClientError> {
        Self::with_tokens(base, Arc::new(FixedToken(token)))
    }

    /// Like [`ApiClient::new`], asking `tokens` for the token of each request.
    pub fn with_tokens(base: &str, tokens: Arc<dyn Tokens>) -> Result<Self, ClientError> {
        let trimmed = base.trim_end_matches('/');
        let url = if trimmed.ends_with("/graphql") { trimmed.to_owned() } else { format!("{trimmed}/graphql") };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| ClientError::Network(e.to_string()))?;
        Ok(Self { http, url, tokens })
    }

    /// The GraphQL endpoint (`http(s)://…/graphql`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A token valid now.
    pub fn token(&self) -> SecretString {
        self.tokens.token()
    }

    /// Runs one typed operation.
    pub async fn run<Q: GraphQLQuery>(&self, variables: Q::Variables) -> Result<Q::ResponseData, ClientError> {
        let body: QueryBody<Q::Variables> = Q::build_query(variables);
        let mut throttled = 0;
        loop {
            let response = self
                .http
                .post(&self.url)
                .bearer_auth(self.tokens.token().expose_secret())
                .json(&body)
                .send()
                .await
                .map_err(|e| ClientError::Network(without_url(&e)))?;
            let status = response.status().as_u16();
            // Over the per-token rate limit: wait as told and ask again (nothing was done).
            if status == 429 && throttled < MAX_THROTTLED {
                throttled += 1;
                let wait = retry_after(response.headers());
                tracing::debug!(wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "rate limited; waiting");
                tokio::time::sleep(wait).await;
                continue;
            }
            let answer: Response<Q::ResponseData> = match response.json().await {
                Ok(answer) => answer,
                Err(_) => return Err(ClientError::Status(status)),
            };
            if let Some(error) = answer.errors.as_ref().and_then(|errors| errors.first()) {
                let extension = |key: &str| {
                    error.extensions.as_ref().and_then(|x| x.get(key)).and_then(|v| v.as_str()).map(str::to_owned)
                };
                let code = extension("code").unwrap_or_else(|| "UNKNOWN".to_owned());
                let reason = extension("reason").unwrap_or_else(|| error.message.clone());
                return Err(ClientError::Graphql { code, reason });
            }
            return answer.data.ok_or(ClientError::Empty);
        }
    }
}

/// How many times in a row a request waits out the rate limit before the 429 is an error.
const MAX_THROTTLED: u32 = 20;

/// The wait a 429 asks for (`Retry-After` in seconds), at least 50 ms and at most 30 s.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    let secs = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(1.0);
    Duration::from_secs_f64(secs.clamp(0.05, 30.0))
}

/// reqwest's message without the URL (ours, but keep logs short and uniform).
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".to_owned()
    } else if e.is_connect() {
        "connect".to_owned()
    } else {
        "request".to_owned()
    }
}
