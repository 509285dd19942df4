//! Outreach as a client of the API: drafts the first message of each allocated lead from the
//! campaign's templates (Thompson sampling picks the template; the draft's decision carries the
//! propensity), asks a person when the draft needs approval, reserves a send slot, sends through
//! the channel and records the result; reads replies from the channel (`recordResponse`),
//! analyses them (`analyzeResponse`), opts the person out at once on an opt-out (releasing held
//! slots), and hands positive replies to a person (`qualifyLead`). A send the account has no
//! budget for yet waits in a queue that later polls retry. After each message it schedules the
//! campaign's next follow-up (`scheduleFollowUp`); a due follow-up is drafted from the campaign's
//! template for that step unless the person replied or objected meanwhile.
//!
//! Sending twice is prevented at three levels: the lead's folded state says whether the message
//! was already sent, every mutation has a key from its triggering event, and the channel takes
//! the message id as its own idempotency key. The bandit's posteriors and the map from provider
//! message ids to leads are saved with the checkpoint.

mod follow_up;
mod send;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::SeedableRng as _;
use reachspark_domain::lead::{Intent, LeadEvent, Sentiment, Step};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::bandit::{self, Bandit};
use crate::channels::{Channel, Clock, SystemClock};
use crate::client::ops::{self, AnalyzeResponse, OptOut, QualifyLead, RecordResponse, ReleaseSlot, RequestApproval};
use crate::client::{ApiClient, ClientError};
use crate::notify::{self, HotLeadNotifier};
use crate::runtime::{decision_input, key, log, Agent, LogEvent};

/// What Outreach keeps across restarts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    bandit: Bandit,
    /// Provider message id → (lead, message, template, segment).
    sent: BTreeMap<String, SentRef>,
    replies_since: DateTime<Utc>,
    /// Sends waiting for budget, oldest first.
    #[serde(default)]
    deferred: Vec<Deferred>,
    /// Follow-ups scheduled and not yet drafted.
    #[serde(default)]
    follow_ups: Vec<FollowUp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SentRef {
    lead_id: Uuid,
    message_id: Uuid,
    template_id: String,
    segment: String,
    /// A first contact (only those teach the template policy).
    #[serde(default)]
    first: bool,
}

/// A send that waits for its account's budget.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Deferred {
    lead_id: Uuid,
    message_id: Uuid,
    account_id: Uuid,
    /// The event that asked for the send: its id keys the mutations.
    trigger: Uuid,
}

/// A follow-up step due at a time.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FollowUp {
    lead_id: Uuid,
    step: u32,
    due_at: DateTime<Utc>,
}

/// Drafts, sends, reads replies.
#[derive(Debug)]
pub struct Outreach {
    channel: Arc<dyn Channel>,
    clock: Arc<dyn Clock>,
    notifier: HotLeadNotifier,
    approval_floor: f64,
    state: State,
}

impl Outreach {
    /// Outreach sending through `channel`; drafts below `approval_floor` confidence go to a
    /// person whatever the campaign says; replies are read from `replies_since` on.
    pub fn new(channel: Arc<dyn Channel>, bandit: Bandit, approval_floor: f64, replies_since: DateTime<Utc>) -> Self {
        Self {
            channel,
            clock: Arc::new(SystemClock),
            notifier: HotLeadNotifier::default(),
            approval_floor,
            state: State { bandit, sent: BTreeMap::new(), replies_since, deferred: Vec::new(), follow_ups: Vec::new() },
        }
    }

    /// The same Outreach telling the time (when follow-ups are due) by `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same Outreach telling people about hot leads through `notifier` (nobody by default;
    /// build it with [`HotLeadNotifier::from_config`]).
    #[must_use]
    pub fn with_notifier(mut self, notifier: HotLeadNotifier) -> Self {
        self.notifier = notifier;
        self
    }

    /// Sends waiting for budget.
    pub fn deferred_sends(&self) -> usize {
        self.state.deferred.len()
    }

    /// The bandit as it stands (for tests and reports).
    pub fn bandit(&self) -> &Bandit {
        &self.state.bandit
    }

