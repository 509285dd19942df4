//! The Sales Manager's escalations to people: performance alerts and the daily report's
//! summary, through the same webhook and email targets as hot-lead notices. They carry counts,
//! rates and ids only, so `notify.include_personal_data` does not apply to them.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::{Delivery, HotLeadNotifier, Target};

/// What an escalation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationKind {
    /// A performance alert was raised.
    PerformanceAlert,
    /// The daily report was published.
    DailyReport,
}

impl EscalationKind {
    /// The webhook's `event` field and `X-ReachSpark-Event` header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerformanceAlert => "performance_alert",
            Self::DailyReport => "daily_report",
        }
    }
}

/// A message for people from the Sales Manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalation {
    /// Idempotency key: receivers drop one they have seen (derived from the day and the kind).
    pub notice_id: Uuid,
    /// What it is about.
    pub kind: EscalationKind,
    /// The report's day.
    pub day: NaiveDate,
    /// One line: the email's subject.
    pub title: String,
    /// The numbers (aggregates and ids only).
    pub text: String,
}

impl HotLeadNotifier {
    /// Delivers `escalation` to every configured target; one failing does not stop the others.
    pub async fn escalate(&self, escalation: &Escalation) -> Vec<Delivery> {
        let mut deliveries = Vec::new();
        if let Some(webhook) = &self.webhook {
            let result = webhook.post_event(escalation.kind.as_str(), escalation.notice_id, escalation).await;
            deliveries.push(Delivery { target: Target::Webhook, result });
        }
        if let Some(email) = &self.email {
            deliveries.extend(email.send_text(escalation.notice_id, &escalation.title, &escalation.text).await);
        }
        for d in &deliveries {
            match &d.result {
                Ok(()) => tracing::info!(kind = escalation.kind.as_str(), target = ?d.target, "escalated"),
                Err(e) => tracing::warn!(
                    kind = escalation.kind.as_str(), target = ?d.target, error_kind = ?e.kind, code = %e.code,
                    "escalation failed"
                ),
            }
        }
        deliveries
    }
}
