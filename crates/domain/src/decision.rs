//! The decision record: why an automated (or human) choice came out the way it did.
//!
//! Decisions carry no personal data, so the decision history stays readable and replayable
//! after a subject's personal data is erased (GDPR Art. 15(1)(h), 22).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::Actor;

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Speaker / Sponsor / Other.
    Classification,
    /// Quality score 1–10.
    Score,
    /// Lead to sender account.
    Allocation,
    /// Which template to use.
    TemplateChoice,
    /// A message draft.
    Draft,
    /// Sentiment and intent of a reply.
    ReplyAnalysis,
    /// A campaign strategy change.
    StrategyChange,
    /// A human approval or rejection.
    Approval,
}

/// One input to a decision with its signed contribution to the output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// Factor name, e.g. `title_contains_speaker`.
    pub name: String,
    /// The observed value, rendered (never personal data).
    pub value: String,
    /// Signed contribution to the output (for scores: points; for classes: evidence weight).
    pub contribution: f64,
}

/// The engine that produced a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "engine", rename_all = "snake_case")]
pub enum Engine {
    /// The deterministic rules engine at a policy version.
    Rules {
        /// Version of the rules policy.
        policy_version: String,
    },
    /// A large language model.
    Llm {
        /// Provider name.
        provider: String,
        /// Model name.
        model: String,
        /// SHA-256 of the prompt, hex.
        prompt_hash: String,
        /// SHA-256 of the response, hex.
        response_hash: String,
    },
    /// A person decided.
    Human,
}

/// A decision record (see `DOMAIN.md`, "A decision").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// What was decided.
    pub kind: DecisionKind,
    /// Ids of the events the decision was based on.
    pub based_on: Vec<Uuid>,
    /// The output, rendered (e.g. `Speaker`, `7`, account id).
    pub output: String,
    /// The factors, with signed contributions.
    pub factors: Vec<Factor>,
    /// Confidence in [0, 1].
    pub confidence: f64,
    /// A short, human-readable rationale with no personal data.
    pub rationale: String,
    /// Who decided.
    pub decided_by: Actor,
    /// How.
    pub engine: Engine,
    /// For a bandit choice: the probability with which this option was chosen.
    pub propensity: Option<f64>,
    /// Tokens a language model spent on this decision and their estimated cost; `None` when no
    /// model was asked. Absent from events recorded before it existed, so it defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<LlmUsage>,
}

/// What asking a language model cost, recorded on the decision it served so that spend can be
/// audited per decision, agent and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LlmUsage {
    /// Tokens sent (all attempts, including ones whose output was rejected).
    pub prompt_tokens: u64,
    /// Tokens received (all attempts).
    pub completion_tokens: u64,
    /// Estimated cost in billionths of a US dollar, from the configured per-model prices
    /// (0 when the model's price is unknown). An integer, because it is money: sums stay exact.
    pub cost_nano_usd: u64,
    /// Served from the response cache: no tokens were spent this time.
    #[serde(default)]
    pub cached: bool,
}

impl LlmUsage {
    /// Prompt and completion tokens together.
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens.saturating_add(self.completion_tokens)
    }
}

/// A decision that cannot be recorded as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum DecisionError {
    /// Confidence outside [0, 1] or not a number.
    #[error("confidence must be between 0 and 1")]
    ConfidenceOutOfRange,
    /// Propensity outside (0, 1].
    #[error("propensity must be in (0, 1]")]
    PropensityOutOfRange,
    /// The decision is of another kind than the command needs.
    #[error("expected a {expected:?} decision, got {actual:?}")]
    WrongKind {
        /// Needed kind.
        expected: DecisionKind,
        /// Given kind.
        actual: DecisionKind,
    },
    /// No rationale given.
    #[error("a decision needs a rationale")]
    MissingRationale,
}

impl Engine {
    /// The rules engine at `policy_version`.
    pub fn rules(policy_version: impl Into<String>) -> Self {
        Self::Rules { policy_version: policy_version.into() }
    }
}

impl Decision {
    /// A decision with full confidence, no recorded inputs and no propensity; add those with
    /// the `with_*` and [`Decision::based_on`] builders.
    pub fn new(
        kind: DecisionKind,
        output: impl Into<String>,
        rationale: impl Into<String>,
        decided_by: Actor,
        engine: Engine,
    ) -> Self {
        Self {
            kind,
            based_on: Vec::new(),
            output: output.into(),
            factors: Vec::new(),
            confidence: 1.0,
            rationale: rationale.into(),
            decided_by,
            engine,
            propensity: None,
            usage: None,
        }
    }

    /// Sets the confidence.
    pub fn with_confidence(mut self, confidence: f64) -> Self {
        self.confidence = confidence;
        self
    }

    /// Adds a factor.
    pub fn with_factor(mut self, name: impl Into<String>, value: impl Into<String>, contribution: f64) -> Self {
        self.factors.push(Factor { name: name.into(), value: value.into(), contribution });
        self
    }

    /// Records the events the decision was based on.
    pub fn based_on(mut self, event_ids: impl IntoIterator<Item = Uuid>) -> Self {
        self.based_on.extend(event_ids);
        self
    }

    /// Sets a bandit choice's propensity.
    pub fn with_propensity(mut self, propensity: f64) -> Self {
        self.propensity = Some(propensity);
        self
    }

    /// Records what a language model cost.
    pub fn with_usage(mut self, usage: LlmUsage) -> Self {
        self.usage = Some(usage);
        self
    }

    /// Checks the record's invariants and that it is of the `expected` kind.
    pub fn validate(&self, expected: DecisionKind) -> Result<(), DecisionError> {
        if self.kind != expected {
            return Err(DecisionError::WrongKind { expected, actual: self.kind });
        }
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(DecisionError::ConfidenceOutOfRange);
        }
        if let Some(p) = self.propensity {
            if !(p > 0.0 && p <= 1.0) {
                return Err(DecisionError::PropensityOutOfRange);
            }
        }
        if self.rationale.trim().is_empty() {
            return Err(DecisionError::MissingRationale);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_decision() -> Decision {
        Decision::new(DecisionKind::Score, "7", "base 4 +3", Actor::agent("lead_finder"), Engine::rules("v1"))
    }

    #[test]
    fn a_decision_recorded_before_usage_existed_still_reads() {
        let mut old = serde_json::to_value(rules_decision()).unwrap();
        assert!(old.get("usage").is_none(), "no usage is not written: {old}");
        old.as_object_mut().unwrap().remove("usage");
        let back: Decision = serde_json::from_value(old).unwrap();
        assert_eq!(back, rules_decision());
    }

    #[test]
    fn usage_round_trips_and_cached_defaults_to_false() {
        let usage = LlmUsage { prompt_tokens: 120, completion_tokens: 30, cost_nano_usd: 36_000, cached: false };
        let d = rules_decision().with_usage(usage);
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["usage"]["prompt_tokens"], 120);
        let back: Decision = serde_json::from_value(json).unwrap();
        assert_eq!(back.usage, Some(usage));
        assert_eq!(usage.total_tokens(), 150);

        let without_flag = serde_json::json!({"prompt_tokens": 1, "completion_tokens": 2, "cost_nano_usd": 3});
        let parsed: LlmUsage = serde_json::from_value(without_flag).unwrap();
        assert!(!parsed.cached);
    }
}
