//! The agents' judgement with a language model where one is configured, and the rules where
//! not: [`Reasoner`] classifies and scores profiles, analyses replies and personalises drafts.
//!
//! The default is the rules engine, so everything runs offline and replays. With
//! `provider: openai` an agent asks any OpenAI-compatible chat completions endpoint (async-openai)
//! for JSON that must match a strict schema; the answer is checked again here (ranges, enum
//! values, our own vocabulary of signals) because a server may ignore the schema. Whatever goes
//! wrong — invalid answers after a retry, a spent daily token budget, an open circuit breaker, a
//! provider that fails or refuses — the rules decide, and the decision's rationale says why.
//!
//! A decision never quotes the model's free text: outputs, factors and rationales are built here
//! from validated enums and numbers, so decisions stay free of personal data. The decision names
//! the engine that actually decided (`Engine::Llm` with SHA-256 hashes of the exact request and
//! of the answer, or `Engine::Rules`) and carries the tokens and cost spent, failed attempts
//! included. Answers are cached by prompt hash; a cached answer costs nothing and says so.
//!
//! This is the async corner of the crate (tokio for timeouts and backoff). Time is injected
//! through [`Clock`], so tests run budgets, backoff and cool-downs without sleeping.

mod breaker;
mod budget;
mod client;
mod clock;
mod engine;
mod reasoner;
mod schema;
mod tasks;

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

pub use breaker::BreakerPolicy;
pub use budget::NanoPrice;
pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use engine::RetryPolicy;
pub use reasoner::{Personalised, ProfileJudgement, Reasoner, ReplyJudgement};

use crate::config::{LlmConfig, ModelPrices};

/// Why the rules decided although a model is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FallbackReason {
    /// Today's token budget is used up.
    BudgetSpent {
        /// The daily limit, in tokens.
        limit: u64,
    },
    /// The circuit breaker is open after repeated failures.
    CircuitOpen,
    /// Every answer failed validation.
    InvalidOutput {
        /// Answers asked for.
        attempts: u32,
        /// What was wrong with the last one, in our words (never the answer's text).
        problem: String,
    },
    /// Transient failures on every attempt.
    ProviderUnavailable {
        /// Requests made.
        attempts: u32,
        /// The last failure, e.g. `HTTP 503`.
        last: String,
    },
    /// The provider refused the request (a 4xx such as a bad key); not retried.
    ProviderRejected {
        /// e.g. `HTTP 401`.
        reason: String,
    },
}

impl fmt::Display for FallbackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BudgetSpent { limit } => write!(f, "the daily token budget of {limit} tokens is spent"),
            Self::CircuitOpen => write!(f, "the provider keeps failing and the circuit breaker is open"),
            Self::InvalidOutput { attempts, .. } => write!(f, "its answer failed validation {attempts} time(s)"),
            Self::ProviderUnavailable { attempts, last } => {
                write!(f, "the provider was unavailable on {attempts} attempt(s), last: {last}")
            }
            Self::ProviderRejected { reason } => write!(f, "the provider refused the request ({reason})"),
        }
    }
}

/// One agent's model settings at run time, from its `llm` config section; the retry and
/// breaker timings can be tightened by tests.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmSettings {
    /// The config section, e.g. `lead_finder`, for logs and errors.
    pub section: String,
    /// The endpoint, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Model name as the endpoint knows it.
    pub model: String,
    /// Upper bound on an answer's length.
    pub max_tokens: u32,
    /// Sampling temperature.
    pub temperature: f32,
    /// Per request.
    pub timeout: Duration,
    /// Tokens per UTC day.
    pub daily_token_budget: u64,
    /// Extra answers asked for when one fails validation.
    pub invalid_output_retries: u32,
    /// Transient failures.
    pub retry: RetryPolicy,
    /// Repeated failures.
    pub breaker: BreakerPolicy,
    /// Answers kept by prompt hash.
    pub cache_entries: NonZeroUsize,
    /// The model's price.
    pub price: NanoPrice,
}

impl LlmSettings {
    /// The settings of config section `section` (e.g. `outreach`), priced from `prices`.
    #[expect(clippy::cast_possible_truncation, reason = "temperature is validated to 0..=2")]
    pub fn from_config(section: &str, llm: &LlmConfig, prices: &ModelPrices) -> Self {
        Self {
            section: section.to_owned(),
            base_url: llm.base_url.clone(),
            model: llm.model.clone(),
            max_tokens: llm.max_tokens,
            temperature: llm.temperature as f32,
            timeout: Duration::from_secs(u64::from(llm.timeout_seconds)),
            daily_token_budget: llm.daily_token_budget,
            invalid_output_retries: llm.invalid_output_retries,
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy {
                failures: llm.circuit_breaker_failures,
                cooldown: Duration::from_secs(u64::from(llm.circuit_breaker_cooldown_seconds)),
            },
            cache_entries: usize::try_from(llm.cache_entries)
                .ok()
                .and_then(NonZeroUsize::new)
                .unwrap_or(NonZeroUsize::MIN),
            price: prices.get(&llm.model).map(NanoPrice::from).unwrap_or_default(),
        }
    }
}
