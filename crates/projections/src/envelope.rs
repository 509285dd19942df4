//! Events decoded once per batch and shared by every projection that reads the batch.

use reachspark_domain::agent::{Agent, AgentEvent};
use reachspark_domain::campaign::{Campaign, CampaignEvent};
use reachspark_domain::lead::{Lead, LeadEvent};
use reachspark_domain::sender_account::{SenderAccount, SenderAccountEvent};
use reachspark_store::{RecordedEvent, StoreError};

/// A stored event and its domain type.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// As stored (personal data opened, or `{"$pii": null}` after erasure).
    pub recorded: RecordedEvent,
    /// As the domain knows it.
    pub decoded: Decoded,
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
    pub fn of(recorded: &RecordedEvent) -> Result<Self, StoreError> {
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
    pub fn decode(recorded: RecordedEvent) -> Result<Self, StoreError> {
        let decoded = Decoded::of(&recorded)?;
        Ok(Self { recorded, decoded })
    }

    /// The actor id from the event's metadata (`agent`, person subject, or `system`).
    pub fn actor_id(&self) -> Option<&str> {
        self.recorded.metadata["actor"]["id"].as_str()
    }

    /// The actor kind from the metadata: `agent`, `person` or `system`.
    pub fn actor_kind(&self) -> Option<&str> {
        self.recorded.metadata["actor"]["kind"].as_str()
    }

    /// The command id from the metadata.
    pub fn command_id(&self) -> Option<uuid::Uuid> {
        self.recorded.metadata["command_id"].as_str().and_then(|s| s.parse().ok())
    }
}