    async fn analyze(&mut self, api: &ApiClient, event: &LogEvent) -> Result<(), ClientError> {
        let LeadEvent::ResponseReceived { response_id, message_id, text, .. } = event.decode()? else {
            return Ok(());
        };
        let text = text.known().cloned().unwrap_or_default();
        let (sentiment, intent, decision) = crate::rules::analyze_reply(&text);
        let decision = decision.based_on([event.event_id]);
        let lead_id = event.stream_id.to_string();
        api.run::<AnalyzeResponse>(ops::analyze_response::Variables {
            lead_id: lead_id.clone(),
            response_id: response_id.to_string(),
            sentiment: sentiment_input(sentiment),
            intent: intent_input(intent),
            decision: decision_input!(analyze_response, &decision),
            key: Some(key(self.name(), event, "analyze")),
        })
        .await?;
        let first = message_id.and_then(|m| self.state.sent.values().find(|s| s.message_id == m && s.first));
        if let Some(sent) = first {
            if bandit::is_reward(intent) {
                let (segment, template) = (sent.segment.clone(), sent.template_id.clone());
                self.state.bandit.record_interested(&segment, &template);
            }
        }
        if intent == Intent::OptOut {
            api.run::<OptOut>(ops::opt_out::Variables { lead_id, key: Some(key(self.name(), event, "opt_out")) })
                .await?;
            let lead = log::lead(api, event.stream_id).await?;
            for (message_id, message) in lead.messages() {
                let Some(slot) = message.slot.as_ref().filter(|_| message.sent_at.is_none()) else { continue };
                api.run::<ReleaseSlot>(ops::release_slot::Variables {
                    account_id: slot.account_id.to_string(),
                    reservation_id: slot.reservation_id.to_string(),
                    reason: ops::release_slot::ReleaseReason::LEAD_OPTED_OUT,
                    key: Some(key(self.name(), event, &format!("release:{message_id}"))),
                })
                .await?;
            }
            tracing::info!(agent = self.name(), lead_id = %event.stream_id, "opted out from a reply");
        } else if sentiment == Sentiment::Positive || matches!(intent, Intent::Interested | Intent::InfoRequest) {
            api.run::<QualifyLead>(ops::qualify_lead::Variables {
                lead_id,
                key: Some(key(self.name(), event, "qualify")),
            })
            .await?;
            tracing::info!(agent = self.name(), lead_id = %event.stream_id, "qualified from a reply");
            if notify::is_hot(intent, sentiment) && self.notifier.is_active() {
                self.notify_hot(api, event, sentiment, intent).await?;
            }
        }
        Ok(())
    }
}

impl Outreach {
    /// Tells people about a hot lead. The notice id derives from the reply's event, so a
    /// notice repeated after a restart is one receivers can drop (at least once, never lost
    /// for want of a retry: a failed delivery is logged and the lead is qualified anyway).
    async fn notify_hot(
        &self,
        api: &ApiClient,
        event: &LogEvent,
        sentiment: Sentiment,
        intent: Intent,
    ) -> Result<(), ClientError> {
        let lead = log::lead(api, event.stream_id).await?;
        let person = lead.person().map(|p| notify::NoticePerson {
            name: p.name.known().cloned().unwrap_or_default(),
            position: p.position.clone(),
            company: p.company.clone(),
        });
        let notice = notify::HotLeadNotice {
            notice_id: Uuid::new_v5(&Uuid::NAMESPACE_OID, event.event_id.as_bytes()),
            lead_id: event.stream_id,
            campaign_id: lead.campaign_id(),
            intent,
            sentiment,
            score: lead.score(),
            link: None,
            person,
        };
        self.notifier.notify(&notice).await;
        Ok(())
    }
}

/// The generator of one choice, seeded by the triggering event, so a retried choice is the same.
fn rng_for(event: &LogEvent) -> rand_chacha::ChaCha8Rng {
    let (high, low) = event.event_id.as_u64_pair();
    rand_chacha::ChaCha8Rng::seed_from_u64(high ^ low)
}

fn sentiment_input(s: Sentiment) -> ops::analyze_response::Sentiment {
    use ops::analyze_response::Sentiment as S;
    match s {
        Sentiment::Positive => S::POSITIVE,
        Sentiment::Negative => S::NEGATIVE,
        Sentiment::Neutral => S::NEUTRAL,
    }
}

