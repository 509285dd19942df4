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
