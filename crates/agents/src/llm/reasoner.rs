//! [`Reasoner`]: what the agents call. One per agent, built from its `llm` config section;
//! cheap to clone (clones share the cache, budget and breaker).

use std::sync::Arc;

use reachspark_domain::campaign::{CampaignSettings, Targeting, Template};
use reachspark_domain::decision::{Decision, Engine as DecisionEngine};
use reachspark_domain::lead::{Intent, LeadClass, Sentiment};
use secrecy::SecretString;

use super::engine::{Answer, Engine, Fallback};
use super::tasks::{draft as draft_task, profile, reply};
use super::{client, Clock, FallbackReason, LlmSettings};
use crate::config::{ConfigError, LlmConfig, LlmProvider, ModelPrices};
use crate::draft::{self, Authorship, Draft, DraftError, Recipient};
use crate::profile::Profile;
use crate::rules;

/// Classification and score of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileJudgement {
    /// Speaker, Sponsor or Other.
    pub class: LeadClass,
    /// 1–10.
    pub quality: u8,
    /// Kind `Classification`; carries the usage of the request that served both decisions.
    pub classification: Decision,
    /// Kind `Score`; same engine and hashes as the classification, no usage of its own.
    pub score: Decision,
    /// Set when the rules decided although a model is configured.
    pub fallback: Option<FallbackReason>,
}

impl ProfileJudgement {
    /// Whether the classification is too unsure to stand without a person.
    pub fn needs_review(&self, floor: f64) -> bool {
        self.classification.confidence.is_nan() || self.classification.confidence < floor
    }
}

/// Sentiment and intent of a reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyJudgement {
    /// Tone.
    pub sentiment: Sentiment,
    /// What the reply asks for.
    pub intent: Intent,
    /// Kind `ReplyAnalysis`.
    pub decision: Decision,
    /// Set when the rules decided although a model is configured.
    pub fallback: Option<FallbackReason>,
}

impl ReplyJudgement {
    /// Whether the reading is too unsure to act on without a person.
    pub fn needs_review(&self, floor: f64) -> bool {
        self.decision.confidence.is_nan() || self.decision.confidence < floor
    }
}

/// A draft, personalised by the model or, failing that, the template's.
#[derive(Debug, Clone, PartialEq)]
pub struct Personalised {
    /// The message; its decision says who wrote it.
    pub draft: Draft,
    /// Set when the template was used although a model is configured.
    pub fallback: Option<FallbackReason>,
}

/// An agent's judgement: the rules engine, or a language model that falls back to it.
#[derive(Debug, Clone, Default)]
pub struct Reasoner {
    engine: Option<Arc<Engine>>,
}

impl Reasoner {
    /// The deterministic rules engine alone.
    pub fn rules() -> Self {
        Self { engine: None }
    }

    /// The engine config section `section` asks for. With `provider: openai` the key is read
    /// from the environment variable the section names; it must be set.
    pub fn from_config(
        section: &str,
        llm: &LlmConfig,
        prices: &ModelPrices,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        match llm.provider {
            LlmProvider::Rules => Ok(Self::rules()),
            LlmProvider::Openai => {
                let key = llm.api_key(&format!("{section}.llm"))?;
                Self::openai(LlmSettings::from_config(section, llm, prices), &key, clock)
            }
        }
    }

    /// A model at `settings.base_url` with `api_key`.
    pub fn openai(settings: LlmSettings, api_key: &SecretString, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        if !client::usable_key(api_key) {
            return Err(ConfigError::Invalid {
                field: format!("{}.llm.api_key_env", settings.section),
                reason: "the key must be printable ASCII without spaces".to_owned(),
            });
        }
        Ok(Self { engine: Some(Arc::new(Engine::new(settings, api_key, clock))) })
    }

    /// Whether a model is configured (it may still fall back on any call).
    pub fn uses_llm(&self) -> bool {
        self.engine.is_some()
    }

    /// Whether the circuit breaker is refusing requests right now.
    pub fn circuit_open(&self) -> bool {
        self.engine.as_ref().is_some_and(|e| e.breaker_open())
    }

    /// Classifies `profile` and scores it against `targeting`.
    pub async fn judge_profile(&self, profile: &Profile, targeting: &Targeting) -> ProfileJudgement {
        let Some(engine) = &self.engine else { return rules_profile(profile, targeting, None) };
        match engine.ask(&profile::prompt(profile, targeting), profile::parse).await {
            Ok(answer) => {
                let (classification, score) = profile::decisions(&answer.value, &llm(engine, &answer));
                ProfileJudgement {
                    class: answer.value.class,
                    quality: answer.value.score,
                    classification: classification.with_usage(answer.usage),
                    score,
                    fallback: None,
                }
            }
            Err(fallback) => {
                log(engine, "profile_judgement", &fallback);
                rules_profile(profile, targeting, Some(fallback))
            }
        }
    }

