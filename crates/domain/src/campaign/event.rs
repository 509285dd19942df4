//! The campaign stream's persisted facts. Variant names are stored: never rename one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::types::{AllocationStrategy, ApprovalPolicy, SenderIdentity, StrategyChange, Targeting, Template};
use crate::decision::Decision;
use crate::event::{Actor, DomainEvent};

/// Something that happened to a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CampaignEvent {
    /// The campaign was set up, with its compliance texts.
    CampaignCreated {
        name: String,
        targeting: Targeting,
        templates: Vec<Template>,
        allocation_strategy: AllocationStrategy,
        approval_policy: ApprovalPolicy,
        sender_identity: Option<SenderIdentity>,
        postal_address: Option<String>,
        /// Told to every person the AI talks to (EU AI Act Art. 50).
        ai_disclosure: String,
        /// Who we are, why, the legitimate interest, the data's source, retention, rights and
        /// how to object (GDPR Art. 14, 21(4)).
        first_contact_notice: String,
        /// Days between follow-ups, in order.
        follow_up_days: Vec<u32>,
        created_by: Actor,
        at: DateTime<Utc>,
    },
    /// The strategy changed, with the decision that changed it.
    StrategyUpdated {
        change: StrategyChange,
        decision: Decision,
        at: DateTime<Utc>,
    },
    TemplateAdded {
        template: Template,
        at: DateTime<Utc>,
    },
    TemplateRetired {
        template_id: String,
        at: DateTime<Utc>,
    },
    CampaignPaused {
        by: Actor,
        reason: String,
        at: DateTime<Utc>,
    },
    CampaignResumed {
        by: Actor,
        at: DateTime<Utc>,
    },
}

impl CampaignEvent {
    /// The decision record this event carries, if it is one of the decided events.
    pub fn decision(&self) -> Option<&Decision> {
        match self {
            Self::StrategyUpdated { decision, .. } => Some(decision),
            Self::CampaignCreated { .. }
            | Self::TemplateAdded { .. }
            | Self::TemplateRetired { .. }
            | Self::CampaignPaused { .. }
            | Self::CampaignResumed { .. } => None,
        }
    }
}

impl DomainEvent for CampaignEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::CampaignCreated { .. } => "CampaignCreated",
            Self::StrategyUpdated { .. } => "StrategyUpdated",
            Self::TemplateAdded { .. } => "TemplateAdded",
            Self::TemplateRetired { .. } => "TemplateRetired",
            Self::CampaignPaused { .. } => "CampaignPaused",
            Self::CampaignResumed { .. } => "CampaignResumed",
        }
    }
}
