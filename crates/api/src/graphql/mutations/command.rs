//! What every mutation shares: who issues it, its command id, running it, and its answer.

use async_graphql::{Context, SimpleObject, ID};
use chrono::{DateTime, Utc};
use esrs::Aggregate;
use reachspark_domain::{Actor, DomainEvent, ReserveSendError};
use reachspark_store::{AppendedEvent, CommandBus, CommandContext, CommandError, CommandOutcome, Position, Store};
use uuid::Uuid;

use crate::auth::{Permission, Principal};
use crate::clock::SharedClock;
use crate::graphql::leads::{allowed, store};
use crate::graphql::{ApiError, Code};

/// Namespace of command ids derived from idempotency keys.
const IDEMPOTENCY_NAMESPACE: Uuid = Uuid::from_u128(0x8f4e_1c2b_7a39_4d60_b5e8_03c9_d1a7_6e24);
const MAX_KEY_CHARS: usize = 200;

/// What a command wrote.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct CommandResult {
    /// The stream the command acted on.
    pub(crate) stream_id: ID,
    /// The stream's version after the command: pass it as `expectedVersion` next time.
    pub(crate) version: i64,
    /// True when this idempotency key had already been used: nothing new was written and
    /// these are the first call's events.
    pub(crate) replayed: bool,
    /// The id of what the command created, when it created something (a message, a
    /// reservation, a response); null otherwise.
    pub(crate) created_id: Option<ID>,
    /// The events written, in order, with their log positions.
    pub(crate) events: Vec<WrittenEvent>,
}

/// Where one written event landed in the log.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct WrittenEvent {
    pub(crate) event_id: ID,
    pub(crate) stream_id: ID,
    pub(crate) version: i64,
    /// Global position.
    pub(crate) position: i64,
    /// The `events` query's and subscription's cursor for this event.
    pub(crate) cursor: String,
}

impl From<&AppendedEvent> for WrittenEvent {
    fn from(e: &AppendedEvent) -> Self {
        let position = Position { transaction_id: e.transaction_id, global_position: e.global_position };
        Self {
            event_id: ID(e.event_id.to_string()),
            stream_id: ID(e.stream_id.to_string()),
            version: e.stream_version,
            position: e.global_position,
            cursor: position.to_string(),
        }
    }
}

impl CommandResult {
    pub(crate) fn new(stream_id: Uuid, version: i64, replayed: bool, events: &[AppendedEvent]) -> Self {
        Self {
            stream_id: ID(stream_id.to_string()),
            version,
            replayed,
            created_id: None,
            events: events.iter().map(WrittenEvent::from).collect(),
        }
    }

    /// Names what the command created.
    pub(crate) fn created(mut self, id: Uuid) -> Self {
        self.created_id = Some(ID(id.to_string()));
        self
    }
}

/// A mutation being issued: the verified caller, its command metadata and options.
pub(crate) struct Issuer<'a> {
    pub(crate) principal: &'a Principal,
    pub(crate) store: &'a Store,
    pub(crate) actor: Actor,
    pub(crate) now: DateTime<Utc>,
    pub(crate) expected_version: Option<i64>,
    context: CommandContext,
}

impl<'a> Issuer<'a> {
    /// Checks `permission` and the common options. The command id derives from the
    /// idempotency key, scoped by caller and mutation, so one client's key never replays
    /// another's command and one key cannot be reused for a different kind of command.
    pub(crate) fn new(
        ctx: &Context<'a>,
        permission: Permission,
        mutation: &'static str,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> Result<Self, ApiError> {
        let principal = allowed(ctx, permission)?;
        Self::for_principal(ctx, principal, mutation, expected_version, idempotency_key)
    }

    /// Like [`Issuer::new`] for a caller whose permission was checked already.
    pub(crate) fn for_principal(
        ctx: &Context<'a>,
        principal: &'a Principal,
        mutation: &'static str,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> Result<Self, ApiError> {
        if expected_version.is_some_and(|v| v < 0) {
            return Err(ApiError::validation("expectedVersion", "must be 0 (a new stream) or more"));
        }
        let now = ctx.data::<SharedClock>().map_err(|e| ApiError::internal(&e.message))?.now();
        let actor = principal.actor();
        let mut context = CommandContext::new(actor.clone(), now);
        if let Some(key) = idempotency_key {
            if key.trim().is_empty() || key.chars().count() > MAX_KEY_CHARS {
                return Err(ApiError::validation("idempotencyKey", "must be 1 to 200 characters"));
            }
            let scoped = format!("{}:{}\n{mutation}\n{key}", actor.kind.as_str(), actor.id);
            context = context.with_command_id(Uuid::new_v5(&IDEMPOTENCY_NAMESPACE, scoped.as_bytes()));
        }
        Ok(Self { principal, store: store(ctx)?, actor, now, expected_version, context })
    }

