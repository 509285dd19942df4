//! A LinkedIn automation provider behind a small HTTP contract:
//!
//! - `POST {base}/messages` with `Authorization: Bearer <key>` and `Idempotency-Key: <our
//!   message id>`, body `{"recipient_profile_url", "text", "client_reference"}` → `{"id"}`.
//! - `GET {base}/replies?since=<RFC 3339>` → `{"replies": [{"id", "message_id", "thread_id",
//!   "text", "received_at"}]}`.
//!
//! Vendors differ; a thin shim in front of one maps it to this contract, so the agents keep one
//! adapter. 408/425/429/5xx and network trouble are transient; other 4xx are permanent.

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::http::{client, request_error, status_error};
use super::{Channel, IncomingReply, OutgoingMessage, SendError, SendReceipt};
use crate::config::{is_loopback_host, secret_from_env, ChannelKind, ConfigError, ProviderConfig};

/// The provider adapter.
#[derive(Debug)]
pub struct ProviderHttp {
    client: reqwest::Client,
    /// The API root, ending in `/` so that joins append.
    base: url::Url,
    key: SecretString,
}

#[derive(Serialize)]
struct NewMessage<'a> {
    recipient_profile_url: &'a str,
    text: &'a str,
    client_reference: String,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct Replies {
    replies: Vec<Reply>,
}

#[derive(Deserialize)]
struct Reply {
    id: String,
    message_id: Option<String>,
    thread_id: Option<String>,
    text: String,
    received_at: DateTime<Utc>,
}

fn not_valid(reason: &str) -> ConfigError {
    ConfigError::Invalid { field: "channels.linkedin_provider.base_url".to_owned(), reason: reason.to_owned() }
}

impl ProviderHttp {
    /// The adapter `config` describes: only when enabled, with the key in the environment.
    pub fn from_config(config: &ProviderConfig) -> Result<Self, ConfigError> {
        if !config.enabled {
            return Err(ConfigError::NotEnabled { section: "channels.linkedin_provider".to_owned() });
        }
        let mut base = url::Url::parse(&config.base_url).map_err(|_| not_valid("must be an http(s) URL"))?;
        match (base.scheme(), base.host_str()) {
            ("https", Some(_)) => {}
            ("http", Some(host)) if is_loopback_host(host) => {}
            _ => return Err(not_valid("must be https (http only towards localhost)")),
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let key = secret_from_env("channels.linkedin_provider.api_key_env", &config.api_key_env)?;
        let client = client(config.timeout_seconds.max(1)).map_err(|_| not_valid("cannot build an HTTP client"))?;
        Ok(Self { client, base, key })
    }

    fn bearer(&self) -> Result<HeaderValue, SendError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.key.expose_secret()))
            .map_err(|_| SendError::permanent("bad_api_key"))?;
        value.set_sensitive(true);
        Ok(value)
    }

    fn endpoint(&self, path: &str) -> Result<url::Url, SendError> {
        self.base.join(path).map_err(|_| SendError::permanent("bad_url"))
    }
}

#[async_trait::async_trait]
impl Channel for ProviderHttp {
    fn kind(&self) -> ChannelKind {
        ChannelKind::LinkedinProvider
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let body = NewMessage {
            recipient_profile_url: &message.to,
            text: &message.body,
            client_reference: message.message_id.to_string(),
        };
        let response = self
            .client
            .post(self.endpoint("messages")?)
            .header(AUTHORIZATION, self.bearer()?)
            .header("Idempotency-Key", message.message_id.to_string())
            .json(&body)
            .send()
            .await
            .map_err(|e| request_error(&e))?;
        if !response.status().is_success() {
            return Err(status_error(response.status()));
        }
        let created: Created = response.json().await.map_err(|e| request_error(&e))?;
        if created.id.trim().is_empty() {
            return Err(SendError::transient("bad_response"));
        }
        Ok(SendReceipt { provider_message_id: created.id })
    }

    async fn poll_replies(&self, since: DateTime<Utc>) -> Result<Vec<IncomingReply>, SendError> {
        let mut url = self.endpoint("replies")?;
        url.query_pairs_mut().append_pair("since", &since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let response =
            self.client.get(url).header(AUTHORIZATION, self.bearer()?).send().await.map_err(|e| request_error(&e))?;
        if !response.status().is_success() {
            return Err(status_error(response.status()));
        }
        let body: Replies = response.json().await.map_err(|e| request_error(&e))?;
        let mut replies: Vec<IncomingReply> = body
            .replies
            .into_iter()
            // A provider whose `since` is inclusive must not hand the last reply over twice.
            .filter(|r| r.received_at > since)
            .map(|r| IncomingReply {
                reply_id: r.id,
                provider_message_id: r.message_id,
                thread_ref: r.thread_id,
                text: r.text,
                received_at: r.received_at,
            })
            .collect();
        replies.sort_by(|a, b| (a.received_at, &a.reply_id).cmp(&(b.received_at, &b.reply_id)));
        Ok(replies)
    }
}
