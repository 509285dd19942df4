//! Drafting and sending: the two steps of Outreach that spend a sender's budget.

use reachspark_domain::lead::{MessageStatus, Step};
use reachspark_domain::sender_account::Channel as Medium;
use uuid::Uuid;

use super::{rng_for, step_number, Outreach, SentRef};
use crate::bandit;
use crate::channels::OutgoingMessage;
use crate::client::ops::{self, DraftMessage, RecordSendFailed, RecordSent, ReleaseSlot, ReserveSend};
use crate::client::{ApiClient, ClientError};
use crate::draft::{self, Authorship, Recipient};
use crate::runtime::{decision_input, key, key_for, log, Agent, LogEvent};
use crate::sales_manager::campaign_channel;

fn rejected(reason: &str) -> ClientError {
    ClientError::Graphql { code: "VALIDATION".to_owned(), reason: reason.to_owned() }
}

impl Outreach {
    pub(super) async fn draft(&mut self, api: &ApiClient, event: &LogEvent) -> Result<(), ClientError> {
        let lead = log::lead(api, event.stream_id).await?;
        let (Some(person), Some(campaign_id)) = (lead.person(), lead.campaign_id()) else { return Ok(()) };
        if !lead.messages().is_empty() {
            return Ok(());
        }
        let campaign = log::campaign(api, campaign_id).await?;
        let settings = campaign.settings().ok_or_else(|| rejected("unknown_campaign"))?;
        let medium = campaign_channel(&campaign).ok_or_else(|| rejected("no_first_template"))?;
        let templates: Vec<_> = campaign
            .templates()
            .values()
            .filter(|t| !t.retired && t.template.step == Step::First && t.template.channel == medium)
            .map(|t| t.template.clone())
            .collect();
        let class = lead.classification().unwrap_or(reachspark_domain::lead::LeadClass::Other);
        let segment = bandit::segment(class, None);
        let choice = self
            .state
            .bandit
            .choose(&segment, &templates, &mut rng_for(event))
            .map_err(|_| rejected("no_eligible_template"))?;
        let template = templates.iter().find(|t| t.id == choice.template_id).ok_or_else(|| rejected("template"))?;
        let name = person.name.known().cloned().unwrap_or_default();
        let recipient = Recipient { name: &name, position: &person.position, company: &person.company };
        let drafted = draft::render(template, &recipient, settings, Authorship::Template)
            .map_err(|_| rejected("draft_not_compliant"))?;
        let mut decision = drafted.decision.clone().based_on([event.event_id]).with_propensity(choice.propensity);
        decision.factors.extend(choice.decision.factors.iter().cloned());
        decision.rationale = format!("{}; {}", decision.rationale, choice.decision.rationale);
        let floor = draft::needs_approval(decision.confidence, settings.approval_policy, u32::MAX, self.approval_floor);
        tracing::debug!(agent = self.name(), lead_id = %event.stream_id, floor = floor.required, "drafting");
        api.run::<DraftMessage>(ops::draft_message::Variables {
            lead_id: event.stream_id.to_string(),
            channel: match medium {
                Medium::LinkedIn => ops::draft_message::Channel::LINKEDIN,
                Medium::Email => ops::draft_message::Channel::EMAIL,
            },
            template_id: Some(drafted.template_id.clone()),
            step_number: step_number(drafted.step),
            body: drafted.body.clone(),
            ai_generated: drafted.ai_generated,
            model: drafted.model.clone(),
            prompt_hash: drafted.prompt_hash.clone(),
            decision: decision_input!(draft_message, &decision),
            key: Some(key(self.name(), event, "draft")),
        })
        .await?;
        Ok(())
    }

