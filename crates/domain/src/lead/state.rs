//! A lead's state, folded from its events: what a caller needs to decide the next step, and
//! what the aggregate needs to enforce its rules. `apply` never fails: events are facts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::event::LeadEvent;
use super::types::{ContactStatus, Fact, FailureKind, Intent, LeadClass, LeadSource, OptOutSource, Sentiment, Step};
use crate::pii::Pii;
use crate::sender_account::{ActionType, Channel};

/// The lead as it stands.
#[derive(Debug, Clone, Default)]
pub struct LeadState {
    pub(super) person: Option<Person>,
    pub(super) status: ContactStatus,
    pub(super) campaign_id: Option<Uuid>,
    pub(super) allocated_account: Option<Uuid>,
    pub(super) priority: Option<u8>,
    pub(super) classification: Option<LeadClass>,
    pub(super) score: Option<u8>,
    pub(super) messages: BTreeMap<Uuid, MessageRecord>,
    pub(super) responses: BTreeMap<Uuid, ResponseRecord>,
    pub(super) follow_ups_scheduled: u32,
    pub(super) next_follow_up_due: Option<DateTime<Utc>>,
    pub(super) opt_out: Option<OptOutRecord>,
    pub(super) erased: bool,
}

/// Who the lead is. Personal fields read as [`Pii::Erased`] after erasure.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub source: LeadSource,
    pub source_ref: Pii<String>,
    pub name: Pii<String>,
    pub profile_url: Option<Pii<String>>,
    pub email: Option<Pii<String>>,
    pub position: String,
    pub company: String,
    pub facts: Vec<Fact>,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Drafted,
    AwaitingApproval,
    Approved,
    Rejected,
    Scheduled,
    Sent,
    /// The last attempt failed; a transient failure may be rescheduled.
    Failed(FailureKind),
}

/// One message of the lead's sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub channel: Channel,
    pub template_id: Option<String>,
    pub step: Step,
    /// The text to send: the approver's edit if there was one.
    pub body: Pii<String>,
    pub ai_generated: bool,
    pub edited: bool,
    pub requires_approval: bool,
    pub approved: bool,
    pub status: MessageStatus,
    /// The latest send slot.
    pub slot: Option<Slot>,
    pub failures: u32,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A reserved send slot on a sender account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub account_id: Uuid,
    pub reservation_id: Uuid,
    pub action_type: ActionType,
    pub at: DateTime<Utc>,
}

/// A reply and, once read, its analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseRecord {
    pub message_id: Option<Uuid>,
    pub received_at: DateTime<Utc>,
    pub analysis: Option<(Sentiment, Intent)>,
}

/// A recorded objection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptOutRecord {
    pub source: OptOutSource,
    pub honour_by: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

impl LeadState {
    /// Whether the lead exists.
    pub fn is_discovered(&self) -> bool {
        self.person.is_some()
    }

    /// The contact status; `None` before discovery.
    pub fn status(&self) -> Option<ContactStatus> {
        self.person.as_ref().map(|_| self.status)
    }

    pub fn person(&self) -> Option<&Person> {
        self.person.as_ref()
    }

    pub fn campaign_id(&self) -> Option<Uuid> {
        self.campaign_id
    }

    pub fn allocated_account(&self) -> Option<Uuid> {
        self.allocated_account
    }

    pub fn priority(&self) -> Option<u8> {
        self.priority
    }

    pub fn classification(&self) -> Option<LeadClass> {
        self.classification
    }

    pub fn score(&self) -> Option<u8> {
        self.score
    }

    pub fn messages(&self) -> &BTreeMap<Uuid, MessageRecord> {
        &self.messages
    }

    pub fn message(&self, message_id: Uuid) -> Option<&MessageRecord> {
        self.messages.get(&message_id)
    }

