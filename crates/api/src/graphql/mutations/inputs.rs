//! Input types of the mutations: GraphQL mirrors of the domain's value types. Enums map one to
//! one (`remote`); records convert with field-level validation, so a bad value is reported by
//! its field name before any command runs.

use async_graphql::{Enum, InputObject, OneofObject, ID};
use reachspark_domain::decision::{Decision, DecisionKind, Engine, Factor};
use reachspark_domain::lead::Step;
use reachspark_domain::Actor;
use uuid::Uuid;

use crate::graphql::ApiError;

/// Speaker / Sponsor / Other.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::lead::LeadClass")]
pub(crate) enum LeadClass {
    Speaker,
    Sponsor,
    Other,
}

/// The tone of a reply.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::lead::Sentiment")]
pub(crate) enum Sentiment {
    Positive,
    Negative,
    Neutral,
}

/// What a reply asks for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::lead::Intent")]
pub(crate) enum Intent {
    Interested,
    NotInterested,
    InfoRequest,
    OptOut,
    OutOfOffice,
}

/// How a lead ended.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::lead::CloseOutcome")]
pub(crate) enum CloseOutcome {
    Won,
    Lost,
    Disqualified,
    NoResponse,
}

/// How an objection reached us.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::lead::OptOutSource")]
pub(crate) enum OptOutSource {
    Reply,
    Link,
    Person,
}

/// Whether retrying a failed send can help.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::lead::FailureKind")]
pub(crate) enum FailureKind {
    Transient,
    Permanent,
}

/// A sender account's channel.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::sender_account::Channel")]
pub(crate) enum Channel {
    #[graphql(name = "LINKEDIN")]
    LinkedIn,
    Email,
}

/// One budgeted action of a sender account.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::sender_account::ActionType")]
pub(crate) enum ActionType {
    ConnectionInvitation,
    Message,
    ProfileView,
    Email,
}

/// Why a held send slot is given back.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::sender_account::ReleaseReason")]
pub(crate) enum ReleaseReason {
    SendFailed,
    LeadOptedOut,
    LeadErased,
    LeadReassigned,
    Cancelled,
}

/// One input to a decision with its signed contribution. Never personal data.
#[derive(InputObject, Debug)]
pub(crate) struct FactorInput {
    /// e.g. `title_contains_speaker`.
    name: String,
    /// The observed value, rendered.
    value: String,
    /// Signed contribution to the output.
    contribution: f64,
}

/// The deterministic rules engine at a policy version.
#[derive(InputObject, Debug)]
pub(crate) struct RulesEngineInput {
    policy_version: String,
}

/// A language model: provider, model, and the SHA-256 hashes (hex) of prompt and response.
#[derive(InputObject, Debug)]
pub(crate) struct LlmEngineInput {
    provider: String,
    model: String,
    prompt_hash: String,
    response_hash: String,
}

/// How a decision was made. A person's decisions are always `HUMAN`, whatever is sent.
#[derive(OneofObject, Debug)]
pub(crate) enum EngineInput {
    Rules(RulesEngineInput),
    Llm(LlmEngineInput),
}

/// Why an automated choice came out the way it did (see DOMAIN.md, "A decision"). The kind,
/// the output and who decided are filled in by the server from the mutation and the token, so
/// a decision always matches the command it explains.
#[derive(InputObject, Debug)]
pub(crate) struct DecisionInput {
    /// Ids of the events the decision was based on.
    #[graphql(default)]
    based_on: Vec<ID>,
    /// The factors with signed contributions, most important first.
    #[graphql(default)]
    factors: Vec<FactorInput>,
    /// In [0, 1].
    confidence: f64,
    /// A short reason with no personal data.
    rationale: String,
    /// Required for agents; ignored for people (always `HUMAN`).
    engine: Option<EngineInput>,
    /// For a bandit's choice: the probability of choosing this option, in (0, 1].
    propensity: Option<f64>,
}

