//! Running commands: idempotency, optimistic concurrency with retry, and the typed outcome.

use esrs::manager::AggregateManager;
use esrs::{Aggregate, AggregateState};
use reachspark_domain::DomainEvent;
use uuid::Uuid;

use crate::aggregate::AggregateStore;
use crate::append::{AppendedEvent, CommandContext};
use crate::{Store, StoreError};

/// How often a command without an expected version is retried after losing a race.
pub(crate) const MAX_ATTEMPTS: u32 = 10;

/// A command that did not go through. A rejected command is not a failed one.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused the command; nothing was written.
    #[error("rejected: {0}")]
    Rejected(#[source] E),
    /// The stream was not at the expected version; nothing was written.
    #[error("version conflict on stream {stream_id}: expected {expected}, actual {actual}")]
    Conflict {
        /// The stream.
        stream_id: Uuid,
        /// The version the caller expected.
        expected: i64,
        /// The version it is at.
        actual: i64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A command that went through (or had already gone through).
#[derive(Debug, Clone)]
pub struct CommandOutcome<S> {
    /// The aggregate's state after the command.
    pub state: S,
    /// The stream's version after the command.
    pub version: i64,
    /// The events written (by this call, or by the first call when `replayed`).
    pub events: Vec<AppendedEvent>,
    /// True when this command id had already been applied: nothing new was written.
    pub replayed: bool,
}

/// Runs the domain's commands through esrs's `AggregateManager` on our store.
#[derive(Debug, Clone)]
pub struct CommandBus {
    store: Store,
}

impl CommandBus {
    /// A bus on `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Loads an aggregate: its state and version (0 when the stream does not exist).
    pub async fn load<A>(&self, aggregate_id: Uuid) -> Result<(A::State, i64), StoreError>
    where
        A: Aggregate + Send + Sync,
        A::Event: DomainEvent + Clone,
        A::State: Send + Sync,
    {
        let es = AggregateStore::<A>::new(
            self.store.clone(),
            CommandContext::new(reachspark_domain::Actor::system(), chrono::Utc::now()),
        );
        let state = AggregateManager::new(&es).load(aggregate_id).await?;
        Ok(state.map_or_else(
            || (A::State::default(), 0),
            |s| {
                let version = i64::from(*s.sequence_number());
                (s.into_inner(), version)
            },
        ))
    }

    /// Handles `command` on the aggregate `aggregate_id` with `ctx` as its metadata.
    ///
    /// With `expected_version`, a stream at another version fails with
    /// [`CommandError::Conflict`]; without it, a lost race is retried on fresh state. A command
    /// id seen before writes nothing and returns the first result.
    pub async fn execute<A>(
        &self,
        ctx: &CommandContext,
        aggregate_id: Uuid,
        expected_version: Option<i64>,
        command: A::Command,
    ) -> Result<CommandOutcome<A::State>, CommandError<A::Error>>
    where
        A: Aggregate + Send + Sync,
        A::Command: Clone + Send,
        A::Event: DomainEvent + Clone,
        A::State: Send + Sync,
    {
        if let Some(prior) = self.store.replay(ctx).await? {
            return self.replayed::<A>(aggregate_id, prior.events).await;
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let es = AggregateStore::<A>::new(self.store.clone(), ctx.clone());
            let manager = AggregateManager::new(&es);
            let state = manager.load(aggregate_id).await?.unwrap_or_else(|| AggregateState::with_id(aggregate_id));
            let version = i64::from(*state.sequence_number());
            if let Some(expected) = expected_version {
                if expected != version {
                    return Err(CommandError::Conflict { stream_id: aggregate_id, expected, actual: version });
                }
            }
            match manager.handle_command(state, command.clone()).await {
                Ok(Ok(new_state)) => {
                    let outcome = es.take_outcome();
                    return match outcome {
                        Some(o) if o.replayed => self.replayed::<A>(aggregate_id, o.events).await,
                        Some(o) => {
                            let version = o.events.last().map_or(version, |e| e.stream_version);
                            Ok(CommandOutcome { state: new_state, version, events: o.events, replayed: false })
                        }
                        None => Ok(CommandOutcome { state: new_state, version, events: Vec::new(), replayed: false }),
                    };
                }
                Ok(Err(rejection)) => return Err(CommandError::Rejected(rejection)),
                Err(StoreError::Conflict { stream_id, expected }) => {
                    if expected_version.is_some() || attempt >= MAX_ATTEMPTS {
                        let (_, actual) = self.load::<A>(stream_id).await?;
                        return Err(CommandError::Conflict { stream_id, expected, actual });
                    }
                    tracing::debug!(%stream_id, attempt, "lost an append race; retrying on fresh state");
                    backoff(attempt).await;
                }
                Err(other) => return Err(other.into()),
            }
        }
    }

    async fn replayed<A>(
        &self,
        aggregate_id: Uuid,
        events: Vec<AppendedEvent>,
    ) -> Result<CommandOutcome<A::State>, CommandError<A::Error>>
    where
        A: Aggregate + Send + Sync,
        A::Event: DomainEvent + Clone,
        A::State: Send + Sync,
    {
        let (state, version) = self.load::<A>(aggregate_id).await?;
        Ok(CommandOutcome { state, version, events, replayed: true })
    }
}

/// A short random pause before retrying a lost race, growing with each attempt, so that
/// writers contending for one stream spread out instead of colliding again.
pub(crate) async fn backoff(attempt: u32) {
    use rand::Rng;
    let ceiling = 1_u64 << attempt.min(7);
    let pause = rand::thread_rng().gen_range(0..=ceiling);
    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
}