    /// The command's metadata.
    pub(crate) fn context(&self) -> &CommandContext {
        &self.context
    }

    /// An id for something this command creates: stable across retries with the same key.
    pub(crate) fn new_id(&self, what: &str) -> Uuid {
        Uuid::new_v5(&self.context.command_id, what.as_bytes())
    }

    pub(crate) fn bus(&self) -> CommandBus {
        CommandBus::new(self.store.clone())
    }

    /// Runs `command` on the aggregate `A` with id `stream_id`.
    pub(crate) async fn run<A>(&self, stream_id: Uuid, command: A::Command) -> Result<CommandResult, ApiError>
    where
        A: Aggregate + Send + Sync,
        A::Command: Clone + Send,
        A::Event: DomainEvent + Clone,
        A::State: Send + Sync,
        A::Error: Rejection,
    {
        let outcome = self.bus().execute::<A>(&self.context, stream_id, self.expected_version, command).await;
        outcome.map(|o| result(stream_id, &o)).map_err(command_error)
    }

    /// Loads an aggregate's state, `NOT_FOUND` (naming `field`) when its stream is empty.
    pub(crate) async fn existing<A>(&self, field: &str, id: Uuid) -> Result<A::State, ApiError>
    where
        A: Aggregate + Send + Sync,
        A::Event: DomainEvent + Clone,
        A::State: Send + Sync,
    {
        let (state, version) = self.bus().load::<A>(id).await.map_err(ApiError::from)?;
        if version == 0 {
            return Err(ApiError::new(Code::NotFound, format!("{field}: no {} with this id", A::NAME))
                .with("field", field.to_owned()));
        }
        Ok(state)
    }
}

pub(crate) fn result<S>(stream_id: Uuid, outcome: &CommandOutcome<S>) -> CommandResult {
    CommandResult::new(stream_id, outcome.version, outcome.replayed, &outcome.events)
}

/// A domain rejection, as the client sees it: `extensions.reason` is the error's stable
/// snake_case name; "does not exist" rejections are `NOT_FOUND`, the rest `VALIDATION`.
pub(crate) trait Rejection: std::error::Error {
    /// The stable reason code.
    fn reason(&self) -> &'static str;
}

impl<E> Rejection for E
where
    E: std::error::Error,
    for<'e> &'e E: Into<&'static str>,
{
    fn reason(&self) -> &'static str {
        self.into()
    }
}

/// [`ReserveSendError`] wraps the lead's or the account's rejection; report the inner one.
pub(crate) fn reserve_reason(e: &ReserveSendError) -> &'static str {
    match e {
        ReserveSendError::Lead(e) => e.reason(),
        ReserveSendError::Account(e) => e.reason(),
    }
}

pub(crate) fn rejection(message: String, reason: &'static str) -> ApiError {
    let code = match reason {
        "not_discovered" | "not_created" | "not_registered" => Code::NotFound,
        _ => Code::Validation,
    };
    ApiError::new(code, message).with("reason", reason)
}

/// Maps a command failure to the client's error: rejection, conflict, or internal.
pub(crate) fn command_error<E: Rejection>(err: CommandError<E>) -> ApiError {
    match err {
        CommandError::Rejected(e) => rejection(e.to_string(), e.reason()),
        other => not_rejected(other),
    }
}

/// The failures that are not the aggregate's rejection.
pub(crate) fn not_rejected<E: std::error::Error>(err: CommandError<E>) -> ApiError {
    match err {
        CommandError::Conflict { stream_id, expected, actual } => ApiError::new(
            Code::Conflict,
            format!("stream {stream_id} is at version {actual}, not the expected {expected}; reload and retry"),
        )
        .with("expectedVersion", expected)
        .with("actualVersion", actual),
        CommandError::Rejected(e) => rejection(e.to_string(), "rejected"),
        CommandError::Store(e) => ApiError::from(e),
    }
}