const MAX_FACTORS: usize = 50;
const MAX_TEXT: usize = 2_000;

/// Rejects blank or overlong text, naming the field.
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::validation(field, "must not be blank"));
    }
    if value.chars().count() > max {
        return Err(ApiError::validation(field, &format!("is longer than {max} characters")));
    }
    Ok(())
}

/// Parses a UUID argument, naming the field.
pub(crate) fn uuid(field: &str, id: &ID) -> Result<Uuid, ApiError> {
    id.parse::<Uuid>().map_err(|_| ApiError::validation(field, "not a UUID"))
}

/// A message step from its number: 0 is the first contact, n ≥ 1 the n-th follow-up.
pub(crate) fn step(field: &str, n: i32) -> Result<Step, ApiError> {
    match u32::try_from(n) {
        Ok(0) => Ok(Step::First),
        Ok(n) => Ok(Step::FollowUp(n)),
        Err(_) => Err(ApiError::validation(field, "must be 0 (first contact) or a follow-up number ≥ 1")),
    }
}

impl DecisionInput {
    /// The domain record: `kind` and `output` from the mutation, `decided_by` from the caller.
    pub(crate) fn into_decision(
        self,
        kind: DecisionKind,
        output: impl Into<String>,
        by: &Actor,
    ) -> Result<Decision, ApiError> {
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(ApiError::validation("decision.confidence", "must be between 0 and 1"));
        }
        if let Some(p) = self.propensity {
            if !(p > 0.0 && p <= 1.0) {
                return Err(ApiError::validation("decision.propensity", "must be in (0, 1]"));
            }
        }
        text("decision.rationale", &self.rationale, MAX_TEXT)?;
        if self.factors.len() > MAX_FACTORS {
            return Err(ApiError::validation("decision.factors", &format!("at most {MAX_FACTORS} factors")));
        }
        let mut factors = Vec::with_capacity(self.factors.len());
        for (i, f) in self.factors.into_iter().enumerate() {
            text(&format!("decision.factors[{i}].name"), &f.name, 200)?;
            if f.value.chars().count() > 500 {
                return Err(ApiError::validation(&format!("decision.factors[{i}].value"), "is too long"));
            }
            if !f.contribution.is_finite() {
                return Err(ApiError::validation(&format!("decision.factors[{i}].contribution"), "must be finite"));
            }
            factors.push(Factor { name: f.name, value: f.value, contribution: f.contribution });
        }
        let based_on = self
            .based_on
            .iter()
            .enumerate()
            .map(|(i, id)| uuid(&format!("decision.basedOn[{i}]"), id))
            .collect::<Result<Vec<_>, _>>()?;
        let engine = match (by.kind, self.engine) {
            (reachspark_domain::ActorKind::Person, _) => Engine::Human,
            (_, Some(EngineInput::Rules(r))) => {
                text("decision.engine.rules.policyVersion", &r.policy_version, 100)?;
                Engine::Rules { policy_version: r.policy_version }
            }
            (_, Some(EngineInput::Llm(l))) => {
                for (field, value) in [
                    ("decision.engine.llm.provider", &l.provider),
                    ("decision.engine.llm.model", &l.model),
                    ("decision.engine.llm.promptHash", &l.prompt_hash),
                    ("decision.engine.llm.responseHash", &l.response_hash),
                ] {
                    text(field, value, 200)?;
                }
                Engine::Llm {
                    provider: l.provider,
                    model: l.model,
                    prompt_hash: l.prompt_hash,
                    response_hash: l.response_hash,
                }
            }
            (_, None) => return Err(ApiError::validation("decision.engine", "an agent must say which engine decided")),
        };
        Ok(Decision {
            kind,
            based_on,
            output: output.into(),
            factors,
            confidence: self.confidence,
            rationale: self.rationale,
            decided_by: by.clone(),
            engine,
            propensity: self.propensity,
            usage: None,
        })
    }
}
