//! The guarded call: cache, daily budget, circuit breaker, retries with exponential backoff for
//! transient failures, and validation of the answer with a second chance. Whatever goes wrong
//! ends in a [`FallbackReason`], never in an error: the caller then lets the rules decide.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use lru::LruCache;
use reachspark_domain::LlmUsage;
use secrecy::SecretString;

use super::breaker::{Breaker, BreakerPolicy};
use super::budget::{self, DailyBudget, NanoPrice};
use super::client::{self, Completion, Prompt, Provider, SendError};
use super::{Clock, FallbackReason, LlmSettings};

/// How transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests in all, the first included (the issue asks for at most 3).
    pub max_attempts: u32,
    /// The pause after the first failure; it doubles after each further one.
    pub first_delay: Duration,
    /// The longest pause.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 3, first_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8) }
    }
}

impl RetryPolicy {
    /// The pause after failed attempt number `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// A valid answer and what it cost.
#[derive(Debug, Clone)]
pub(crate) struct Answer<T> {
    pub(crate) value: T,
    pub(crate) prompt_hash: String,
    pub(crate) response_hash: String,
    pub(crate) usage: LlmUsage,
}

/// No valid answer: why, and the tokens spent finding that out.
#[derive(Debug, Clone)]
pub(crate) struct Fallback {
    pub(crate) reason: FallbackReason,
    pub(crate) usage: Option<LlmUsage>,
}

#[derive(Debug)]
struct State {
    budget: DailyBudget,
    breaker: Breaker,
    cache: LruCache<String, String>,
}

/// One agent's model: its endpoint, and the memory of its spend, failures and answers.
#[derive(Debug)]
pub(crate) struct Engine {
    pub(crate) settings: LlmSettings,
    pub(crate) provider_name: String,
    provider: Provider,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl Engine {
    pub(crate) fn new(settings: LlmSettings, api_key: &SecretString, clock: Arc<dyn Clock>) -> Self {
        let provider = Provider::new(
            &settings.base_url,
            api_key,
            &settings.model,
            settings.max_tokens,
            settings.temperature,
            settings.timeout,
        );
        let state = State {
            budget: DailyBudget::new(settings.daily_token_budget),
            breaker: Breaker::new(BreakerPolicy { failures: settings.breaker.failures.max(1), ..settings.breaker }),
            cache: LruCache::new(settings.cache_entries.max(NonZeroUsize::MIN)),
        };
        let provider_name = client::provider_name(&settings.base_url);
        Self { settings, provider_name, provider, clock, state: Mutex::new(state) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the circuit breaker is refusing requests right now.
    pub(crate) fn breaker_open(&self) -> bool {
        self.state().breaker.is_open()
    }

    /// Asks `prompt` and reads the answer with `parse`, which checks it fully (shape, ranges,
    /// vocabulary) and says what is wrong in words free of the answer's own text.
    pub(crate) async fn ask<T>(
        &self,
        prompt: &Prompt,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Answer<T>, Fallback> {
        let request = self.provider.request(prompt);
        let prompt_hash = client::prompt_hash(&request);
        let cached = self.state().cache.get(&prompt_hash).cloned();
        if let Some(content) = cached {
            if let Ok(value) = parse(&content) {
                let usage = LlmUsage { cached: true, ..LlmUsage::default() };
                return Ok(Answer { value, prompt_hash, response_hash: client::sha256_hex(content.as_bytes()), usage });
            }
        }

        let mut spent: Option<LlmUsage> = None;
        let outputs = 1 + self.settings.invalid_output_retries;
        let mut problem = String::new();
        for output in 1..=outputs {
            let limit = {
                let mut state = self.state();
                state.budget.spent(self.clock.now()).then(|| state.budget.limit())
            };
            if let Some(limit) = limit {
                return Err(Fallback { reason: FallbackReason::BudgetSpent { limit }, usage: spent });
            }
            let completion = match self.send_with_retries(prompt.task, &request).await {
                Ok(completion) => completion,
                Err(reason) => return Err(Fallback { reason, usage: spent }),
            };
            let usage = self.charge(prompt, &completion);
            spent = Some(spent.map_or(usage, |s| budget::add(s, usage)));
            let parsed = completion.content.as_deref().ok_or_else(|| "no answer text".to_owned()).and_then(&parse);
            match parsed {
                Ok(value) => {
                    let content = completion.content.unwrap_or_default();
                    let response_hash = client::sha256_hex(content.as_bytes());
                    self.state().cache.put(prompt_hash.clone(), content);
                    return Ok(Answer { value, prompt_hash, response_hash, usage: spent.unwrap_or(usage) });
                }
                Err(why) => {
                    let agent = self.settings.section.as_str();
                    tracing::debug!(agent, task = prompt.task, output, %why, "answer rejected");
                    problem = why;
                }
            }
        }
        Err(Fallback { reason: FallbackReason::InvalidOutput { attempts: outputs, problem }, usage: spent })
    }

    /// Counts the completion's tokens against today's budget and prices them.
    fn charge(&self, prompt: &Prompt, completion: &Completion) -> LlmUsage {
        let (prompt_tokens, completion_tokens) = completion.usage.unwrap_or_else(|| {
            let sent = budget::estimate_tokens(&prompt.system) + budget::estimate_tokens(&prompt.user);
            (sent, completion.content.as_deref().map_or(0, budget::estimate_tokens))
        });
        let usage = self.price().usage(prompt_tokens, completion_tokens);
        self.state().budget.charge(self.clock.now(), usage.total_tokens());
        usage
    }

    fn price(&self) -> NanoPrice {
        self.settings.price
    }

    async fn send_with_retries(
        &self,
        task: &'static str,
        request: &async_openai::types::chat::CreateChatCompletionRequest,
    ) -> Result<Completion, FallbackReason> {
        let policy = self.settings.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if !self.state().breaker.allow(self.clock.now()) {
                return Err(FallbackReason::CircuitOpen);
            }
            let result = self.provider.send(request.clone()).await;
            let now = self.clock.now();
            match result {
                Ok(completion) => {
                    self.state().breaker.success();
                    return Ok(completion);
                }
                // The server answered, just not in the protocol: a validation problem, not an outage.
                Err(SendError::Malformed) => {
                    self.state().breaker.success();
                    return Ok(Completion { content: None, usage: None });
                }
                Err(SendError::Permanent(reason)) => {
                    self.state().breaker.failure(now);
                    return Err(FallbackReason::ProviderRejected { reason });
                }
                Err(SendError::Transient(last)) => {
                    self.state().breaker.failure(now);
                    tracing::debug!(agent = %self.settings.section, task, attempt, reason = %last, "request failed");
                    if attempt >= policy.max_attempts {
                        return Err(FallbackReason::ProviderUnavailable { attempts: attempt, last });
                    }
                    self.clock.sleep(policy.delay(attempt)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!([p.delay(1), p.delay(2), p.delay(3)], [500, 1000, 2000].map(Duration::from_millis));
        assert_eq!(p.delay(40), Duration::from_secs(8));
    }
}
