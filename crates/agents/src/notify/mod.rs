//! Hot-lead notifications: when a reply shows interest, the people behind the campaign hear
//! about it at once, by webhook (chat tools, a CRM) and by email through the SMTP channel.
//!
//! The Sales Manager escalates its performance alerts and the daily report's summary through
//! the same targets ([`Escalation`]): counts, rates and ids only.
//!
//! A notice carries ids, the reply's intent and score, and a link into the product. The lead's
//! name, position and company go in only when `notify.include_personal_data` is set. Logs get
//! ids, targets and error codes, never the person, the addresses or the webhook URL.

mod email;
mod escalation;
mod webhook;

use std::fmt;
use std::sync::Arc;

use reachspark_domain::lead::{Intent, Sentiment};
use serde::Serialize;
use uuid::Uuid;

pub use email::EmailNotify;
pub use escalation::{Escalation, EscalationKind};
pub use webhook::{signature, Webhook, SIGNATURE_HEADER};

use crate::channels::{SendError, Smtp};
use crate::config::{AgentsConfig, ConfigError};

/// Whether a reply analysed as `intent` with `sentiment` deserves a person's attention now.
pub fn is_hot(intent: Intent, sentiment: Sentiment) -> bool {
    match intent {
        Intent::Interested => true,
        Intent::InfoRequest => sentiment == Sentiment::Positive,
        Intent::NotInterested | Intent::OptOut | Intent::OutOfOffice => false,
    }
}

/// Who the lead is, for notifications that may carry personal data.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct NoticePerson {
    /// Full name.
    pub name: String,
    /// Job title.
    pub position: String,
    /// Employer.
    pub company: String,
}

/// Redacted: a notice logged with `{:?}` must not name the person.
impl fmt::Debug for NoticePerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NoticePerson(..)")
    }
}

/// A lead that replied with interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HotLeadNotice {
    /// Idempotency key: receivers drop a notice they have seen (derive it from the reply).
    pub notice_id: Uuid,
    /// The lead.
    pub lead_id: Uuid,
    /// Its campaign, when known.
    pub campaign_id: Option<Uuid>,
    /// What the reply wants.
    pub intent: Intent,
    /// Its tone.
    pub sentiment: Sentiment,
    /// The lead's quality score, 1–10, when scored.
    pub score: Option<u8>,
    /// Where a person opens the lead in the product.
    pub link: Option<String>,
    /// Sent only when `notify.include_personal_data` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<NoticePerson>,
}

impl HotLeadNotice {
    /// The notice as it may leave: without the person unless personal data is allowed.
    fn outgoing(&self, include_personal_data: bool) -> Self {
        let mut notice = self.clone();
        if !include_personal_data {
            notice.person = None;
        }
        notice
    }
}

/// Where a notice went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The webhook.
    Webhook,
    /// The `index`-th address of `notify.email.to` (the index, not the address, is logged).
    Email {
        /// Position in the configured list.
        index: usize,
    },
}

/// The outcome of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Where.
    pub target: Target,
    /// Delivered, or why not (transient failures are worth a retry with the same notice id).
    pub result: Result<(), SendError>,
}

/// Sends hot-lead notices to every configured target.
#[derive(Debug, Default)]
pub struct HotLeadNotifier {
    webhook: Option<Webhook>,
    email: Option<EmailNotify>,
    include_personal_data: bool,
}

impl HotLeadNotifier {
    /// The targets `config.notify` enables; each needs its secrets in the environment. Email
    /// goes through an SMTP channel built from `config.channels.email`.
    pub fn from_config(config: &AgentsConfig) -> Result<Self, ConfigError> {
        let n = &config.notify;
        let webhook = if n.webhook.enabled { Some(Webhook::from_config(&n.webhook)?) } else { None };
        let email = if n.email.enabled {
            let smtp = Arc::new(Smtp::from_config(&config.channels.email)?);
            Some(EmailNotify::new(smtp, n.email.to.clone()))
        } else {
            None
        };
        Ok(Self { webhook, email, include_personal_data: n.include_personal_data })
    }

    /// A notifier over targets built by the caller.
    pub fn new(webhook: Option<Webhook>, email: Option<EmailNotify>, include_personal_data: bool) -> Self {
        Self { webhook, email, include_personal_data }
    }

    /// Whether any target is configured.
    pub fn is_active(&self) -> bool {
        self.webhook.is_some() || self.email.is_some()
    }

    /// Delivers `notice` to every target; one failing does not stop the others.
    pub async fn notify(&self, notice: &HotLeadNotice) -> Vec<Delivery> {
        let notice = notice.outgoing(self.include_personal_data);
        let mut deliveries = Vec::new();
        if let Some(webhook) = &self.webhook {
            deliveries.push(Delivery { target: Target::Webhook, result: webhook.post(&notice).await });
        }
        if let Some(email) = &self.email {
            deliveries.extend(email.send(&notice).await);
        }
        for d in &deliveries {
            match &d.result {
                Ok(()) => tracing::info!(lead_id = %notice.lead_id, target = ?d.target, "hot lead notified"),
                Err(e) => tracing::warn!(
                    lead_id = %notice.lead_id, target = ?d.target, kind = ?e.kind, code = %e.code,
                    "hot lead notification failed"
                ),
            }
        }
        deliveries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interest_is_hot_and_refusals_are_not() {
        assert!(is_hot(Intent::Interested, Sentiment::Neutral));
        assert!(is_hot(Intent::InfoRequest, Sentiment::Positive));
        assert!(!is_hot(Intent::InfoRequest, Sentiment::Neutral));
        for intent in [Intent::NotInterested, Intent::OptOut, Intent::OutOfOffice] {
            assert!(!is_hot(intent, Sentiment::Positive));
        }
    }

    #[test]
    fn the_person_leaves_only_when_allowed_and_never_reaches_debug_output() {
        let notice = HotLeadNotice {
            notice_id: Uuid::from_u128(1),
            lead_id: Uuid::from_u128(2),
            campaign_id: None,
            intent: Intent::Interested,
            sentiment: Sentiment::Positive,
            score: Some(8),
            link: None,
            person: Some(NoticePerson { name: "Ada Lovelace".into(), position: "CTO".into(), company: "X".into() }),
        };
        assert!(!format!("{notice:?}").contains("Ada"));
        assert_eq!(notice.outgoing(false).person, None);
        assert_eq!(notice.outgoing(true), notice);
        assert!(!HotLeadNotifier::default().is_active());
    }

    #[test]
    fn a_webhook_needs_an_encrypted_url_and_never_shows_it() {
        use secrecy::SecretString;
        let clear = Webhook::new(SecretString::from("http://hooks.example/T0K3N"), None, 5);
        assert!(matches!(clear, Err(ConfigError::Invalid { ref field, .. }) if field == "notify.webhook.url_env"));
        let hook = Webhook::new(SecretString::from("https://hooks.example/T0K3N"), None, 5).unwrap();
        assert!(!format!("{hook:?}").contains("T0K3N"));
    }

    #[test]
    fn notifications_are_off_by_default() {
        let notifier = HotLeadNotifier::from_config(&AgentsConfig::default()).unwrap();
        assert!(!notifier.is_active());
    }
}
