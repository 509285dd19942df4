//! Campaigns: creation with their compliance texts, strategy updates with a rationale,
//! templates, pause and resume.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, InputObject, Object, OneofObject, ID};
use reachspark_domain::campaign::{
    AddTemplate, ApprovalPolicy, CreateCampaign, PauseCampaign, ResumeCampaign, RetireTemplate, SenderIdentity,
    StrategyChange, Targeting, Template, UpdateStrategy,
};
use reachspark_domain::decision::DecisionKind;
use reachspark_domain::Campaign;

use super::command::{CommandResult, Issuer};
use super::inputs::{step, text, uuid, Channel, DecisionInput, LeadClass};
use crate::auth::Permission;
use crate::graphql::ApiError;

/// How leads are spread over sender accounts.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::campaign::AllocationStrategy")]
pub(crate) enum AllocationStrategy {
    RoundRobin,
    LeastLoaded,
    ByScore,
}

/// When drafts wait for a person.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub(crate) enum ApprovalMode {
    /// Every draft.
    Always,
    /// No draft.
    Never,
    /// The campaign's first `firstN` drafts.
    FirstN,
    /// Drafts whose confidence is below `belowConfidence`.
    BelowConfidence,
}

/// An approval policy: a mode and its parameter.
#[derive(InputObject, Debug)]
pub(crate) struct ApprovalPolicyInput {
    mode: ApprovalMode,
    first_n: Option<i32>,
    below_confidence: Option<f64>,
}

impl ApprovalPolicyInput {
    fn into_policy(self, field: &str) -> Result<ApprovalPolicy, ApiError> {
        Ok(match self.mode {
            ApprovalMode::Always => ApprovalPolicy::Always,
            ApprovalMode::Never => ApprovalPolicy::Never,
            ApprovalMode::FirstN => {
                let n = self.first_n.and_then(|n| u32::try_from(n).ok());
                ApprovalPolicy::FirstN(n.ok_or_else(|| ApiError::validation(&format!("{field}.firstN"), "give n ≥ 0"))?)
            }
            ApprovalMode::BelowConfidence => match self.below_confidence {
                Some(t) if (0.0..=1.0).contains(&t) => ApprovalPolicy::BelowConfidence(t),
                _ => return Err(ApiError::validation(&format!("{field}.belowConfidence"), "give a value in [0, 1]")),
            },
        })
    }
}

/// Whom a campaign looks for.
#[derive(InputObject, Debug)]
pub(crate) struct TargetingInput {
    #[graphql(default)]
    classes: Vec<LeadClass>,
    #[graphql(default)]
    keywords: Vec<String>,
    #[graphql(default)]
    locations: Vec<String>,
    /// 0 to 10; 0 means no threshold.
    #[graphql(default)]
    min_score: i32,
}

impl TargetingInput {
    fn into_targeting(self, field: &str) -> Result<Targeting, ApiError> {
        let min_score = u8::try_from(self.min_score)
            .ok()
            .filter(|s| *s <= 10)
            .ok_or_else(|| ApiError::validation(&format!("{field}.minScore"), "must be between 0 and 10"))?;
        Ok(Targeting {
            classes: self.classes.into_iter().map(Into::into).collect(),
            keywords: self.keywords,
            locations: self.locations,
            min_score,
        })
    }
}

/// A message template; its body holds placeholders such as `{first_name}`, never personal data.
#[derive(InputObject, Debug)]
pub(crate) struct TemplateInput {
    /// Stable id, e.g. `speaker-first-v1`.
    id: String,
    channel: Channel,
    /// 0 for the first contact, n for the n-th follow-up.
    step_number: i32,
    body: String,
    /// Relative weight (a bandit's prior), ≥ 0.
    #[graphql(default = 1.0)]
    weight: f64,
}

impl TemplateInput {
    fn into_template(self, field: &str) -> Result<Template, ApiError> {
        text(&format!("{field}.id"), &self.id, 100)?;
        text(&format!("{field}.body"), &self.body, 20_000)?;
        Ok(Template {
            id: self.id,
            channel: self.channel.into(),
            step: step(&format!("{field}.stepNumber"), self.step_number)?,
            body: self.body,
            weight: self.weight,
        })
    }
}

/// The sender of record (CAN-SPAM).
#[derive(InputObject, Debug)]
pub(crate) struct SenderIdentityInput {
    organisation: String,
    sender_name: String,
    reply_to: Option<String>,
}

/// A new template weight.
#[derive(InputObject, Debug)]
pub(crate) struct TemplateWeightInput {
    template_id: String,
    weight: f64,
}

/// New score threshold and approval policy.
#[derive(InputObject, Debug)]
pub(crate) struct ThresholdsInput {
    min_score: i32,
    approval_policy: ApprovalPolicyInput,
}

/// What a strategy update changes: exactly one of these.
#[derive(OneofObject, Debug)]
pub(crate) enum StrategyChangeInput {
    Targeting(TargetingInput),
    TemplateWeights(Vec<TemplateWeightInput>),
    Thresholds(ThresholdsInput),
}

/// A new campaign.
#[derive(InputObject, Debug)]
pub(crate) struct CreateCampaignInput {
    name: String,
    targeting: TargetingInput,
    templates: Vec<TemplateInput>,
    allocation_strategy: AllocationStrategy,
    approval_policy: ApprovalPolicyInput,
    sender_identity: Option<SenderIdentityInput>,
    /// Required when any template is an email.
    postal_address: Option<String>,
    /// Told to every person who receives machine-written text (EU AI Act Art. 50).
    ai_disclosure: String,
    /// Carried by every first message (GDPR Art. 14 and the right to object).
    first_contact_notice: String,
    /// Days after the previous message at which follow-ups are due.
    #[graphql(default)]
    follow_up_days: Vec<i32>,
}