    /// Reads a reply. An objection the rules recognise is honoured without asking a model:
    /// GDPR Art. 21 leaves nothing to weigh, and it costs no tokens.
    pub async fn analyze_reply(&self, text: &str) -> ReplyJudgement {
        let (sentiment, intent, decision) = rules::analyze_reply(text);
        let rules_answer = |fallback: Option<Fallback>| {
            let decision = fallback.as_ref().map_or(decision.clone(), |f| fell_back(decision.clone(), f));
            ReplyJudgement { sentiment, intent, decision, fallback: fallback.map(|f| f.reason) }
        };
        let Some(engine) = &self.engine else { return rules_answer(None) };
        if intent == Intent::OptOut {
            return rules_answer(None);
        }
        match engine.ask(&reply::prompt(&rules::own_words(text)), reply::parse).await {
            Ok(answer) => ReplyJudgement {
                sentiment: answer.value.sentiment,
                intent: answer.value.intent,
                decision: reply::decision(&answer.value, &llm(engine, &answer)).with_usage(answer.usage),
                fallback: None,
            },
            Err(fallback) => {
                log(engine, "reply_analysis", &fallback);
                rules_answer(Some(fallback))
            }
        }
    }

    /// Drafts `template` for `recipient`, personalised by the model when one is configured.
    /// Errors are the campaign's (a missing postal address, say): no engine could draft then.
    pub async fn personalise(
        &self,
        template: &Template,
        recipient: &Recipient<'_>,
        profile: Option<&Profile>,
        campaign: &CampaignSettings,
    ) -> Result<Personalised, DraftError> {
        let from_template = draft::render(template, recipient, campaign, Authorship::Template)?;
        let Some(engine) = &self.engine else { return Ok(Personalised { draft: from_template, fallback: None }) };
        let prompt = draft_task::prompt(template, recipient, profile);
        let asked = engine.ask(&prompt, |content| draft_task::parse(content, template, recipient, campaign)).await;
        match asked {
            Ok(answer) => {
                let authorship = Authorship::Llm {
                    provider: &engine.provider_name,
                    model: &engine.settings.model,
                    prompt_hash: &answer.prompt_hash,
                    response_hash: &answer.response_hash,
                    text: &answer.value.text,
                };
                let mut draft = draft::render(template, recipient, campaign, authorship)?;
                let confidence = draft.decision.confidence.min(answer.value.confidence);
                draft.decision = draft.decision.with_confidence(rules::round2(confidence)).with_usage(answer.usage);
                Ok(Personalised { draft, fallback: None })
            }
            Err(fallback) => {
                log(engine, "draft_personalisation", &fallback);
                let mut draft = from_template;
                draft.decision = fell_back(draft.decision, &fallback);
                Ok(Personalised { draft, fallback: Some(fallback.reason) })
            }
        }
    }
}

fn llm<T>(engine: &Engine, answer: &Answer<T>) -> DecisionEngine {
    DecisionEngine::Llm {
        provider: engine.provider_name.clone(),
        model: engine.settings.model.clone(),
        prompt_hash: answer.prompt_hash.clone(),
        response_hash: answer.response_hash.clone(),
    }
}

fn rules_profile(profile: &Profile, targeting: &Targeting, fallback: Option<Fallback>) -> ProfileJudgement {
    let (class, classification) = rules::classify(profile);
    let (quality, score) = rules::score(profile, class, targeting);
    match fallback {
        None => ProfileJudgement { class, quality, classification, score, fallback: None },
        Some(f) => {
            let mut score = fell_back(score, &f);
            score.usage = None;
            ProfileJudgement {
                class,
                quality,
                classification: fell_back(classification, &f),
                score,
                fallback: Some(f.reason),
            }
        }
    }
}

/// A rules decision taken instead of a model's: the rationale says why, the usage says what
/// the failed attempts cost.
fn fell_back(mut decision: Decision, fallback: &Fallback) -> Decision {
    decision.rationale = format!("{}; language model not used: {}", decision.rationale, fallback.reason);
    decision.usage = fallback.usage;
    decision
}

fn log(engine: &Engine, task: &'static str, fallback: &Fallback) {
    let agent = engine.settings.section.as_str();
    match &fallback.reason {
        FallbackReason::BudgetSpent { .. } | FallbackReason::CircuitOpen => {
            tracing::info!(agent, task, reason = %fallback.reason, "language model not used; the rules decided");
        }
        FallbackReason::InvalidOutput { problem, .. } => {
            let reason = &fallback.reason;
            tracing::warn!(agent, task, %reason, %problem, "language model not used; the rules decided");
        }
        _ => tracing::warn!(agent, task, reason = %fallback.reason, "language model not used; the rules decided"),
    }
}