    /// Messages holding a send slot: what to release if the lead opts out or is erased.
    pub fn scheduled_messages(&self) -> impl Iterator<Item = (Uuid, Slot)> + '_ {
        self.messages.iter().filter_map(|(id, m)| match (m.status, m.slot) {
            (MessageStatus::Scheduled, Some(slot)) => Some((*id, slot)),
            _ => None,
        })
    }

    pub fn responses(&self) -> &BTreeMap<Uuid, ResponseRecord> {
        &self.responses
    }

    /// Whether the person ever wrote back (follow-ups stop then).
    pub fn has_replied(&self) -> bool {
        !self.responses.is_empty()
    }

    /// How many follow-ups were scheduled so far.
    pub fn follow_ups_scheduled(&self) -> u32 {
        self.follow_ups_scheduled
    }

    pub fn next_follow_up_due(&self) -> Option<DateTime<Utc>> {
        self.next_follow_up_due
    }

    pub fn opt_out(&self) -> Option<&OptOutRecord> {
        self.opt_out.as_ref()
    }

    pub fn is_opted_out(&self) -> bool {
        self.opt_out.is_some()
    }

    pub fn is_erased(&self) -> bool {
        self.erased
    }

    pub(super) fn apply(mut self, event: LeadEvent) -> Self {
        use LeadEvent as E;
        match event {
            E::LeadDiscovered {
                source,
                source_ref,
                campaign_id,
                name,
                profile_url,
                email,
                position,
                company,
                at: _,
            } => {
                self.person =
                    Some(Person { source, source_ref, name, profile_url, email, position, company, facts: Vec::new() });
                self.status = ContactStatus::New;
                self.campaign_id = Some(campaign_id);
            }
            E::LeadEnriched { facts, .. } => {
                if let Some(person) = &mut self.person {
                    person.facts.extend(facts);
                }
            }
            E::LeadClassified { class, .. } => self.classification = Some(class),
            E::LeadScored { quality_score, .. } => self.score = Some(quality_score),
            E::LeadAllocated { account_id, priority, .. } => {
                self.allocated_account = Some(account_id);
                self.priority = Some(priority);
                self.advance(&[ContactStatus::New], ContactStatus::Allocated);
            }
            E::LeadReassigned { to, .. } => self.allocated_account = Some(to),
            E::MessageDrafted {
                message_id, channel, template_id, step, body, ai_generated, requires_approval, ..
            } => {
                let record = MessageRecord {
                    channel,
                    template_id,
                    step,
                    body,
                    ai_generated,
                    edited: false,
                    requires_approval,
                    approved: false,
                    status: MessageStatus::Drafted,
                    slot: None,
                    failures: 0,
                    sent_at: None,
                };
                self.messages.insert(message_id, record);
            }
            E::MessageApprovalRequested { message_id, .. } => {
                self.update(message_id, |m| m.status = MessageStatus::AwaitingApproval);
            }
            E::MessageApproved { message_id, edited_body, .. } => self.update(message_id, |m| {
                m.status = MessageStatus::Approved;
                m.approved = true;
                if let Some(body) = edited_body {
                    m.body = body;
                    m.edited = true;
                }
            }),
            E::MessageRejected { message_id, .. } => {
                self.update(message_id, |m| m.status = MessageStatus::Rejected);
            }
            E::MessageScheduled { message_id, account_id, reservation_id, action_type, at } => {
                self.update(message_id, |m| {
                    m.status = MessageStatus::Scheduled;
                    m.slot = Some(Slot { account_id, reservation_id, action_type, at });
                });
            }
            E::MessageSent { message_id, at, .. } => {
                self.update(message_id, |m| {
                    m.status = MessageStatus::Sent;
                    m.sent_at = Some(at);
                });
                self.advance(&[ContactStatus::New, ContactStatus::Allocated], ContactStatus::Sent);
            }
            E::MessageSendFailed { message_id, kind, .. } => self.update(message_id, |m| {
                m.status = MessageStatus::Failed(kind);
                m.failures += 1;
            }),
            E::ResponseReceived { response_id, message_id, at, .. } => {
                let record = ResponseRecord { message_id, received_at: at, analysis: None };
                self.responses.insert(response_id, record);
                self.next_follow_up_due = None;
                self.advance(
                    &[ContactStatus::New, ContactStatus::Allocated, ContactStatus::Sent],
                    ContactStatus::Responded,
                );
            }
            E::ResponseAnalyzed { response_id, sentiment, intent, .. } => {
                if let Some(response) = self.responses.get_mut(&response_id) {
                    response.analysis = Some((sentiment, intent));
                }
            }
            E::FollowUpScheduled { step, due_at, .. } => {
                self.follow_ups_scheduled = step;
                self.next_follow_up_due = Some(due_at);
            }
            E::LeadQualified { .. } => self.status = ContactStatus::Qualified,
            E::LeadClosed { .. } => {
                self.status = ContactStatus::Closed;
                self.next_follow_up_due = None;
            }
            E::LeadOptedOut { source, honour_by, at } => {
                self.opt_out = Some(OptOutRecord { source, honour_by, at });
                self.status = ContactStatus::OptedOut;
                self.next_follow_up_due = None;
            }
            E::PersonalDataErased { .. } => self.erase(),
            E::NoteAdded { .. } => {}
        }
        self
    }

    fn advance(&mut self, from: &[ContactStatus], to: ContactStatus) {
        if from.contains(&self.status) {
            self.status = to;
        }
    }

    fn update(&mut self, message_id: Uuid, change: impl FnOnce(&mut MessageRecord)) {
        if let Some(message) = self.messages.get_mut(&message_id) {
            change(message);
        }
    }

    /// Mirrors what a replay after the key's destruction yields, so the state in memory equals
    /// the state read back.
    fn erase(&mut self) {
        self.erased = true;
        self.next_follow_up_due = None;
        if let Some(person) = &mut self.person {
            person.source_ref = Pii::Erased;
            person.name = Pii::Erased;
            person.profile_url = person.profile_url.as_ref().map(|_| Pii::Erased);
            person.email = person.email.as_ref().map(|_| Pii::Erased);
            for fact in &mut person.facts {
                fact.value = Pii::Erased;
                fact.evidence_url = Pii::Erased;
            }
        }
        for message in self.messages.values_mut() {
            message.body = Pii::Erased;
        }
    }
}