#[derive(Default, Debug)]
pub(crate) struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// Sets a campaign up. A campaign that could not lawfully send (no notice, no AI
    /// disclosure, email without sender and address) is refused. `createdId` is its id.
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, Permission::ManageCampaigns, "createCampaign", Some(0), idempotency_key)?;
        text("input.name", &input.name, 200)?;
        text("input.aiDisclosure", &input.ai_disclosure, 2_000)?;
        text("input.firstContactNotice", &input.first_contact_notice, 5_000)?;
        if input.templates.len() > 100 {
            return Err(ApiError::validation("input.templates", "at most 100 templates").into());
        }
        let templates = input
            .templates
            .into_iter()
            .enumerate()
            .map(|(i, t)| t.into_template(&format!("input.templates[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let follow_up_days = input
            .follow_up_days
            .iter()
            .map(|d| u32::try_from(*d).ok().filter(|d| (1..=365).contains(d)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ApiError::validation("input.followUpDays", "each must be 1 to 365 days"))?;
        let campaign_id = issuer.new_id("campaign");
        let command = CreateCampaign {
            name: input.name,
            targeting: input.targeting.into_targeting("input.targeting")?,
            templates,
            allocation_strategy: input.allocation_strategy.into(),
            approval_policy: input.approval_policy.into_policy("input.approvalPolicy")?,
            sender_identity: input.sender_identity.map(|s| SenderIdentity {
                organisation: s.organisation,
                sender_name: s.sender_name,
                reply_to: s.reply_to,
            }),
            postal_address: input.postal_address,
            ai_disclosure: input.ai_disclosure,
            first_contact_notice: input.first_contact_notice,
            follow_up_days,
            created_by: issuer.actor.clone(),
            at: issuer.now,
        };
        Ok(issuer.run::<Campaign>(campaign_id, command.into()).await?.created(campaign_id))
    }

    /// Changes targeting, template weights or thresholds, with the rationale as a decision.
    async fn update_strategy(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        change: StrategyChangeInput,
        decision: DecisionInput,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, Permission::UpdateStrategy, "updateStrategy", expected_version, idempotency_key)?;
        let campaign_id = uuid("campaignId", &campaign_id)?;
        let (change, output) = match change {
            StrategyChangeInput::Targeting(t) => {
                (StrategyChange::Targeting { targeting: t.into_targeting("change.targeting")? }, "targeting")
            }
            StrategyChangeInput::TemplateWeights(weights) => {
                let weights: BTreeMap<String, f64> = weights.into_iter().map(|w| (w.template_id, w.weight)).collect();
                (StrategyChange::TemplateWeights { weights }, "template_weights")
            }
            StrategyChangeInput::Thresholds(t) => {
                let min_score = u8::try_from(t.min_score)
                    .ok()
                    .filter(|s| *s <= 10)
                    .ok_or_else(|| ApiError::validation("change.thresholds.minScore", "must be between 0 and 10"))?;
                let approval_policy = t.approval_policy.into_policy("change.thresholds.approvalPolicy")?;
                (StrategyChange::Thresholds { min_score, approval_policy }, "thresholds")
            }
        };
        let decision = decision.into_decision(DecisionKind::StrategyChange, output, &issuer.actor)?;
        let command = UpdateStrategy { change, decision, at: issuer.now };
        Ok(issuer.run::<Campaign>(campaign_id, command.into()).await?)
    }

    /// Adds a template.
    async fn add_template(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        template: TemplateInput,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, Permission::ManageCampaigns, "addTemplate", expected_version, idempotency_key)?;
        let campaign_id = uuid("campaignId", &campaign_id)?;
        let command = AddTemplate { template: template.into_template("template")?, at: issuer.now };
        Ok(issuer.run::<Campaign>(campaign_id, command.into()).await?)
    }

    /// Retires a template (it stays for history; the last active one cannot go).
    async fn retire_template(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        template_id: String,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let perm = Permission::ManageCampaigns;
        let issuer = Issuer::new(ctx, perm, "retireTemplate", expected_version, idempotency_key)?;
        let campaign_id = uuid("campaignId", &campaign_id)?;
        let command = RetireTemplate { template_id, at: issuer.now };
        Ok(issuer.run::<Campaign>(campaign_id, command.into()).await?)
    }

    /// Stops new outreach for the campaign.
    async fn pause_campaign(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        reason: String,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, Permission::ManageCampaigns, "pauseCampaign", None, idempotency_key)?;
        let campaign_id = uuid("campaignId", &campaign_id)?;
        text("reason", &reason, 2_000)?;
        let command = PauseCampaign { by: issuer.actor.clone(), reason, at: issuer.now };
        Ok(issuer.run::<Campaign>(campaign_id, command.into()).await?)
    }

    /// Lets outreach start again.
    async fn resume_campaign(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, Permission::ManageCampaigns, "resumeCampaign", None, idempotency_key)?;
        let campaign_id = uuid("campaignId", &campaign_id)?;
        let command = ResumeCampaign { by: issuer.actor.clone(), at: issuer.now };
        Ok(issuer.run::<Campaign>(campaign_id, command.into()).await?)
    }
}
