//! Channels: where Outreach's messages go and where replies come from.
//!
//! - [`SandboxLinkedIn`] — the default: the sandbox world answers from its hidden propensities,
//!   after a realistic delay on an injectable [`Clock`]. Nothing leaves the machine.
//! - [`Smtp`] — real email (lettre, rustls).
//! - [`ProviderHttp`] — a LinkedIn automation provider's HTTP API.
//!
//! Sending is never on by accident: [`build`] makes a real channel only when
//! `outreach.channel` names it, its section says `enabled: true`, and its secret is in the
//! environment. Errors say whether a retry can help ([`FailureKind`]) with a short code, never
//! the provider's text, which may echo an address.

mod clock;
mod http;
mod provider;
mod sandbox;
mod smtp;

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reachspark_domain::lead::{FailureKind, Step};
use uuid::Uuid;

pub use clock::{Clock, ManualClock, ScaledClock, SystemClock};
pub use provider::ProviderHttp;
pub use sandbox::SandboxLinkedIn;
pub use smtp::{Email, Smtp};

pub(crate) use http::{client as http_client, request_error as http_request_error, status_error as http_status_error};

use crate::config::{AgentsConfig, ChannelKind, ConfigError};
use crate::sandbox::World;

/// A message ready to go out, as the lead's record and the draft have it.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Our id of the message; channels use it as the idempotency key, so sending it twice
    /// delivers it once where the channel allows.
    pub message_id: Uuid,
    /// The address: an email address or a profile URL (personal data).
    pub to: String,
    /// The recipient's name, for the email `To:` header; may be blank (personal data).
    pub recipient_name: String,
    /// Email subject; channels without subjects ignore it.
    pub subject: Option<String>,
    /// The text, compliance blocks included (personal data).
    pub body: String,
    /// The template the text came from: the sandbox's people answer according to it.
    pub template_id: String,
    /// First contact or which follow-up.
    pub step: Step,
}

/// Redacts the personal data, so a message logged with `{:?}` leaks nothing.
impl fmt::Debug for OutgoingMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMessage")
            .field("message_id", &self.message_id)
            .field("template_id", &self.template_id)
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}

/// What a channel says when it accepted a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The provider's id of the message (an email's `Message-ID`), recorded in `MessageSent`
    /// and matched against replies.
    pub provider_message_id: String,
}

/// A reply read from a channel.
#[derive(Clone, PartialEq, Eq)]
pub struct IncomingReply {
    /// The provider's id of the reply itself: recording it twice must be a no-op.
    pub reply_id: String,
    /// The provider id of the message answered, when the provider says.
    pub provider_message_id: Option<String>,
    /// The conversation, when the provider has threads instead of message ids.
    pub thread_ref: Option<String>,
    /// What the person wrote (personal data).
    pub text: String,
    /// When the reply arrived.
    pub received_at: DateTime<Utc>,
}

/// Redacts the text.
impl fmt::Debug for IncomingReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingReply")
            .field("reply_id", &self.reply_id)
            .field("provider_message_id", &self.provider_message_id)
            .field("thread_ref", &self.thread_ref)
            .field("received_at", &self.received_at)
            .finish_non_exhaustive()
    }
}

/// A send or poll that failed, with whether retrying can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?} channel failure: {code}")]
pub struct SendError {
    /// Transient (retry later) or permanent (give up on this message).
    pub kind: FailureKind,
    /// A short code such as `smtp_550`, `http_429`, `timeout`, `connect`: safe to record in
    /// `MessageSendFailed` and to log.
    pub code: String,
}

impl SendError {
    /// Retrying later can help.
    pub fn transient(code: impl Into<String>) -> Self {
        Self { kind: FailureKind::Transient, code: code.into() }
    }

    /// Retrying will not help.
    pub fn permanent(code: impl Into<String>) -> Self {
        Self { kind: FailureKind::Permanent, code: code.into() }
    }
}

/// Where messages go. Implementations are cheap to share (`Arc<dyn Channel>`).
#[async_trait::async_trait]
pub trait Channel: Send + Sync + fmt::Debug {
    /// Which kind of channel this is.
    fn kind(&self) -> ChannelKind;

    /// Hands the message to the provider.
    async fn send(&self, message: &OutgoingMessage) -> Result<SendReceipt, SendError>;

    /// Replies received after `since` (exclusive) and up to now, oldest first.
    async fn poll_replies(&self, since: DateTime<Utc>) -> Result<Vec<IncomingReply>, SendError>;
}

/// The channel `outreach.channel` chooses. The sandbox answers from `world` on `clock`; a
/// real channel is built only when enabled and its secret is in the environment.
pub fn build(config: &AgentsConfig, world: Arc<World>, clock: Arc<dyn Clock>) -> Result<Arc<dyn Channel>, ConfigError> {
    Ok(match config.outreach.channel {
        ChannelKind::Sandbox => Arc::new(SandboxLinkedIn::new(world, clock)),
        ChannelKind::Email => Arc::new(Smtp::from_config(&config.channels.email)?),
        ChannelKind::LinkedinProvider => Arc::new(ProviderHttp::from_config(&config.channels.linkedin_provider)?),
    })
}

/// The clock `channels.sandbox.time_scale` asks for: real time, or simulated time starting now.
pub fn sandbox_clock(config: &AgentsConfig) -> Arc<dyn Clock> {
    let scale = config.channels.sandbox.time_scale;
    if (scale - 1.0).abs() < f64::EPSILON {
        Arc::new(SystemClock)
    } else {
        Arc::new(ScaledClock::starting_now(scale))
    }
}

#[cfg(test)]
mod tests;
