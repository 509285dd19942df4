//! The agents' configuration, `config/agents.yaml`, shaped like the seed's YAML: one section per
//! agent with its language model, intervals, limits and thresholds.
//!
//! Every field has a default, so the file and any field in it are optional; unknown fields are
//! errors (a misspelt limit must not silently fall back to its default). API keys are never in
//! the file: a section names the environment variable that holds its key.

mod channels;
mod types;
mod validate;
mod validate_channels;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use channels::{
    ChannelsConfig, NotifyConfig, NotifyEmailConfig, ProviderConfig, SandboxChannelConfig, SmtpConfig, SmtpTls,
    WebhookConfig,
};
pub use reachspark_domain::campaign::AllocationStrategy;
pub use types::{
    secret_from_env, ApprovalConfig, BanditConfig, ChannelKind, ClockTime, GenerationMode, LeadSourceKind, LlmConfig,
    LlmProvider, ModelPrice, ModelPrices,
};
pub(crate) use validate_channels::is_loopback_host;

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not valid YAML, a wrong type, or an unknown field (the message names it and its line).
    #[error("invalid agents config: {0}")]
    Parse(#[from] serde_norway::Error),
    /// A value out of its allowed range.
    #[error("invalid agents config: {field}: {reason}")]
    Invalid {
        /// Dotted path of the field, e.g. `outreach.rate_limit_daily`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A real channel (or notification) was asked for while its section is not enabled.
    #[error("{section} is not enabled: real channels stay off unless `enabled: true` is set")]
    NotEnabled {
        /// Dotted path of the section, e.g. `channels.email`.
        section: String,
    },
    /// The environment variable named for an API key, password or secret URL is not set.
    #[error("{field}: environment variable {var} is not set")]
    MissingApiKey {
        /// Dotted path of the `api_key_env` field.
        field: String,
        /// The variable's name.
        var: String,
    },
}

/// All three agents' settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentsConfig {
    /// The department head.
    pub sales_manager: SalesManagerConfig,
    /// The prospector.
    pub lead_finder: LeadFinderConfig,
    /// The messenger.
    pub outreach: OutreachConfig,
    /// What each model's tokens cost, for the cost recorded on decisions.
    pub llm_prices: ModelPrices,
    /// Where messages can go; only the sandbox is on by default.
    pub channels: ChannelsConfig,
    /// Who hears about hot leads, and how.
    pub notify: NotifyConfig,
}

/// Sales Manager settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SalesManagerConfig {
    /// Strategy, reports and escalations.
    pub llm: LlmConfig,
    /// How often the allocation and monitoring step runs.
    pub coordination_interval_minutes: u32,
    /// When the daily report is published (UTC), `HH:MM`.
    pub report_time: ClockTime,
    pub allocation_strategy: AllocationStrategy,
    /// A reply rate below this raises a performance alert.
    pub alert_min_reply_rate: f64,
    /// An opt-out rate above this is flagged in the daily report and escalated.
    pub alert_max_opt_out_rate: f64,
    /// Sends needed over the last 7 days before a reply rate may raise an alert: fewer say
    /// too little to call anything a drop.
    pub alert_min_sends: u32,
    /// Agent failures (transient and permanent, not rejections) in one day that raise an
    /// error alert whatever the recent average.
    pub alert_max_errors_per_day: u32,
    /// Sends each of two templates needs before the worse one may be switched off.
    pub strategy_min_sends: u32,
    /// Where each daily report is also written as `daily-report-YYYY-MM-DD.md` (created if
    /// missing); none: the report is only published as an event.
    pub report_dir: Option<PathBuf>,
}

impl Default for SalesManagerConfig {
    fn default() -> Self {
        Self {
            llm: LlmConfig::default(),
            coordination_interval_minutes: 60,
            report_time: ClockTime { hour: 9, minute: 15 },
            allocation_strategy: AllocationStrategy::ByScore,
            alert_min_reply_rate: 0.05,
            alert_max_opt_out_rate: 0.05,
            alert_min_sends: 20,
            alert_max_errors_per_day: 50,
            strategy_min_sends: 100,
            report_dir: None,
        }
    }
}

/// Lead Finder settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeadFinderConfig {
    /// Profile analysis and classification beyond the rules.
    pub llm: LlmConfig,
    /// How often a search runs.
    pub search_interval_hours: u32,
    /// New leads per day at most, whatever the sources offer.
    pub max_leads_per_day: u32,
    /// Leads scoring below this (1–10) are not handed on.
    pub quality_threshold: u8,
    /// Where leads come from.
    pub source: LeadSourceKind,
    /// Seed of the sandbox world when `source` is `sandbox`.
    pub sandbox_seed: u64,
    /// Size of the sandbox world.
    pub sandbox_people: u32,
    /// The campaign the Lead Finder's own searches feed. Without it the Lead Finder only
    /// classifies and scores what others discover (CSV imports, `discoverLead`).
    pub campaign_id: Option<uuid::Uuid>,
    /// A classification less confident than this goes to a person.
    pub classification_review_below: f64,
}

impl Default for LeadFinderConfig {
    fn default() -> Self {
        Self {
            llm: LlmConfig::default(),
            search_interval_hours: 24,
            max_leads_per_day: 100,
            quality_threshold: 6,
            source: LeadSourceKind::Sandbox,
            sandbox_seed: 7,
            sandbox_people: 2000,
            campaign_id: None,
            classification_review_below: 0.6,
        }
    }
}

/// Outreach settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutreachConfig {
    /// Personalisation and reply analysis beyond the rules.
    pub llm: LlmConfig,
    /// Templates alone, or templates personalised by the model.
    pub message_generation_mode: GenerationMode,
    /// Where messages go; anything but `sandbox` sends to real people and must be chosen.
    pub channel: ChannelKind,
    /// How often replies are fetched from channels that are polled.
    pub response_check_interval_hours: u32,
    /// Actions per sender account per day.
    pub rate_limit_daily: u32,
    /// Shortest random gap between two actions of an account.
    pub rate_limit_min_interval_minutes: u32,
    /// Longest random gap between two actions of an account.
    pub rate_limit_max_interval_minutes: u32,
    /// Days between follow-ups, in order, for campaigns that set none.
    pub follow_up_days: Vec<u32>,
    /// A reply analysis less confident than this goes to a person.
    pub reply_review_below: f64,
    /// The agent's own approval floor.
    pub approval: ApprovalConfig,
    /// Template choice.
    pub bandit: BanditConfig,
}

impl Default for OutreachConfig {
    fn default() -> Self {
        Self {
            llm: LlmConfig::default(),
            message_generation_mode: GenerationMode::TemplateBased,
            channel: ChannelKind::Sandbox,
            response_check_interval_hours: 2,
            rate_limit_daily: 45,
            rate_limit_min_interval_minutes: 5,
            rate_limit_max_interval_minutes: 15,
            follow_up_days: vec![3, 7],
            reply_review_below: 0.6,
            approval: ApprovalConfig::default(),
            bandit: BanditConfig::default(),
        }
    }
}

impl AgentsConfig {
    /// Parses and validates YAML text.
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        // An empty file (or one with only comments) means "all defaults".
        let config: Self = if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            Self::default()
        } else {
            serde_norway::from_str(text)?
        };
        config.validate()?;
        Ok(config)
    }

    /// Reads `path` if it exists; the defaults if it does not.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_yaml(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read { path: path.display().to_string(), source }),
        }
    }
}

#[cfg(test)]
mod tests;
