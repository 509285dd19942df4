//! What every persisted event type promises the store, and who acts.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// An aggregate's event enum. Serialised adjacently tagged (`{"type": .., "data": ..}`): the
/// store keeps `type` in its `event_type` column and `data` as the payload.
///
/// Event type names are persisted: never rename a variant's serde name. A payload change bumps
/// [`DomainEvent::schema_version`] for that type and adds a step to [`DomainEvent::upcast`].
pub trait DomainEvent: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The persisted name of this event's type.
    fn event_type(&self) -> &'static str;

    /// The current schema version of an event type's payload.
    fn schema_version(_event_type: &str) -> i32 {
        1
    }

    /// Rewrites a payload stored at `from_version` into the current version's shape. A payload
    /// already at the current version passes through unchanged, so readers may skip the call.
    fn upcast(
        _event_type: &str,
        _from_version: i32,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, UpcastError> {
        Ok(payload)
    }
}

/// A stored payload could not be brought to the current schema.
#[derive(Debug, thiserror::Error)]
#[error("cannot upcast {event_type} from schema version {from_version}: {reason}")]
pub struct UpcastError {
    /// The event type.
    pub event_type: String,
    /// The stored schema version.
    pub from_version: i32,
    /// Why.
    pub reason: String,
}

/// Who issued a command or made a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// What kind of actor.
    pub kind: ActorKind,
    /// A stable identifier: agent name, user subject, or `system`.
    pub id: String,
}

impl Actor {
    /// An autonomous agent, e.g. `lead_finder`.
    pub fn agent(id: impl Into<String>) -> Self {
        Self { kind: ActorKind::Agent, id: id.into() }
    }

    /// A person, by their token subject.
    pub fn person(id: impl Into<String>) -> Self {
        Self { kind: ActorKind::Person, id: id.into() }
    }

    /// The system itself (migrations, maintenance, benchmarks).
    pub fn system() -> Self {
        Self { kind: ActorKind::System, id: "system".to_owned() }
    }
}

/// The kind of an [`Actor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// An autonomous agent.
    Agent,
    /// A human user.
    Person,
    /// The system.
    System,
}

impl ActorKind {
    /// The stored name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Person => "person",
            Self::System => "system",
        }
    }
}