    /// Sends `message_id` of `lead_id`, because of the event `trigger` (its id makes the keys).
    /// A reservation refused for budget (a daily or weekly cap reached, too soon after the last
    /// action) defers the send: it is tried again on later polls, oldest first.
    pub(super) async fn send(
        &mut self,
        api: &ApiClient,
        lead_id: Uuid,
        message_id: Uuid,
        trigger: Uuid,
    ) -> Result<Sending, ClientError> {
        let name = self.name();
        let key = |action: &str| Some(key_for(name, trigger, action));
        let lead = log::lead(api, lead_id).await?;
        let Some(message) = lead.message(message_id) else { return Ok(Sending::Skipped) };
        if matches!(message.status, MessageStatus::Sent | MessageStatus::Rejected) || message.sent_at.is_some() {
            return Ok(Sending::Skipped);
        }
        if message.requires_approval && !message.approved {
            return Ok(Sending::Skipped);
        }
        if lead.is_opted_out() || (message.step != Step::First && lead.has_replied()) {
            return Ok(Sending::Skipped);
        }
        let (Some(person), Some(account_id)) = (lead.person(), lead.allocated_account()) else {
            return Ok(Sending::Skipped);
        };
        let lead_ref = lead_id.to_string();
        let reservation = match &message.slot {
            Some(slot) => slot.reservation_id.to_string(),
            None => {
                let action = match (message.channel, message.step) {
                    (Medium::Email, _) => ops::reserve_send::ActionType::EMAIL,
                    (Medium::LinkedIn, Step::First) => ops::reserve_send::ActionType::CONNECTION_INVITATION,
                    (Medium::LinkedIn, Step::FollowUp(_)) => ops::reserve_send::ActionType::MESSAGE,
                };
                let reserved = api
                    .run::<ReserveSend>(ops::reserve_send::Variables {
                        lead_id: lead_ref.clone(),
                        message_id: message_id.to_string(),
                        account_id: account_id.to_string(),
                        action_type: action,
                        key: key("reserve"),
                    })
                    .await;
                match reserved {
                    Ok(reserved) => reserved.reserve_send.created_id.ok_or_else(|| rejected("no_reservation_id"))?,
                    Err(ClientError::Graphql { reason, .. }) if BUDGET_REASONS.contains(&reason.as_str()) => {
                        tracing::debug!(agent = name, %lead_id, %reason, "send deferred");
                        return Ok(Sending::Deferred(account_id));
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let to = match message.channel {
            Medium::LinkedIn => person.profile_url.as_ref(),
            Medium::Email => person.email.as_ref(),
        }
        .and_then(|p| p.known().cloned())
        .ok_or_else(|| rejected("no_address"))?;
        let outgoing = OutgoingMessage {
            message_id,
            to,
            recipient_name: person.name.known().cloned().unwrap_or_default(),
            subject: None,
            body: message.body.known().cloned().unwrap_or_default(),
            template_id: message.template_id.clone().unwrap_or_default(),
            step: message.step,
        };
        match self.channel.send(&outgoing).await {
            Ok(receipt) => {
                let segment =
                    bandit::segment(lead.classification().unwrap_or(reachspark_domain::lead::LeadClass::Other), None);
                let template_id = outgoing.template_id.clone();
                let first = message.step == Step::First;
                if first && !self.state.sent.contains_key(&receipt.provider_message_id) {
                    self.state.bandit.record_sent(&segment, &template_id);
                }
                self.state.sent.insert(
                    receipt.provider_message_id.clone(),
                    SentRef { lead_id, message_id, template_id, segment, first },
                );
                api.run::<RecordSent>(ops::record_sent::Variables {
                    lead_id: lead_ref,
                    message_id: message_id.to_string(),
                    provider_message_id: receipt.provider_message_id,
                    key: key("sent"),
                })
                .await?;
                tracing::info!(agent = name, %lead_id, "message sent");
                Ok(Sending::Sent)
            }
            Err(e) => {
                let kind = match e.kind {
                    reachspark_domain::lead::FailureKind::Transient => ops::record_send_failed::FailureKind::TRANSIENT,
                    reachspark_domain::lead::FailureKind::Permanent => ops::record_send_failed::FailureKind::PERMANENT,
                };
                api.run::<RecordSendFailed>(ops::record_send_failed::Variables {
                    lead_id: lead_ref,
                    message_id: message_id.to_string(),
                    kind,
                    reason: e.code.clone(),
                    key: key("send_failed"),
                })
                .await?;
                api.run::<ReleaseSlot>(ops::release_slot::Variables {
                    account_id: account_id.to_string(),
                    reservation_id: reservation,
                    reason: ops::release_slot::ReleaseReason::SEND_FAILED,
                    key: key("release"),
                })
                .await?;
                Err(rejected(&format!("channel_{}", e.code)))
            }
        }
    }

    /// Tries the deferred sends again, oldest first, skipping the rest of an account's once one
    /// of its sends is refused for budget again. Returns how many went out.
    pub(super) async fn retry_deferred(&mut self, api: &ApiClient) -> Result<usize, ClientError> {
        let waiting = std::mem::take(&mut self.state.deferred);
        let (mut sent, mut blocked, mut kept) = (0, Vec::new(), Vec::new());
        let mut items = waiting.into_iter();
        while let Some(item) = items.next() {
            if blocked.contains(&item.account_id) {
                kept.push(item);
                continue;
            }
            match self.send(api, item.lead_id, item.message_id, item.trigger).await {
                Ok(Sending::Sent) => sent += 1,
                Ok(Sending::Skipped) => {}
                Ok(Sending::Deferred(account)) => {
                    blocked.push(account);
                    kept.push(item);
                }
                Err(e) => {
                    // Keep the queue whole: what was not tried stays, in order.
                    kept.push(item);
                    kept.extend(items);
                    self.state.deferred = kept;
                    return Err(e);
                }
            }
        }
        self.state.deferred = kept;
        Ok(sent)
    }
}

/// The reasons a sender account refuses a reservation for budget: the send waits, it is not
/// an error.
const BUDGET_REASONS: [&str; 4] =
    ["daily_limit_reached", "weekly_limit_reached", "total_daily_limit_reached", "too_soon"];

/// What became of one send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sending {
    /// It went out (now or earlier).
    Sent,
    /// Nothing to send: already sent, rejected, unapproved, opted out, replied, unallocated.
    Skipped,
    /// The account has no budget for it now: try again later.
    Deferred(Uuid),
}