fn intent_input(i: Intent) -> ops::analyze_response::Intent {
    use ops::analyze_response::Intent as I;
    match i {
        Intent::Interested => I::INTERESTED,
        Intent::NotInterested => I::NOT_INTERESTED,
        Intent::InfoRequest => I::INFO_REQUEST,
        Intent::OptOut => I::OPT_OUT,
        Intent::OutOfOffice => I::OUT_OF_OFFICE,
    }
}

fn step_number(step: Step) -> i64 {
    match step {
        Step::First => 0,
        Step::FollowUp(n) => i64::from(n),
    }
}

impl Agent for Outreach {
    type State = State;

    fn name(&self) -> &'static str {
        crate::actors::OUTREACH
    }

    fn kind(&self) -> ops::raise_agent_error::AgentKind {
        ops::raise_agent_error::AgentKind::OUTREACH
    }

    fn event_types(&self) -> Vec<String> {
        ["LeadAllocated", "MessageDrafted", "MessageApproved", "MessageSent", "FollowUpScheduled", "ResponseReceived"]
            .map(str::to_owned)
            .to_vec()
    }

    async fn handle(&mut self, api: &ApiClient, event: &LogEvent) -> Result<(), ClientError> {
        match event.decode::<LeadEvent>()? {
            LeadEvent::LeadAllocated { .. } => self.draft(api, event).await,
            LeadEvent::MessageDrafted { message_id, requires_approval: true, .. } => {
                api.run::<RequestApproval>(ops::request_approval::Variables {
                    lead_id: event.stream_id.to_string(),
                    message_id: message_id.to_string(),
                    key: Some(key(self.name(), event, "request_approval")),
                })
                .await?;
                Ok(())
            }
            LeadEvent::MessageDrafted { message_id, .. } | LeadEvent::MessageApproved { message_id, .. } => {
                if let send::Sending::Deferred(account_id) =
                    self.send(api, event.stream_id, message_id, event.event_id).await?
                {
                    let lead_id = event.stream_id;
                    if !self.state.deferred.iter().any(|d| d.message_id == message_id) {
                        self.state.deferred.push(Deferred { lead_id, message_id, account_id, trigger: event.event_id });
                    }
                }
                Ok(())
            }
            LeadEvent::MessageSent { message_id, at, .. } => self.schedule_follow_up(api, event, message_id, at).await,
            LeadEvent::FollowUpScheduled { step, due_at, .. } => {
                let lead_id = event.stream_id;
                if !self.state.follow_ups.iter().any(|f| f.lead_id == lead_id && f.step == step) {
                    self.state.follow_ups.push(FollowUp { lead_id, step, due_at });
                }
                Ok(())
            }
            LeadEvent::ResponseReceived { .. } => self.analyze(api, event).await,
            _ => Ok(()),
        }
    }

    fn state(&self) -> &Self::State {
        &self.state
    }

    fn state_mut(&mut self) -> &mut Self::State {
        &mut self.state
    }

    async fn poll(&mut self, api: &ApiClient) -> Result<usize, ClientError> {
        let recorded = self.read_replies(api).await?;
        let followed = self.draft_due_follow_ups(api).await?;
        Ok(recorded + followed + self.retry_deferred(api).await?)
    }
}

impl Outreach {
    /// Records the replies the channel received since the last poll.
    async fn read_replies(&mut self, api: &ApiClient) -> Result<usize, ClientError> {
        let replies = self
            .channel
            .poll_replies(self.state.replies_since)
            .await
            .map_err(|e| ClientError::Graphql { code: format!("CHANNEL_{}", e.code), reason: "poll".to_owned() })?;
        let mut recorded = 0;
        for reply in replies {
            let known = reply.provider_message_id.as_ref().and_then(|p| self.state.sent.get(p)).cloned();
            if let Some(sent) = known {
                api.run::<RecordResponse>(ops::record_response::Variables {
                    lead_id: sent.lead_id.to_string(),
                    message_id: Some(sent.message_id.to_string()),
                    text: reply.text.clone(),
                    key: Some(format!("{}:reply:{}:record", self.name(), reply.reply_id)),
                })
                .await?;
                recorded += 1;
            }
            self.state.replies_since = self.state.replies_since.max(reply.received_at);
        }
        Ok(recorded)
    }
}
