//! The channels' and notifications' configuration. Every real channel is off until its section
//! says `enabled: true`, and even then it is only built when its credentials are in the
//! environment: nothing reaches a real person because a default was left alone.

use serde::{Deserialize, Serialize};

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587). The default.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: allowed only towards a loopback host (a local relay or a test server).
    None,
}

/// Real email through an SMTP server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Off unless set: email reaches real people.
    pub enabled: bool,
    /// The server's host name (also the name its certificate must carry).
    pub host: String,
    /// 587 for STARTTLS, 465 for TLS.
    pub port: u16,
    /// Connection protection.
    pub tls: SmtpTls,
    /// A PEM file of extra certificate authorities to trust (an internal relay's private CA);
    /// empty for the public roots alone.
    pub tls_ca_file: String,
    /// The login name (not a secret; often the mailbox address).
    pub username: String,
    /// The NAME of the environment variable that holds the password, never the password.
    pub password_env: String,
    /// The sender of record's address.
    pub from_address: String,
    /// The sender of record's display name.
    pub from_name: String,
    /// Subject of messages whose draft has none (campaign templates carry only a body).
    pub default_subject: String,
    /// A connection or command slower than this fails as transient.
    pub timeout_seconds: u32,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            host: String::new(),
            port: 587,
            tls: SmtpTls::Starttls,
            tls_ca_file: String::new(),
            username: String::new(),
            password_env: "SMTP_PASSWORD".to_owned(),
            from_address: String::new(),
            from_name: String::new(),
            default_subject: "A quick note".to_owned(),
            timeout_seconds: 30,
        }
    }
}

/// A LinkedIn automation provider's HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// Off unless set: messages reach real people (and LinkedIn's user agreement forbids
    /// automated messaging; see DOMAIN.md).
    pub enabled: bool,
    /// The API root, e.g. `https://api.provider.example/v1`; `http` only towards loopback.
    pub base_url: String,
    /// The NAME of the environment variable that holds the bearer key.
    pub api_key_env: String,
    /// A request slower than this fails as transient.
    pub timeout_seconds: u32,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            base_url: String::new(),
            api_key_env: "LINKEDIN_PROVIDER_API_KEY".to_owned(),
            timeout_seconds: 30,
        }
    }
}

/// The sandbox channel: the sandbox world answers, nothing leaves the machine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxChannelConfig {
    /// Simulated seconds per real second: 1 is real time; 3600 lets a demo see a day of
    /// replies in 24 seconds.
    pub time_scale: f64,
}

impl Default for SandboxChannelConfig {
    fn default() -> Self {
        Self { time_scale: 1.0 }
    }
}

/// Every channel's settings; `outreach.channel` chooses the one that sends.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    /// The default channel.
    pub sandbox: SandboxChannelConfig,
    /// SMTP, for outreach by email and for email notifications.
    pub email: SmtpConfig,
    /// The LinkedIn automation provider.
    pub linkedin_provider: ProviderConfig,
}

/// Hot-lead notifications by webhook (chat tools, a CRM): a JSON POST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Off unless set.
    pub enabled: bool,
    /// The NAME of the environment variable that holds the URL: chat webhooks embed their
    /// token in the URL, so the URL is a secret.
    pub url_env: String,
    /// The NAME of the environment variable with a key to sign bodies with (HMAC-SHA256 in
    /// `X-ReachSpark-Signature`); empty for unsigned.
    pub secret_env: String,
    /// A request slower than this fails as transient.
    pub timeout_seconds: u32,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url_env: "REACHSPARK_NOTIFY_WEBHOOK_URL".to_owned(),
            secret_env: String::new(),
            timeout_seconds: 10,
        }
    }
}

/// Hot-lead notifications by email, through `channels.email`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyEmailConfig {
    /// Off unless set; needs `channels.email` enabled.
    pub enabled: bool,
    /// The people to tell.
    pub to: Vec<String>,
}

/// Telling people about hot leads (positive replies).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// JSON to a URL.
    pub webhook: WebhookConfig,
    /// An email to the team.
    pub email: NotifyEmailConfig,
    /// Put the lead's name, position and company in notifications; off by default, so a
    /// notification carries only ids and a link into the product.
    pub include_personal_data: bool,
}
