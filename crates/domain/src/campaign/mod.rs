//! The Campaign aggregate: what the sales department looks for and says, and the
//! compliance texts and policies every message of the campaign must carry. A campaign that
//! could not lawfully send (no notice, no AI disclosure, email without sender and address)
//! cannot be created.

mod command;
mod draft;
mod error;
mod event;
mod state;
mod types;

#[cfg(test)]
mod tests;

pub use command::{
    AddTemplate, CampaignCommand, CreateCampaign, PauseCampaign, ResumeCampaign, RetireTemplate, UpdateStrategy,
};
pub use draft::{DraftCheck, DraftError};
pub use error::CampaignError;
pub use event::CampaignEvent;
pub use state::{CampaignSettings, CampaignState, TemplateRecord};
pub use types::{AllocationStrategy, ApprovalPolicy, SenderIdentity, StrategyChange, Targeting, Template};

use std::collections::BTreeSet;

use crate::decision::DecisionKind;
use crate::sender_account::Channel;
use types::{validate_min_score, validate_weight};

/// The Campaign aggregate type.
#[derive(Debug, Clone, Copy)]
pub struct Campaign;

type Outcome = Result<Vec<CampaignEvent>, CampaignError>;

impl esrs::Aggregate for Campaign {
    const NAME: &'static str = "campaign";
    type State = CampaignState;
    type Command = CampaignCommand;
    type Event = CampaignEvent;
    type Error = CampaignError;

    fn handle_command(state: &CampaignState, command: CampaignCommand) -> Outcome {
        use CampaignCommand as C;
        match command {
            C::CreateCampaign(c) => create(state, c),
            C::UpdateStrategy(c) => update_strategy(state, c),
            C::AddTemplate(c) => add_template(state, c),
            C::RetireTemplate(c) => retire_template(state, c),
            C::PauseCampaign(c) => pause(state, c),
            C::ResumeCampaign(c) => resume(state, c),
        }
    }

    fn apply_event(state: CampaignState, payload: CampaignEvent) -> CampaignState {
        state.apply(payload)
    }
}

fn settings(state: &CampaignState) -> Result<&CampaignSettings, CampaignError> {
    state.settings().ok_or(CampaignError::NotCreated)
}

fn blank(text: Option<&str>) -> bool {
    text.is_none_or(|t| t.trim().is_empty())
}

/// CAN-SPAM: an email needs a sender of record and a physical postal address.
fn check_email_sender(
    templates: &[&Template],
    identity: Option<&SenderIdentity>,
    postal_address: Option<&str>,
) -> Result<(), CampaignError> {
    if !templates.iter().any(|t| t.channel == Channel::Email) {
        return Ok(());
    }
    if blank(identity.map(|i| i.organisation.as_str())) {
        return Err(CampaignError::MissingSenderIdentity);
    }
    if blank(postal_address) {
        return Err(CampaignError::MissingPostalAddress);
    }
    Ok(())
}

fn check_template(state: &CampaignState, template: &Template) -> Result<(), CampaignError> {
    if state.template(&template.id).is_some() {
        return Err(CampaignError::DuplicateTemplate(template.id.clone()));
    }
    validate_weight(&template.id, template.weight)
}

fn create(state: &CampaignState, c: CreateCampaign) -> Outcome {
    if state.is_created() {
        return Err(CampaignError::AlreadyCreated);
    }
    if c.templates.is_empty() {
        return Err(CampaignError::NoTemplates);
    }
    let mut ids = BTreeSet::new();
    for template in &c.templates {
        if !ids.insert(template.id.as_str()) {
            return Err(CampaignError::DuplicateTemplate(template.id.clone()));
        }
        validate_weight(&template.id, template.weight)?;
    }
    let templates: Vec<&Template> = c.templates.iter().collect();
    check_email_sender(&templates, c.sender_identity.as_ref(), c.postal_address.as_deref())?;
    if c.ai_disclosure.trim().is_empty() {
        return Err(CampaignError::MissingAiDisclosure);
    }
    if c.first_contact_notice.trim().is_empty() {
        return Err(CampaignError::MissingFirstContactNotice);
    }
    c.approval_policy.validate()?;
    validate_min_score(c.targeting.min_score)?;
    Ok(vec![CampaignEvent::CampaignCreated {
        name: c.name,
        targeting: c.targeting,
        templates: c.templates,
        allocation_strategy: c.allocation_strategy,
        approval_policy: c.approval_policy,
        sender_identity: c.sender_identity,
        postal_address: c.postal_address,
        ai_disclosure: c.ai_disclosure,
        first_contact_notice: c.first_contact_notice,
        follow_up_days: c.follow_up_days,
        created_by: c.created_by,
        at: c.at,
    }])
}

fn update_strategy(state: &CampaignState, c: UpdateStrategy) -> Outcome {
    settings(state)?;
    match &c.change {
        StrategyChange::Targeting { targeting } => validate_min_score(targeting.min_score)?,
        StrategyChange::TemplateWeights { weights } => {
            for (id, weight) in weights {
                let record = state.template(id).ok_or_else(|| CampaignError::UnknownTemplate(id.clone()))?;
                if record.retired {
                    return Err(CampaignError::TemplateAlreadyRetired(id.clone()));
                }
                validate_weight(id, *weight)?;
            }
        }
        StrategyChange::Thresholds { min_score, approval_policy } => {
            validate_min_score(*min_score)?;
            approval_policy.validate()?;
        }
    }
    c.decision.validate(DecisionKind::StrategyChange)?;
    Ok(vec![CampaignEvent::StrategyUpdated { change: c.change, decision: c.decision, at: c.at }])
}

fn add_template(state: &CampaignState, c: AddTemplate) -> Outcome {
    let settings = settings(state)?;
    check_template(state, &c.template)?;
    check_email_sender(&[&c.template], settings.sender_identity.as_ref(), settings.postal_address.as_deref())?;
    Ok(vec![CampaignEvent::TemplateAdded { template: c.template, at: c.at }])
}

fn retire_template(state: &CampaignState, c: RetireTemplate) -> Outcome {
    settings(state)?;
    let record = state.template(&c.template_id).ok_or_else(|| CampaignError::UnknownTemplate(c.template_id.clone()))?;
    if record.retired {
        return Err(CampaignError::TemplateAlreadyRetired(c.template_id));
    }
    if state.active_templates().count() <= 1 {
        return Err(CampaignError::LastActiveTemplate(c.template_id));
    }
    Ok(vec![CampaignEvent::TemplateRetired { template_id: c.template_id, at: c.at }])
}

fn pause(state: &CampaignState, c: PauseCampaign) -> Outcome {
    settings(state)?;
    if state.is_paused() {
        return Err(CampaignError::AlreadyPaused);
    }
    Ok(vec![CampaignEvent::CampaignPaused { by: c.by, reason: c.reason, at: c.at }])
}

fn resume(state: &CampaignState, c: ResumeCampaign) -> Outcome {
    settings(state)?;
    if !state.is_paused() {
        return Err(CampaignError::NotPaused);
    }
    Ok(vec![CampaignEvent::CampaignResumed { by: c.by, at: c.at }])
}
