//! A campaign's state: its settings, its templates and whether it runs. Callers read the
//! approval policy and compliance texts from here before drafting.

use std::collections::BTreeMap;

use super::event::CampaignEvent;
use super::types::{AllocationStrategy, ApprovalPolicy, SenderIdentity, StrategyChange, Targeting, Template};

/// The campaign as it stands.
#[derive(Debug, Clone, Default)]
pub struct CampaignState {
    settings: Option<CampaignSettings>,
    templates: BTreeMap<String, TemplateRecord>,
    paused: bool,
}

/// A campaign's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignSettings {
    pub name: String,
    pub targeting: Targeting,
    pub allocation_strategy: AllocationStrategy,
    pub approval_policy: ApprovalPolicy,
    pub sender_identity: Option<SenderIdentity>,
    pub postal_address: Option<String>,
    pub ai_disclosure: String,
    pub first_contact_notice: String,
    pub follow_up_days: Vec<u32>,
}

/// A template and whether it was retired (retired templates stay for history).
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRecord {
    pub template: Template,
    pub retired: bool,
}

impl CampaignState {
    pub fn is_created(&self) -> bool {
        self.settings.is_some()
    }

    pub fn settings(&self) -> Option<&CampaignSettings> {
        self.settings.as_ref()
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Created and not paused: new outreach may start.
    pub fn is_active(&self) -> bool {
        self.is_created() && !self.paused
    }

    pub fn templates(&self) -> &BTreeMap<String, TemplateRecord> {
        &self.templates
    }

    pub fn template(&self, template_id: &str) -> Option<&TemplateRecord> {
        self.templates.get(template_id)
    }

    /// Templates that may still be used.
    pub fn active_templates(&self) -> impl Iterator<Item = &Template> + '_ {
        self.templates.values().filter(|t| !t.retired).map(|t| &t.template)
    }

    /// Whether a new draft needs a person's approval, under this campaign's policy. Without
    /// a campaign, it does: unknown means careful.
    pub fn requires_approval(&self, drafts_so_far: u32, confidence: f64) -> bool {
        self.settings.as_ref().is_none_or(|s| s.approval_policy.requires_approval(drafts_so_far, confidence))
    }

    pub(super) fn apply(mut self, event: CampaignEvent) -> Self {
        use CampaignEvent as E;
        match event {
            E::CampaignCreated {
                name,
                targeting,
                templates,
                allocation_strategy,
                approval_policy,
                sender_identity,
                postal_address,
                ai_disclosure,
                first_contact_notice,
                follow_up_days,
                created_by: _,
                at: _,
            } => {
                self.settings = Some(CampaignSettings {
                    name,
                    targeting,
                    allocation_strategy,
                    approval_policy,
                    sender_identity,
                    postal_address,
                    ai_disclosure,
                    first_contact_notice,
                    follow_up_days,
                });
                for template in templates {
                    self.add(template);
                }
            }
            E::StrategyUpdated { change, .. } => self.change(change),
            E::TemplateAdded { template, .. } => self.add(template),
            E::TemplateRetired { template_id, .. } => {
                if let Some(record) = self.templates.get_mut(&template_id) {
                    record.retired = true;
                }
            }
            E::CampaignPaused { .. } => self.paused = true,
            E::CampaignResumed { .. } => self.paused = false,
        }
        self
    }

    fn add(&mut self, template: Template) {
        self.templates.insert(template.id.clone(), TemplateRecord { template, retired: false });
    }

    fn change(&mut self, change: StrategyChange) {
        match change {
            StrategyChange::Targeting { targeting } => {
                if let Some(settings) = &mut self.settings {
                    settings.targeting = targeting;
                }
            }
            StrategyChange::TemplateWeights { weights } => {
                for (id, weight) in weights {
                    if let Some(record) = self.templates.get_mut(&id) {
                        record.template.weight = weight;
                    }
                }
            }
            StrategyChange::Thresholds { min_score, approval_policy } => {
                if let Some(settings) = &mut self.settings {
                    settings.targeting.min_score = min_score;
                    settings.approval_policy = approval_policy;
                }
            }
        }
    }
}
