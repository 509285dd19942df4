//! Notices as JSON POSTs. The body is `{"event": "hot_lead", ...notice}` (or
//! `performance_alert`, `daily_report` for the Sales Manager's escalations); with a
//! secret configured, `X-ReachSpark-Signature: sha256=<hex HMAC-SHA256 of the body>` lets the
//! receiver check that the notice came from us. `Idempotency-Key` is the notice id.

use hmac::{Hmac, Mac};
use reqwest::header::CONTENT_TYPE;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::Sha256;
use uuid::Uuid;

use super::HotLeadNotice;
use crate::channels::SendError;
use crate::config::{is_loopback_host, secret_from_env, ConfigError, WebhookConfig};

/// The header that carries the body's signature.
pub const SIGNATURE_HEADER: &str = "X-ReachSpark-Signature";

/// `sha256=` and the hex HMAC-SHA256 of `body` under `key`: what a receiver recomputes.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Serialize)]
struct Payload<'a, T> {
    event: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

/// A webhook target. Its URL is a secret (chat webhooks embed their token in it) and is never
/// shown by `Debug` or logged.
#[derive(Debug)]
pub struct Webhook {
    client: reqwest::Client,
    url: SecretString,
    secret: Option<SecretString>,
}

fn invalid(field: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid { field: format!("notify.webhook.{field}"), reason: reason.to_owned() }
}

impl Webhook {
    /// The webhook `config` describes: only when enabled, with its URL (and secret, if named)
    /// in the environment.
    pub fn from_config(config: &WebhookConfig) -> Result<Self, ConfigError> {
        if !config.enabled {
            return Err(ConfigError::NotEnabled { section: "notify.webhook".to_owned() });
        }
        let url = secret_from_env("notify.webhook.url_env", &config.url_env)?;
        let secret = if config.secret_env.is_empty() {
            None
        } else {
            Some(secret_from_env("notify.webhook.secret_env", &config.secret_env)?)
        };
        Self::new(url, secret, config.timeout_seconds)
    }

    /// A webhook to `url`, signing with `secret` when given. `https`, or `http` to this machine.
    pub fn new(url: SecretString, secret: Option<SecretString>, timeout_seconds: u32) -> Result<Self, ConfigError> {
        let parsed = url::Url::parse(url.expose_secret()).map_err(|_| invalid("url_env", "must hold a URL"))?;
        match (parsed.scheme(), parsed.host_str()) {
            ("https", Some(_)) => {}
            ("http", Some(host)) if is_loopback_host(host) => {}
            _ => return Err(invalid("url_env", "must hold an https URL (http only towards localhost)")),
        }
        let client = crate::channels::http_client(timeout_seconds.max(1))
            .map_err(|_| invalid("url_env", "cannot build an HTTP client"))?;
        Ok(Self { client, url, secret })
    }

    /// POSTs the notice.
    pub async fn post(&self, notice: &HotLeadNotice) -> Result<(), SendError> {
        self.post_event("hot_lead", notice.notice_id, notice).await
    }

    /// POSTs `{"event": event, ...body}` with `id` as its `Idempotency-Key`.
    pub async fn post_event<T: Serialize + Sync>(&self, event: &str, id: Uuid, body: &T) -> Result<(), SendError> {
        let body = serde_json::to_vec(&Payload { event, body }).map_err(|_| SendError::permanent("encode"))?;
        let mut request = self
            .client
            .post(self.url.expose_secret())
            .header(CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", id.to_string())
            .header("X-ReachSpark-Event", event);
        if let Some(secret) = &self.secret {
            request = request.header(SIGNATURE_HEADER, signature(secret.expose_secret().as_bytes(), &body));
        }
        let response = request.body(body).send().await.map_err(|e| crate::channels::http_request_error(&e))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(crate::channels::http_status_error(response.status()))
        }
    }
}
