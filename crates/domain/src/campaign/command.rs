//! What may be asked of a campaign.

use chrono::{DateTime, Utc};

use super::types::{AllocationStrategy, ApprovalPolicy, SenderIdentity, StrategyChange, Targeting, Template};
use crate::decision::Decision;
use crate::event::Actor;

crate::commands! {
    /// A command to the Campaign aggregate; build one from its struct with `.into()`.
    enum CampaignCommand;

    /// Set a campaign up. Email templates need a sender identity and a postal address.
    CreateCampaign {
        name: String,
        targeting: Targeting,
        templates: Vec<Template>,
        allocation_strategy: AllocationStrategy,
        approval_policy: ApprovalPolicy,
        sender_identity: Option<SenderIdentity>,
        postal_address: Option<String>,
        ai_disclosure: String,
        first_contact_notice: String,
        follow_up_days: Vec<u32>,
        created_by: Actor,
        at: DateTime<Utc>,
    }
    /// Change targeting, template weights or thresholds, with a `StrategyChange` decision.
    UpdateStrategy { change: StrategyChange, decision: Decision, at: DateTime<Utc> }
    AddTemplate { template: Template, at: DateTime<Utc> }
    RetireTemplate { template_id: String, at: DateTime<Utc> }
    PauseCampaign { by: Actor, reason: String, at: DateTime<Utc> }
    ResumeCampaign { by: Actor, at: DateTime<Utc> }
}
