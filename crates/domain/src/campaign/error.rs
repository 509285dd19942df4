//! Why a campaign command was rejected.

use crate::decision::DecisionError;

/// A rejected campaign command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum CampaignError {
    #[error("the campaign does not exist")]
    NotCreated,
    #[error("the campaign already exists")]
    AlreadyCreated,
    #[error("a campaign needs at least one template")]
    NoTemplates,
    #[error("template {0} already exists")]
    DuplicateTemplate(String),
    #[error("template {0} is unknown")]
    UnknownTemplate(String),
    #[error("template {0} is already retired")]
    TemplateAlreadyRetired(String),
    #[error("template {0} is the last active template")]
    LastActiveTemplate(String),
    #[error("template weight for {template_id} must be a finite number ≥ 0")]
    InvalidWeight { template_id: String },
    /// CAN-SPAM: email needs a sender of record.
    #[error("email templates need a sender identity")]
    MissingSenderIdentity,
    /// CAN-SPAM: email needs a physical postal address.
    #[error("email templates need a postal address")]
    MissingPostalAddress,
    /// EU AI Act Art. 50: people must be told they talk to an AI.
    #[error("an AI disclosure text is required")]
    MissingAiDisclosure,
    /// GDPR Art. 14: notice at first contact for data not collected from the person.
    #[error("a first-contact notice text is required")]
    MissingFirstContactNotice,
    #[error("a confidence threshold must be between 0 and 1")]
    InvalidApprovalPolicy,
    #[error("the minimum score must be between 0 and 10")]
    InvalidThreshold,
    #[error("the campaign is already paused")]
    AlreadyPaused,
    #[error("the campaign is not paused")]
    NotPaused,
    #[error("invalid decision: {0}")]
    InvalidDecision(#[from] DecisionError),
}
