//! Range checks that serde cannot express. Each error names the field by its dotted path.

use super::types::{BanditConfig, LlmConfig, LlmProvider, ModelPrices};
use super::{AgentsConfig, ConfigError};

pub(super) fn invalid(field: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { field: field.to_owned(), reason: reason.into() }
}

pub(super) fn positive(field: &str, value: u32) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(invalid(field, "must be at least 1"));
    }
    Ok(())
}

fn probability(field: &str, value: f64) -> Result<(), ConfigError> {
    if !(0.0..=1.0).contains(&value) {
        return Err(invalid(field, format!("must be between 0 and 1, got {value}")));
    }
    Ok(())
}

/// An environment variable name: letters, digits and `_`, not starting with a digit.
fn env_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A field that names the environment variable holding a secret. A secret pasted where its
/// variable's name belongs would end up in logs and in git.
pub(super) fn secret_env(field: &str, name: &str) -> Result<(), ConfigError> {
    if !env_var_name(name) || name.starts_with("sk_") || name.len() > 64 {
        return Err(invalid(
            field,
            "must be the NAME of an environment variable (e.g. OPENAI_API_KEY), never the secret itself",
        ));
    }
    Ok(())
}

fn llm(section: &str, llm: &LlmConfig) -> Result<(), ConfigError> {
    let field = |name: &str| format!("{section}.llm.{name}");
    secret_env(&field("api_key_env"), &llm.api_key_env)?;
    if llm.provider == LlmProvider::Rules {
        return Ok(());
    }
    if llm.model.trim().is_empty() {
        return Err(invalid(&field("model"), "is required when provider is openai"));
    }
    if !(llm.base_url.starts_with("https://") || llm.base_url.starts_with("http://")) {
        return Err(invalid(&field("base_url"), "must be an http(s) URL"));
    }
    if !(0.0..=2.0).contains(&llm.temperature) {
        return Err(invalid(&field("temperature"), format!("must be between 0 and 2, got {}", llm.temperature)));
    }
    positive(&field("max_tokens"), llm.max_tokens)?;
    positive(&field("timeout_seconds"), llm.timeout_seconds)?;
    if llm.daily_token_budget == 0 {
        return Err(invalid(&field("daily_token_budget"), "must be at least 1 (use provider: rules for none)"));
    }
    if llm.invalid_output_retries > 5 {
        return Err(invalid(&field("invalid_output_retries"), "must be at most 5 (each retry costs tokens)"));
    }
    positive(&field("circuit_breaker_failures"), llm.circuit_breaker_failures)?;
    positive(&field("circuit_breaker_cooldown_seconds"), llm.circuit_breaker_cooldown_seconds)?;
    positive(&field("cache_entries"), llm.cache_entries)
}

/// Prices above this per 1,000 tokens are surely a typo (dollars per million, say).
const MAX_PRICE_PER_1K_USD: f64 = 10.0;

fn prices(prices: &ModelPrices) -> Result<(), ConfigError> {
    for (model, price) in &prices.0 {
        for (name, value) in
            [("prompt_per_1k_usd", price.prompt_per_1k_usd), ("completion_per_1k_usd", price.completion_per_1k_usd)]
        {
            if !(value.is_finite() && (0.0..=MAX_PRICE_PER_1K_USD).contains(&value)) {
                return Err(invalid(
                    &format!("llm_prices.{model}.{name}"),
                    format!("must be between 0 and {MAX_PRICE_PER_1K_USD} dollars per 1,000 tokens, got {value}"),
                ));
            }
        }
    }
    Ok(())
}

fn bandit(b: &BanditConfig) -> Result<(), ConfigError> {
    for (name, value) in [("prior_alpha", b.prior_alpha), ("prior_beta", b.prior_beta)] {
        if !(value.is_finite() && value > 0.0) {
            return Err(invalid(&format!("outreach.bandit.{name}"), format!("must be positive, got {value}")));
        }
    }
    positive("outreach.bandit.monte_carlo_draws", b.monte_carlo_draws)
}

impl AgentsConfig {
    /// Checks every range; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let sm = &self.sales_manager;
        llm("sales_manager", &sm.llm)?;
        positive("sales_manager.coordination_interval_minutes", sm.coordination_interval_minutes)?;
        probability("sales_manager.alert_min_reply_rate", sm.alert_min_reply_rate)?;
        probability("sales_manager.alert_max_opt_out_rate", sm.alert_max_opt_out_rate)?;
        positive("sales_manager.alert_min_sends", sm.alert_min_sends)?;
        positive("sales_manager.alert_max_errors_per_day", sm.alert_max_errors_per_day)?;
        positive("sales_manager.strategy_min_sends", sm.strategy_min_sends)?;
        if sm.report_dir.as_ref().is_some_and(|d| d.as_os_str().is_empty()) {
            return Err(invalid("sales_manager.report_dir", "must name a directory (leave it out for none)"));
        }

        let lf = &self.lead_finder;
        llm("lead_finder", &lf.llm)?;
        positive("lead_finder.search_interval_hours", lf.search_interval_hours)?;
        positive("lead_finder.max_leads_per_day", lf.max_leads_per_day)?;
        positive("lead_finder.sandbox_people", lf.sandbox_people)?;
        if !(1..=10).contains(&lf.quality_threshold) {
            return Err(invalid("lead_finder.quality_threshold", "must be a score from 1 to 10"));
        }
        probability("lead_finder.classification_review_below", lf.classification_review_below)?;

        let o = &self.outreach;
        llm("outreach", &o.llm)?;
        positive("outreach.response_check_interval_hours", o.response_check_interval_hours)?;
        if !(1..=100).contains(&o.rate_limit_daily) {
            return Err(invalid(
                "outreach.rate_limit_daily",
                "must be 1 to 100 (LinkedIn tools keep to about 45 actions a day per account)",
            ));
        }
        positive("outreach.rate_limit_min_interval_minutes", o.rate_limit_min_interval_minutes)?;
        if o.rate_limit_max_interval_minutes < o.rate_limit_min_interval_minutes {
            return Err(invalid(
                "outreach.rate_limit_max_interval_minutes",
                "must not be below rate_limit_min_interval_minutes",
            ));
        }
        if let Some(i) = o.follow_up_days.iter().position(|d| *d == 0) {
            return Err(invalid(
                &format!("outreach.follow_up_days[{i}]"),
                "days between follow-ups must be at least 1",
            ));
        }
        probability("outreach.reply_review_below", o.reply_review_below)?;
        probability("outreach.approval.min_confidence", o.approval.min_confidence)?;
        bandit(&o.bandit)?;
        prices(&self.llm_prices)?;
        super::validate_channels::channels(self)
    }
}

#[cfg(test)]
mod tests {
    use super::env_var_name;

    #[test]
    fn env_var_names() {
        assert!(env_var_name("OPENAI_API_KEY") && env_var_name("_X1"));
        assert!(!env_var_name("") && !env_var_name("1KEY") && !env_var_name("sk-abc") && !env_var_name("A B"));
    }
}
