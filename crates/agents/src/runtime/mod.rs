//! The agents' runtime: each agent is a GraphQL client that reads the events it reacts to from
//! its own checkpoint and answers with mutations whose idempotency keys derive from the
//! triggering event (`<agent>:<event id>:<action>`), so a restart resumes without loss and never
//! acts twice.
//!
//! [`Worker::step`] handles one page of events and returns; tests drive it without sleeping.
//! [`run`] is the loop around it. Per event: transient failures are retried with exponential
//! backoff (at most [`RetryPolicy::attempts`] attempts); when the API itself is unreachable the
//! step stops without moving the checkpoint and the [`Breaker`] opens; any other failure raises
//! `AgentErrorRaised` through the API (codes and ids only) and the event goes to the dead-letter
//! list in the checkpoint, from which [`Worker::retry_dead_letters`] takes it again. An
//! operator asks for one retry through the API (`retryAgentError`): the worker reads that
//! `AgentErrorRetryRequested` from its own stream with its other events and retries the letter
//! (see `retry.rs`).
//!
//! [`run`] steps as soon as the API's event subscription says something came (see [`wake`]),
//! and every `idle_wait` in any case.

mod breaker;
mod checkpoint;
mod decision;
pub mod log;
mod retry;
mod team;
pub mod wake;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use breaker::Breaker;
pub use checkpoint::{Checkpoint, CheckpointFile, DeadLetter};
pub(crate) use decision::decision_input;
pub use log::LogEvent;
pub use team::{checkpoint_path, Team, TeamError, TeamTokens};

use crate::client::ops::{self, RaiseAgentError};
use crate::client::{ApiClient, ClientError, ErrorClass};

/// One agent's reactions. `handle` must be idempotent: every mutation it issues carries a key
/// from [`key`].
pub trait Agent: Send {
    /// The actor id (`lead_finder`, ...), also the prefix of its idempotency keys.
    fn name(&self) -> &'static str;
    /// Which agent, for `raiseAgentError`.
    fn kind(&self) -> ops::raise_agent_error::AgentKind;
    /// The event types it reacts to.
    fn event_types(&self) -> Vec<String>;
    /// Reacts to one event.
    fn handle(&mut self, api: &ApiClient, event: &LogEvent) -> impl Future<Output = Result<(), ClientError>> + Send;
    /// What it keeps across restarts (learned state, schedules), saved with the checkpoint.
    type State: serde::Serialize + serde::de::DeserializeOwned;
    /// Its state, to save.
    fn state(&self) -> &Self::State;
    /// Its state, to restore.
    fn state_mut(&mut self) -> &mut Self::State;
    /// Its state as the checkpoint stores it.
    fn save_state(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or_default()
    }
    /// Restores what [`Agent::save_state`] saved; a state that no longer reads (an older
    /// shape) is left at its start, with a warning.
    fn load_state(&mut self, state: serde_json::Value) {
        if state.is_null() {
            return;
        }
        match serde_json::from_value(state) {
            Ok(state) => *self.state_mut() = state,
            Err(e) => tracing::warn!(agent = self.name(), error = %e, "saved agent state unreadable; starting afresh"),
        }
    }
    /// Work that is not triggered by the log (e.g. polling a channel for replies).
    fn poll(&mut self, _api: &ApiClient) -> impl Future<Output = Result<usize, ClientError>> + Send {
        async { Ok(0) }
    }
}

/// The idempotency key of `action` taken by `agent` because of `event`.
pub fn key(agent: &str, event: &LogEvent, action: &str) -> String {
    key_for(agent, event.event_id, action)
}

/// The idempotency key of `action` taken by `agent` because of the event with `event_id`
/// (for work deferred past the event's own handling).
pub fn key_for(agent: &str, event_id: uuid::Uuid, action: &str) -> String {
    format!("{agent}:{event_id}:{action}")
}

/// How often to try one event and how long to wait between tries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries per event, the first included.
    pub attempts: u32,
    /// The first wait; each next one doubles.
    pub base_delay: Duration,
    /// Events per page.
    pub batch: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 3, base_delay: Duration::from_millis(200), batch: 50 }
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepOutcome {
    /// Events handled (successfully or dead-lettered).
    pub processed: usize,
    /// Of those, dead-lettered.
    pub dead_lettered: usize,
    /// Items found by [`Agent::poll`].
    pub polled: usize,
    /// Nothing was waiting: the loop may sleep.
    pub idle: bool,
    /// The breaker is open: nothing was attempted.
    pub breaker_open: bool,
}

