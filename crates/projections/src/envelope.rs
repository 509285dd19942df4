//! Events decoded once per batch and shared by every projection that reads the batch.

use reachspark_domain::agent::{Agent, AgentEvent};
use reachspark_domain::campaign::{Campaign, CampaignEvent};
use reachspark_domain::lead::{Lead, LeadEvent};
use reachspark_domain::sender_account::{SenderAccount, SenderAccountEvent};
use reachspark_domain::Actor;
use reachspark_store::{RawEvent, StoreError};
use serde::Deserialize;
use uuid::Uuid;

/// A stored event and its domain type.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// As stored: payload and metadata as JSON text (personal data opened, or `{"$pii": null}`
    /// after erasure).
    pub recorded: RawEvent,
    /// As the domain knows it.
    pub decoded: Decoded,
    /// The parts of the metadata the read models use.
    context: Context,
}

/// Who wrote the event, from its metadata; absent parts stay `None` (the models that need them
/// report the event).
#[derive(Debug, Clone, Default, Deserialize)]
struct Context {
    #[serde(default)]
    actor: Option<Actor>,
    #[serde(default)]
    command_id: Option<Uuid>,
}

/// The domain event of a stored event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Decoded {
    /// A lead's event.
    Lead(LeadEvent),
    /// A sender account's event.
    SenderAccount(SenderAccountEvent),
    /// A campaign's event.
    Campaign(CampaignEvent),
    /// An agent's event.
    Agent(AgentEvent),
    /// A stream type no read model knows (kept so checkpoints still move past it).
    Other,
}

impl Decoded {
    /// The domain event of `recorded`, by its stream type.
    pub fn of(recorded: &RawEvent) -> Result<Self, StoreError> {
        use esrs::Aggregate as _;
        Ok(match recorded.stream_type.as_str() {
            t if t == Lead::NAME => Decoded::Lead(recorded.decode()?),
            t if t == SenderAccount::NAME => Decoded::SenderAccount(recorded.decode()?),
            t if t == Campaign::NAME => Decoded::Campaign(recorded.decode()?),
            t if t == Agent::NAME => Decoded::Agent(recorded.decode()?),
            _ => Decoded::Other,
        })
    }
}

impl Envelope {
    /// Decodes by stream type, upcasting old schema versions. The runner decodes with
    /// [`Decoded::of`] too: one mapping, so tests and the runner cannot disagree.
    pub fn decode(recorded: RawEvent) -> Result<Self, StoreError> {
        let decoded = Decoded::of(&recorded)?;
        Ok(Self::new(recorded, decoded))
    }

    pub(crate) fn new(recorded: RawEvent, decoded: Decoded) -> Self {
        let context = serde_json::from_str(&recorded.metadata).unwrap_or_default();
        Self { recorded, decoded, context }
    }

    /// The actor id from the event's metadata (`agent`, person subject, or `system`).
    pub fn actor_id(&self) -> Option<&str> {
        self.context.actor.as_ref().map(|a| a.id.as_str())
    }

    /// The actor kind from the metadata: `agent`, `person` or `system`.
    pub fn actor_kind(&self) -> Option<&str> {
        self.context.actor.as_ref().map(|a| a.kind.as_str())
    }

    /// The command id from the metadata.
    pub fn command_id(&self) -> Option<Uuid> {
        self.context.command_id
    }
}
