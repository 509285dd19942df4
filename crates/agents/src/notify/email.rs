//! Hot-lead notices (and the Sales Manager's escalations) by email, one message per configured
//! address, through the SMTP channel.

use std::sync::Arc;

use uuid::Uuid;

use super::{Delivery, HotLeadNotice, Target};
use crate::channels::{Email, Smtp};

/// Email notification target.
#[derive(Debug)]
pub struct EmailNotify {
    smtp: Arc<Smtp>,
    to: Vec<String>,
}

/// The email's subject: what happened, without naming the person.
fn subject(notice: &HotLeadNotice) -> String {
    let score = notice.score.map(|s| format!(", score {s}/10")).unwrap_or_default();
    format!("Hot lead: {:?} reply{score}", notice.intent).replace("InfoRequest", "information request")
}

fn body(notice: &HotLeadNotice) -> String {
    let mut lines = vec![
        "A lead replied with interest. Please take it from here.".to_owned(),
        String::new(),
        format!("Lead: {}", notice.lead_id),
        format!("Intent: {:?}, sentiment: {:?}", notice.intent, notice.sentiment),
    ];
    if let Some(campaign) = notice.campaign_id {
        lines.push(format!("Campaign: {campaign}"));
    }
    if let Some(score) = notice.score {
        lines.push(format!("Score: {score}/10"));
    }
    if let Some(person) = &notice.person {
        lines.push(format!("Who: {}, {} at {}", person.name, person.position, person.company));
    }
    if let Some(link) = &notice.link {
        lines.push(format!("Open: {link}"));
    }
    lines.join("\n")
}

impl EmailNotify {
    /// Notices to `to` through `smtp`.
    pub fn new(smtp: Arc<Smtp>, to: Vec<String>) -> Self {
        Self { smtp, to }
    }

    /// One email per address. Each email's id derives from the notice id and the address, so
    /// a retried notice keeps its `Message-ID`s.
    pub async fn send(&self, notice: &HotLeadNotice) -> Vec<Delivery> {
        self.send_text(notice.notice_id, &subject(notice), &body(notice)).await
    }

    /// `subject` and `body` to every address, with ids derived from `notice_id`.
    pub async fn send_text(&self, notice_id: Uuid, subject: &str, body: &str) -> Vec<Delivery> {
        let mut deliveries = Vec::with_capacity(self.to.len());
        for (index, to) in self.to.iter().enumerate() {
            let email = Email {
                id: Uuid::new_v5(&notice_id, to.trim().to_lowercase().as_bytes()),
                to: to.clone(),
                to_name: String::new(),
                subject: subject.to_owned(),
                body: body.to_owned(),
            };
            let result = self.smtp.send_email(&email).await.map(|_| ());
            deliveries.push(Delivery { target: Target::Email { index }, result });
        }
        deliveries
    }
}