/// Why a step stopped early.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The API could not be reached or answered with an error on a read.
    #[error("api: {0}")]
    Api(#[from] ClientError),
    /// The checkpoint could not be written.
    #[error("checkpoint: {0}")]
    Io(#[from] std::io::Error),
}

/// An agent with its client, checkpoint and breaker.
#[derive(Debug)]
pub struct Worker<A> {
    agent: A,
    api: ApiClient,
    file: CheckpointFile,
    checkpoint: Checkpoint,
    breaker: Breaker,
    retry: RetryPolicy,
}

impl<A: Agent> Worker<A> {
    /// Resumes `agent` from the checkpoint in `file` (empty when there is none).
    pub fn new(mut agent: A, api: ApiClient, file: CheckpointFile, retry: RetryPolicy) -> std::io::Result<Self> {
        let checkpoint = file.load()?;
        agent.load_state(checkpoint.state.clone());
        Ok(Self { agent, api, file, checkpoint, breaker: Breaker::new(5, Duration::from_secs(30)), retry })
    }

    /// The agent.
    pub fn agent(&self) -> &A {
        &self.agent
    }

    /// The current checkpoint (cursor, dead letters).
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// What the worker reads: the agent's event types, and operators' retry requests.
    fn event_types(&self) -> Vec<String> {
        let mut types = self.agent.event_types();
        types.push(retry::REQUESTED.to_owned());
        types
    }

    /// Handles the next page of events after the checkpoint, then polls.
    pub async fn step(&mut self) -> Result<StepOutcome, WorkerError> {
        let mut outcome = StepOutcome::default();
        if self.breaker.is_open(Instant::now()) {
            return Ok(StepOutcome { idle: true, breaker_open: true, ..outcome });
        }
        let types = Some(self.event_types());
        let page = match log::page(&self.api, self.checkpoint.cursor.clone(), self.retry.batch, types, None).await {
            Ok(page) => page,
            Err(e) => {
                self.breaker.failure(Instant::now());
                return Err(e.into());
            }
        };
        self.breaker.success();
        if page.events.is_empty() {
            if self.checkpoint.cursor.as_deref() != Some(page.end_cursor.as_str()) {
                self.checkpoint.cursor = Some(page.end_cursor);
                self.save()?;
            }
            outcome.idle = true;
        }
        for event in page.events {
            if event.event_type == retry::REQUESTED {
                match self.retry_requested(&event).await {
                    Ok(()) => {}
                    Err(WorkerError::Api(e)) if unreachable(&e) => {
                        self.breaker.failure(Instant::now());
                        return Err(e.into());
                    }
                    // A request that cannot be honoured must not hold up the agent's own work.
                    Err(e) => tracing::warn!(agent = self.agent.name(), event_id = %event.event_id, error = %e,
                        "retry request not honoured"),
                }
                self.checkpoint.cursor = Some(event.cursor.clone());
                self.save()?;
                continue;
            }
            match self.attempt(&event).await {
                Ok(()) => {}
                Err((e, _)) if unreachable(&e) => {
                    self.breaker.failure(Instant::now());
                    return Err(e.into());
                }
                Err((e, attempts)) => {
                    self.dead_letter(&event, &e, attempts).await?;
                    outcome.dead_lettered += 1;
                }
            }
            outcome.processed += 1;
            self.checkpoint.cursor = Some(event.cursor.clone());
            self.save()?;
        }
        outcome.polled = self.agent.poll(&self.api).await?;
        if outcome.polled > 0 {
            outcome.idle = false;
            self.save()?;
        }
        Ok(outcome)
    }

    /// Steps until a step finds nothing to do; returns the sum.
    pub async fn drain(&mut self) -> Result<StepOutcome, WorkerError> {
        let mut total = StepOutcome::default();
        loop {
            let o = self.step().await?;
            total.processed += o.processed;
            total.dead_lettered += o.dead_lettered;
            total.polled += o.polled;
            if o.idle || o.breaker_open {
                total.idle = o.idle;
                total.breaker_open = o.breaker_open;
                return Ok(total);
            }
        }
    }

    async fn attempt(&mut self, event: &LogEvent) -> Result<(), (ClientError, u32)> {
        let mut delay = self.retry.base_delay;
        let mut tries = 0;
        loop {
            tries += 1;
            match self.agent.handle(&self.api, event).await {
                Ok(()) => return Ok(()),
                Err(e) if e.class() == ErrorClass::Transient && tries < self.retry.attempts => {
                    tracing::warn!(agent = self.agent.name(), event_id = %event.event_id, code = %e.code(), tries,
                        "transient failure, retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => return Err((e, tries)),
            }
        }
    }

    async fn dead_letter(&mut self, event: &LogEvent, e: &ClientError, attempts: u32) -> Result<(), WorkerError> {
        let error_event_id = self.raise(event, e, attempts, &key(self.agent.name(), event, "error"), "").await?;
        self.checkpoint.dead_letters.push(DeadLetter {
            event_id: event.event_id.to_string(),
            event_type: event.event_type.clone(),
            stream_id: event.stream_id.to_string(),
            kind: class_label(e).to_owned(),
            code: e.code(),
            attempts,
            error_event_id,
        });
        Ok(())
    }

    /// Raises `AgentErrorRaised` for `event` (codes and ids only; `extra` is appended to the
    /// context) under the idempotency key `key`; answers the error event's id.
    async fn raise(
        &mut self,
        event: &LogEvent,
        e: &ClientError,
        attempts: u32,
        key: &str,
        extra: &str,
    ) -> Result<Option<String>, WorkerError> {
        use ops::raise_agent_error::ErrorKind;
        let kind = match e.class() {
            ErrorClass::Transient => ErrorKind::TRANSIENT,
            ErrorClass::Rejected => ErrorKind::REJECTED,
            ErrorClass::Permanent => ErrorKind::PERMANENT,
        };
        let code = e.code();
        tracing::warn!(agent = self.agent.name(), event_id = %event.event_id, event_type = %event.event_type,
            code = %code, attempts, "dead-lettered");
        let context = format!(
            "event={} type={} stream={} code={code} attempts={attempts}{extra}",
            event.event_id, event.event_type, event.stream_id
        );
        let vars = ops::raise_agent_error::Variables {
            agent: Some(self.agent.kind()),
            kind,
            context,
            command: Some(event.event_type.clone()),
            key: Some(key.to_owned()),
        };
        let written = self.api.run::<RaiseAgentError>(vars).await?;
        Ok(written.raise_agent_error.events.first().map(|e| e.event_id.clone()))
    }

    fn save(&mut self) -> std::io::Result<()> {
        self.checkpoint.state = self.agent.save_state();
        self.file.save(&self.checkpoint)
    }
}

/// The dead letter's `kind`.
fn class_label(e: &ClientError) -> &'static str {
    match e.class() {
        ErrorClass::Transient => "TRANSIENT",
        ErrorClass::Rejected => "REJECTED",
        ErrorClass::Permanent => "PERMANENT",
    }
}

/// The API did not answer at all: no item is at fault, so nothing is dead-lettered.
fn unreachable(e: &ClientError) -> bool {
    matches!(e, ClientError::Network(_)) || matches!(e, ClientError::Status(s) if *s >= 500 || *s == 429)
}

/// Steps `worker` until `shutdown` resolves: at once when the event subscription reports an
/// event of its types (or a retry request), after `idle_wait` otherwise, and without a pause
/// while there is work.
pub async fn run<A: Agent>(mut worker: Worker<A>, idle_wait: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let wake = Arc::new(tokio::sync::Notify::new());
    let name = worker.agent.name();
    let follower = tokio::spawn(wake::follow(
        name,
        worker.api.clone(),
        worker.event_types(),
        worker.checkpoint.cursor.clone(),
        Arc::clone(&wake),
    ));
    loop {
        let wait = match worker.step().await {
            Ok(outcome) if !outcome.idle => Duration::ZERO,
            Ok(_) => idle_wait,
            Err(e) => {
                tracing::warn!(agent = name, error = %e, "step failed");
                idle_wait
            }
        };
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(wait) => {}
            () = wake.notified() => {}
        }
    }
    follower.abort();
    tracing::info!(agent = name, "agent stopped");
}
