//! The value types of the agents' configuration.

use std::fmt;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::bandit::{Bandit, BanditError};

/// Which engine makes an agent's judgements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LlmProvider {
    /// The deterministic rules engine: offline, free, replayable. The default.
    #[default]
    Rules,
    /// Any OpenAI-compatible endpoint (OpenAI, a local server, a proxy), at `base_url`.
    Openai,
}

/// One agent's language model. With `provider: rules` the other fields are not used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Rules (offline, the default) or an OpenAI-compatible endpoint.
    pub provider: LlmProvider,
    /// Model name as the endpoint knows it.
    pub model: String,
    /// The endpoint, e.g. a local server's `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// The NAME of the environment variable that holds the API key, never the key.
    pub api_key_env: String,
    /// Upper bound on a response's length.
    pub max_tokens: u32,
    /// Sampling temperature, 0–2; low keeps judgements repeatable.
    pub temperature: f64,
    /// Tokens per day; past it the agent falls back to the rules engine.
    pub daily_token_budget: u64,
    /// A request slower than this fails as transient.
    pub timeout_seconds: u32,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            provider: LlmProvider::Rules,
            model: "gpt-4o-mini".to_owned(),
            base_url: "https://api.openai.com/v1".to_owned(),
            api_key_env: "OPENAI_API_KEY".to_owned(),
            max_tokens: 500,
            temperature: 0.2,
            daily_token_budget: 200_000,
            timeout_seconds: 30,
        }
    }
}

impl LlmConfig {
    /// Reads the API key from the environment variable named by `api_key_env`. `field` is the
    /// section's dotted path, for the error.
    pub fn api_key(&self, field: &str) -> Result<SecretString, ConfigError> {
        secret_from_env(&format!("{field}.api_key_env"), &self.api_key_env)
    }
}

/// Reads the secret held by the environment variable `var`; `field` is the config field that
/// named it, for the error. A blank value counts as missing.
pub fn secret_from_env(field: &str, var: &str) -> Result<SecretString, ConfigError> {
    match std::env::var(var) {
        Ok(value) if !value.trim().is_empty() => Ok(SecretString::from(value)),
        _ => Err(ConfigError::MissingApiKey { field: field.to_owned(), var: var.to_owned() }),
    }
}

/// How Outreach writes messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GenerationMode {
    /// Campaign templates filled in by the rules engine.
    #[default]
    TemplateBased,
    /// Templates personalised by the configured model (falls back to templates without one).
    LlmEnhanced,
}

/// Where Outreach sends. Only `sandbox` is safe to run without thought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// The sandbox world answers; nothing leaves the machine.
    #[default]
    Sandbox,
    /// Real email through SMTP.
    Email,
    /// A LinkedIn automation provider's HTTP API.
    LinkedinProvider,
}

/// Where Lead Finder looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSourceKind {
    /// The sandbox world.
    #[default]
    Sandbox,
    /// CSV files in the seed's sheet columns.
    Csv,
    /// Speaker and team pages.
    Web,
}

/// Outreach's own approval floor, on top of each campaign's policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalConfig {
    /// Drafts less confident than this go to a person whatever the campaign policy says.
    pub min_confidence: f64,
}

impl Default for ApprovalConfig {
    fn default() -> Self {
        Self { min_confidence: 0.5 }
    }
}

/// Thompson sampling settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BanditConfig {
    /// Beta prior α for every template.
    pub prior_alpha: f64,
    /// Beta prior β for every template.
    pub prior_beta: f64,
    /// Draws per propensity estimate.
    pub monte_carlo_draws: u32,
    /// Segment by class and seniority instead of class alone (learns more slowly).
    pub segment_by_seniority: bool,
}

impl BanditConfig {
    /// An empty bandit with this prior and number of draws.
    pub fn build(&self) -> Result<Bandit, BanditError> {
        Bandit::new(self.prior_alpha, self.prior_beta, self.monte_carlo_draws)
    }
}

impl Default for BanditConfig {
    fn default() -> Self {
        Self { prior_alpha: 1.0, prior_beta: 1.0, monte_carlo_draws: 200, segment_by_seniority: false }
    }
}

/// A time of day, written `HH:MM` (24-hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime {
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl TryFrom<String> for ClockTime {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let bad = || format!("expected a time as HH:MM, got {text:?}");
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        let (hour, minute): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if hour > 23 || minute > 59 || m.len() != 2 {
            return Err(bad());
        }
        Ok(Self { hour, minute })
    }
}

impl Serialize for ClockTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::try_from(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}
