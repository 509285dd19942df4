//! Real email through an SMTP server, with lettre over tokio and rustls.
//!
//! The `Message-ID` is made from our message id, so the provider id is known before the server
//! answers and a resend carries the same id (receivers and threads treat it as one message).
//! SMTP only sends: reading replies needs IMAP or the provider's inbound hook, which this
//! channel does not have, so its [`Channel::poll_replies`] returns nothing.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::{Channel, IncomingReply, OutgoingMessage, SendError, SendReceipt};
use crate::config::{is_loopback_host, secret_from_env, ChannelKind, ConfigError, SmtpConfig, SmtpTls};

/// One email: a prospect's message or a notification to the team.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    /// Our id; becomes the `Message-ID`.
    pub id: Uuid,
    /// The recipient's address (personal data).
    pub to: String,
    /// The recipient's name, or blank (personal data).
    pub to_name: String,
    /// The subject.
    pub subject: String,
    /// Plain text (personal data).
    pub body: String,
}

/// Redacts everything but the id.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The SMTP channel.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The sender's domain, for `Message-ID`s.
    domain: String,
    default_subject: String,
    host: String,
}

/// Shows the server, never the credentials lettre holds.
impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smtp").field("host", &self.host).finish_non_exhaustive()
    }
}

fn invalid(field: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid { field: format!("channels.email.{field}"), reason: reason.to_owned() }
}

/// 530, 534, 535, 538: our login was refused. Retrying will work once someone fixes the
/// account, so the message is not given up.
fn is_auth_code(code: &str) -> bool {
    matches!(code, "530" | "534" | "535" | "538")
}

/// A handshake that failed (an untrusted or wrong certificate) reaches us as a connection
/// error around an I/O error of kind `InvalidData`.
fn is_tls_failure(e: &lettre::transport::smtp::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if err.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData) {
            return true;
        }
        source = err.source();
    }
    false
}

fn smtp_error(e: &lettre::transport::smtp::Error) -> SendError {
    if let Some(code) = e.status().map(|c| c.to_string()) {
        if is_auth_code(&code) {
            return SendError::transient(format!("smtp_auth_{code}"));
        }
        return if e.is_permanent() {
            SendError::permanent(format!("smtp_{code}"))
        } else {
            SendError::transient(format!("smtp_{code}"))
        };
    }
    let code = if e.is_timeout() {
        "timeout"
    } else if e.is_tls() || is_tls_failure(e) {
        "tls"
    } else if e.is_client() {
        "smtp_client"
    } else {
        "connect"
    };
    SendError::transient(code)
}

/// TLS towards `config.host`, trusting the public roots and the CAs in `tls_ca_file`.
fn tls_parameters(config: &SmtpConfig) -> Result<TlsParameters, ConfigError> {
    let mut builder = TlsParameters::builder(config.host.clone());
    if !config.tls_ca_file.trim().is_empty() {
        let pem = std::fs::read(config.tls_ca_file.trim()).map_err(|_| invalid("tls_ca_file", "cannot be read"))?;
        let cert = Certificate::from_pem(&pem).map_err(|_| invalid("tls_ca_file", "is not a PEM certificate"))?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|_| invalid("host", "unusable for TLS"))
}

impl Smtp {
    /// The channel `config` describes: only when enabled, with the password in the environment.
    pub fn from_config(config: &SmtpConfig) -> Result<Self, ConfigError> {
        if !config.enabled {
            return Err(ConfigError::NotEnabled { section: "channels.email".to_owned() });
        }
        if config.host.trim().is_empty() {
            return Err(invalid("host", "is required"));
        }
        if config.tls == SmtpTls::None && !is_loopback_host(&config.host) {
            return Err(invalid("tls", "none is allowed only towards localhost"));
        }
        if config.username.trim().is_empty() {
            return Err(invalid("username", "is required: real channels need credentials"));
        }
        let password = secret_from_env("channels.email.password_env", &config.password_env)?;
        let address: Address = config.from_address.parse().map_err(|_| invalid("from_address", "not an address"))?;
        let name = Some(config.from_name.trim().to_owned()).filter(|n| !n.is_empty());
        let domain = address.domain().to_owned();
        let tls_params = || tls_parameters(config);
        let tls = match config.tls {
            SmtpTls::Starttls => Tls::Required(tls_params()?),
            SmtpTls::Tls => Tls::Wrapper(tls_params()?),
            SmtpTls::None => Tls::None,
        };
        let credentials = Credentials::new(config.username.clone(), password.expose_secret().to_owned());
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
            .port(config.port)
            .tls(tls)
            .credentials(credentials)
            .hello_name(ClientId::Domain(domain.clone()))
            .timeout(Some(Duration::from_secs(u64::from(config.timeout_seconds.max(1)))))
            .build();
        Ok(Self {
            transport,
            from: Mailbox::new(name, address),
            domain,
            default_subject: config.default_subject.clone(),
            host: config.host.clone(),
        })
    }

    /// The `Message-ID` an email with our id `id` carries.
    pub fn message_id(&self, id: Uuid) -> String {
        format!("<{id}@{}>", self.domain)
    }

    /// Sends one email; the receipt's id is its `Message-ID`.
    pub async fn send_email(&self, email: &Email) -> Result<SendReceipt, SendError> {
        let address: Address = email.to.trim().parse().map_err(|_| SendError::permanent("invalid_address"))?;
        let name = Some(email.to_name.trim().to_owned()).filter(|n| !n.is_empty());
        let message_id = self.message_id(email.id);
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .subject(email.subject.clone())
            .message_id(Some(message_id.clone()))
            .singlepart(SinglePart::plain(email.body.clone()))
            .map_err(|_| SendError::permanent("bad_message"))?;
        self.transport.send(message).await.map_err(|e| smtp_error(&e))?;
        Ok(SendReceipt { provider_message_id: message_id })
    }
}

#[async_trait::async_trait]
impl Channel for Smtp {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let subject = message.subject.clone().filter(|s| !s.trim().is_empty());
        self.send_email(&Email {
            id: message.message_id,
            to: message.to.clone(),
            to_name: message.recipient_name.clone(),
            subject: subject.unwrap_or_else(|| self.default_subject.clone()),
            body: message.body.clone(),
        })
        .await
    }

    /// SMTP cannot read a mailbox; see the module docs.
    async fn poll_replies(&self, _since: DateTime<Utc>) -> Result<Vec<IncomingReply>, SendError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::is_auth_code;

    #[test]
    fn auth_refusals_are_recognised() {
        assert!(is_auth_code("535") && is_auth_code("530"));
        assert!(!is_auth_code("550") && !is_auth_code("451"));
    }
}
