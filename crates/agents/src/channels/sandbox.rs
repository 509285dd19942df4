//! The sandbox LinkedIn channel: messages go to the sandbox world's people, who answer from
//! their hidden propensities ([`World::reply`]) after the delay drawn with the answer.
//!
//! Deterministic per seed: a person's luck for a step comes from [`World::person_rng`] salted
//! with the step, not from the order of sends, so the same campaign on the same world sees the
//! same replies however its sends interleave, and two templates sent to the same person at the
//! same step face the same luck (common random numbers, see `sandbox::reply`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use reachspark_domain::identity::ProfileUrl;
use reachspark_domain::lead::{Intent, Sentiment, Step};
use uuid::Uuid;

use super::{Channel, Clock, IncomingReply, OutgoingMessage, SendError, SendReceipt};
use crate::config::ChannelKind;
use crate::sandbox::World;

/// A reply waiting for its time, with the truth behind it for measuring reply analysis.
#[derive(Debug, Clone)]
struct Pending {
    reply: IncomingReply,
    truth: (Sentiment, Intent),
}

#[derive(Debug, Default)]
struct State {
    /// Receipts by our message id: a message sent twice is delivered (and answered) once.
    sent: HashMap<Uuid, SendReceipt>,
    /// Replies keyed by (visible at, reply id), so polls read them in time order.
    replies: BTreeMap<(DateTime<Utc>, String), Pending>,
}

/// LinkedIn as played by the sandbox world. No network.
#[derive(Debug)]
pub struct SandboxLinkedIn {
    world: Arc<World>,
    clock: Arc<dyn Clock>,
    /// Canonical profile URL → person id.
    by_url: HashMap<String, u32>,
    state: Mutex<State>,
}

/// The salt of a step's luck: 0 for the first message, n for the n-th follow-up.
fn step_salt(step: Step) -> u64 {
    match step {
        Step::First => 0,
        Step::FollowUp(n) => u64::from(n),
    }
}

impl SandboxLinkedIn {
    /// A channel to `world`'s people, telling time by `clock`.
    pub fn new(world: Arc<World>, clock: Arc<dyn Clock>) -> Self {
        let by_url = world
            .people()
            .iter()
            .filter_map(|p| {
                let url = ProfileUrl::parse(p.public().profile_url.as_deref()?).ok()?;
                Some((url.as_str().to_owned(), p.id()))
            })
            .collect();
        Self { world, clock, by_url, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The sentiment and intent the person meant by a reply: for benchmarks of the reply
    /// analysis, never for the agents.
    pub fn reply_truth(&self, reply_id: &str) -> Option<(Sentiment, Intent)> {
        self.state().replies.values().find(|p| p.reply.reply_id == reply_id).map(|p| p.truth)
    }

    /// How many replies are drawn but not yet visible at the clock's time.
    pub fn pending_replies(&self) -> usize {
        let now = self.clock.now();
        self.state().replies.keys().filter(|(at, _)| *at > now).count()
    }

    /// When the next hidden reply becomes visible, if any: a simulation advances its clock
    /// to it instead of waiting.
    pub fn next_reply_at(&self) -> Option<DateTime<Utc>> {
        let now = self.clock.now();
        self.state().replies.keys().map(|(at, _)| *at).find(|at| *at > now)
    }
}

#[async_trait::async_trait]
impl Channel for SandboxLinkedIn {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sandbox
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<SendReceipt, SendError> {
        let url = ProfileUrl::parse(&message.to).map_err(|_| SendError::permanent("invalid_address"))?;
        let person = self
            .by_url
            .get(url.as_str())
            .and_then(|id| self.world.person(*id))
            .ok_or_else(|| SendError::permanent("unknown_recipient"))?;
        let now = self.clock.now();
        let mut state = self.state();
        if let Some(receipt) = state.sent.get(&message.message_id) {
            return Ok(receipt.clone());
        }
        let receipt = SendReceipt { provider_message_id: format!("sandbox-msg-{}", message.message_id) };
        let mut rng = self.world.person_rng(person, step_salt(message.step));
        if let Some(answer) = self.world.reply(person, &message.template_id, message.step, &mut rng) {
            let delay = TimeDelta::from_std(answer.delay).unwrap_or(TimeDelta::MAX);
            let visible_at = now.checked_add_signed(delay).unwrap_or(DateTime::<Utc>::MAX_UTC);
            let reply_id = format!("sandbox-reply-{}", message.message_id);
            let reply = IncomingReply {
                reply_id: reply_id.clone(),
                provider_message_id: Some(receipt.provider_message_id.clone()),
                thread_ref: Some(format!("sandbox-thread-{}", person.id())),
                text: answer.text,
                received_at: visible_at,
            };
            let truth = (answer.true_sentiment, answer.true_intent);
            state.replies.insert((visible_at, reply_id), Pending { reply, truth });
        }
        state.sent.insert(message.message_id, receipt.clone());
        Ok(receipt)
    }

    async fn poll_replies(&self, since: DateTime<Utc>) -> Result<Vec<IncomingReply>, SendError> {
        let now = self.clock.now();
        let state = self.state();
        Ok(state
            .replies
            .iter()
            .filter(|((at, _), _)| *at > since && *at <= now)
            .map(|(_, pending)| pending.reply.clone())
            .collect())
    }
}
