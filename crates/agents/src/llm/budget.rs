//! Tokens and what they cost: the daily budget per agent and the price of a response.
//!
//! The budget is counted in memory per UTC day of the injected clock; a restart forgets the
//! day's count (the decisions in the log still carry every token, for audit). It is checked
//! before each request, so one request may overshoot it by at most its own size.

use chrono::{DateTime, NaiveDate, Utc};
use reachspark_domain::LlmUsage;

use crate::config::ModelPrice;

/// A price in billionths of a dollar per 1,000 tokens, so that costs add up exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NanoPrice {
    /// Per 1,000 prompt tokens.
    pub prompt_per_1k: u64,
    /// Per 1,000 completion tokens.
    pub completion_per_1k: u64,
}

/// Dollars to nano-dollars; the configuration checks prices are finite and between 0 and 10.
#[expect(clippy::cast_possible_truncation, reason = "a whole number checked to be within u64 first")]
fn nanos(usd: f64) -> u64 {
    let nanos = (usd * 1e9).round();
    if nanos.is_finite() && (0.0..=1e15).contains(&nanos) {
        nanos as u64
    } else {
        0
    }
}

impl From<ModelPrice> for NanoPrice {
    fn from(price: ModelPrice) -> Self {
        Self { prompt_per_1k: nanos(price.prompt_per_1k_usd), completion_per_1k: nanos(price.completion_per_1k_usd) }
    }
}

impl NanoPrice {
    /// The usage of `prompt_tokens` in and `completion_tokens` out at this price (rounded to the
    /// nearest nano-dollar).
    pub fn usage(&self, prompt_tokens: u64, completion_tokens: u64) -> LlmUsage {
        let cost = u128::from(prompt_tokens) * u128::from(self.prompt_per_1k)
            + u128::from(completion_tokens) * u128::from(self.completion_per_1k);
        let cost_nano_usd = u64::try_from((cost + 500) / 1000).unwrap_or(u64::MAX);
        LlmUsage { prompt_tokens, completion_tokens, cost_nano_usd, cached: false }
    }
}

/// Adds two usages (of attempts of one decision).
pub(crate) fn add(a: LlmUsage, b: LlmUsage) -> LlmUsage {
    LlmUsage {
        prompt_tokens: a.prompt_tokens.saturating_add(b.prompt_tokens),
        completion_tokens: a.completion_tokens.saturating_add(b.completion_tokens),
        cost_nano_usd: a.cost_nano_usd.saturating_add(b.cost_nano_usd),
        cached: a.cached && b.cached,
    }
}

/// Tokens spent today against a daily limit.
#[derive(Debug)]
pub(crate) struct DailyBudget {
    limit: u64,
    day: Option<NaiveDate>,
    spent: u64,
}

impl DailyBudget {
    pub(crate) fn new(limit: u64) -> Self {
        Self { limit, day: None, spent: 0 }
    }

    fn roll(&mut self, now: DateTime<Utc>) {
        let today = now.date_naive();
        if self.day != Some(today) {
            self.day = Some(today);
            self.spent = 0;
        }
    }

    /// Whether today's tokens are used up.
    pub(crate) fn spent(&mut self, now: DateTime<Utc>) -> bool {
        self.roll(now);
        self.spent >= self.limit
    }

    /// Counts `tokens` against today.
    pub(crate) fn charge(&mut self, now: DateTime<Utc>, tokens: u64) {
        self.roll(now);
        self.spent = self.spent.saturating_add(tokens);
    }

    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }
}

/// A rough token count for a server that reports no usage: about four characters a token.
pub(crate) fn estimate_tokens(text: &str) -> u64 {
    u64::try_from(text.chars().count().div_ceil(4)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn cost_is_exact_in_nano_dollars() {
        let price = NanoPrice::from(ModelPrice { prompt_per_1k_usd: 0.000_15, completion_per_1k_usd: 0.000_6 });
        assert_eq!(price, NanoPrice { prompt_per_1k: 150_000, completion_per_1k: 600_000 });
        let usage = price.usage(1_000, 500);
        assert_eq!(usage.cost_nano_usd, 150_000 + 300_000);
        assert_eq!(NanoPrice::default().usage(1_000, 500).cost_nano_usd, 0, "an unknown model costs nothing");
        assert_eq!(price.usage(1, 0).cost_nano_usd, 150, "fractions of a token's price round");
    }

    #[test]
    fn the_budget_resets_at_utc_midnight() {
        let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).single().unwrap();
        let mut budget = DailyBudget::new(100);
        assert!(!budget.spent(day(2, 9)));
        budget.charge(day(2, 9), 60);
        assert!(!budget.spent(day(2, 10)));
        budget.charge(day(2, 23), 40);
        assert!(budget.spent(day(2, 23)));
        assert!(!budget.spent(day(3, 0)), "a new UTC day starts from zero");
    }

    #[test]
    fn tokens_are_estimated_by_length() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abcde"), 2);
    }
}
