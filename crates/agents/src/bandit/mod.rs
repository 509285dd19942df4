//! Thompson sampling over a campaign's templates, one Beta posterior per (segment, template).
//!
//! The reward is an *interested* reply only ([`is_reward`]): optimising raw replies would
//! favour templates that provoke "no" and "remove me". Each choice records its propensity, the
//! probability that this policy picks that template in that state, so that later analyses can
//! weigh outcomes by inverse propensity. Thompson sampling has no closed form for it; we
//! estimate it by Monte Carlo from the same seeded generator (see [`Bandit::choose`]).
//!
//! The state is plain serde data: an agent persists it between runs and can rebuild it by
//! replaying recorded outcomes.

pub mod simulation;

use std::collections::BTreeMap;

use rand::Rng;
use rand_distr::{Beta, Distribution};
use reachspark_domain::campaign::Template;
use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::event::Actor;
use reachspark_domain::lead::{Intent, LeadClass};
use serde::{Deserialize, Serialize};

use crate::actors::OUTREACH;
use crate::rules::Seniority;

/// The version of the template-choice policy, recorded as the decision's rules engine.
pub const POLICY_VERSION: &str = "thompson-beta-2026.11";

/// Whether a reply counts as a success: an interested reply, nothing else.
pub fn is_reward(intent: Intent) -> bool {
    intent == Intent::Interested
}

/// The segment key for a lead: its class, and its seniority when given (finer segments learn
/// more slowly; the class alone is the default).
pub fn segment(class: LeadClass, seniority: Option<Seniority>) -> String {
    let class = match class {
        LeadClass::Speaker => "speaker",
        LeadClass::Sponsor => "sponsor",
        LeadClass::Other => "other",
    };
    match seniority {
        Some(s) => format!("{class}/{}", s.as_str()),
        None => class.to_owned(),
    }
}

/// A Beta(α, β) posterior over a template's success rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    /// Prior α plus successes.
    pub alpha: f64,
    /// Prior β plus failures.
    pub beta: f64,
}

impl Arm {
    /// The posterior mean.
    pub fn mean(&self) -> f64 {
        self.alpha / (self.alpha + self.beta)
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // Parameters are validated positive and finite on the way in, so this cannot fail.
        Beta::new(self.alpha, self.beta).map_or(self.mean(), |b| b.sample(rng))
    }
}

/// Why no choice could be made or the bandit could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BanditError {
    /// No template with a positive weight was offered.
    #[error("no eligible template (none given, or all have weight 0)")]
    NoEligibleTemplate,
    /// Prior parameters must be positive and finite.
    #[error("the Beta prior needs positive, finite α and β")]
    InvalidPrior,
    /// At least one Monte Carlo draw is needed to estimate a propensity.
    #[error("the propensity estimate needs at least one Monte Carlo draw")]
    NoDraws,
}

/// A template choice with its propensity and its decision record.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The chosen template.
    pub template_id: String,
    /// Estimated probability that this policy chooses this template in this state, in (0, 1].
    pub propensity: f64,
    /// Kind `TemplateChoice`, with the propensity set.
    pub decision: Decision,
}

/// Thompson sampling state for every segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bandit {
    prior: Arm,
    mc_draws: u32,
    segments: BTreeMap<String, BTreeMap<String, Arm>>,
}

impl Default for Bandit {
    /// A uniform Beta(1, 1) prior and 200 Monte Carlo draws per propensity.
    fn default() -> Self {
        Self { prior: Arm { alpha: 1.0, beta: 1.0 }, mc_draws: 200, segments: BTreeMap::new() }
    }
}

impl Bandit {
    /// A bandit with a Beta(`alpha`, `beta`) prior for every arm and `mc_draws` Monte Carlo
    /// draws per propensity estimate.
    pub fn new(alpha: f64, beta: f64, mc_draws: u32) -> Result<Self, BanditError> {
        if !(alpha.is_finite() && beta.is_finite() && alpha > 0.0 && beta > 0.0) {
            return Err(BanditError::InvalidPrior);
        }
        if mc_draws == 0 {
            return Err(BanditError::NoDraws);
        }
        Ok(Self { prior: Arm { alpha, beta }, mc_draws, segments: BTreeMap::new() })
    }

    /// The posterior of `template_id` in `segment` (the prior if never tried).
    pub fn arm(&self, segment: &str, template_id: &str) -> Arm {
        self.segments.get(segment).and_then(|s| s.get(template_id)).copied().unwrap_or(self.prior)
    }

    /// Records a complete outcome at once, e.g. when rebuilding the state from history:
    /// `success` is [`is_reward`] of the reply's intent, false when none came.
    pub fn record(&mut self, segment: &str, template_id: &str, success: bool) {
        let arm = self.arm_mut(segment, template_id);
        if success {
            arm.alpha += 1.0;
        } else {
            arm.beta += 1.0;
        }
    }

    /// Records a message as sent: it counts as a failure until an interested reply turns it
    /// into a success ([`Bandit::record_interested`]).
    ///
    /// Why not wait for the outcome: replies arrive within hours and silence is known only
    /// when the reply window closes, so counting successes as they come and failures days
    /// later makes a template that was just used a lot look better than it is, and the bandit
    /// locks onto it. Counting every send as a failure at once errs the other way, towards
    /// trying templates that were used less, which is the safe side of exploration.
    pub fn record_sent(&mut self, segment: &str, template_id: &str) {
        self.arm_mut(segment, template_id).beta += 1.0;
    }

    /// Records an interested reply to a message recorded with [`Bandit::record_sent`].
    pub fn record_interested(&mut self, segment: &str, template_id: &str) {
        let prior_beta = self.prior.beta;
        let arm = self.arm_mut(segment, template_id);
        arm.alpha += 1.0;
        // Never below the prior: an interested reply to a send recorded elsewhere still counts.
        arm.beta = (arm.beta - 1.0).max(prior_beta);
    }

    fn arm_mut(&mut self, segment: &str, template_id: &str) -> &mut Arm {
        let prior = self.prior;
        self.segments.entry(segment.to_owned()).or_default().entry(template_id.to_owned()).or_insert(prior)
    }

    /// One Thompson draw, without the propensity estimate or the decision record: for
    /// simulations, where only the choice matters. Consumes the same draws as the start of
    /// [`Bandit::choose`].
    pub fn sample<R: Rng + ?Sized>(
        &self,
        segment: &str,
        templates: &[Template],
        rng: &mut R,
    ) -> Result<String, BanditError> {
        let eligible = eligible(templates)?;
        let thetas: Vec<f64> = eligible.iter().map(|t| self.arm(segment, &t.id).sample(rng)).collect();
        Ok(eligible[argmax(&thetas)].id.clone())
    }

    /// Chooses a template for a lead of `segment`: one posterior draw per eligible template
    /// (weight > 0; weight 0 is how the Sales Manager switches a template off), the highest
    /// wins, ties to the earlier template.
    ///
    /// The propensity is `(wins + 1) / (mc_draws + 1)`: the real draw counts as one sample and
    /// `mc_draws` further draws from the same generator as the rest, so it is never zero (an
    /// inverse-propensity weight stays finite) and the whole choice replays from the seed.
    pub fn choose<R: Rng + ?Sized>(
        &self,
        segment: &str,
        templates: &[Template],
        rng: &mut R,
    ) -> Result<Choice, BanditError> {
        let eligible = eligible(templates)?;
        let arms: Vec<Arm> = eligible.iter().map(|t| self.arm(segment, &t.id)).collect();
        let draw = |rng: &mut R| -> Vec<f64> { arms.iter().map(|a| a.sample(rng)).collect() };
        let thetas = draw(rng);
        let chosen = argmax(&thetas);
        let propensity = if eligible.len() == 1 {
            1.0
        } else {
            let wins = (0..self.mc_draws).filter(|_| argmax(&draw(rng)) == chosen).count();
            (f64::from(u32::try_from(wins).unwrap_or(u32::MAX)) + 1.0) / (f64::from(self.mc_draws) + 1.0)
        };
        let best_other = thetas.iter().enumerate().filter(|(i, _)| *i != chosen).map(|(_, t)| *t).fold(0.0, f64::max);
        let template_id = eligible[chosen].id.clone();
        let arm = arms[chosen];
        let rationale = format!(
            "Thompson sampling in segment {segment}: drew {:.3} for {template_id} (posterior mean {:.3} from \
             {} interested of {} observed); chosen in {:.0}% of draws",
            thetas[chosen],
            arm.mean(),
            arm.alpha - self.prior.alpha,
            arm.alpha + arm.beta - self.prior.alpha - self.prior.beta,
            propensity * 100.0,
        );
        let mut decision = Decision::new(
            DecisionKind::TemplateChoice,
            &template_id,
            rationale,
            Actor::agent(OUTREACH),
            Engine::rules(POLICY_VERSION),
        )
        .with_confidence(propensity)
        .with_propensity(propensity);
        for (i, t) in eligible.iter().enumerate() {
            let a = arms[i];
            let margin = if i == chosen { thetas[i] - best_other } else { thetas[i] - thetas[chosen] };
            let value = format!("alpha={} beta={} mean={:.3}", a.alpha, a.beta, a.mean());
            decision = decision.with_factor(format!("arm:{}", t.id), value, (margin * 1000.0).round() / 1000.0);
        }
        Ok(Choice { template_id, propensity, decision })
    }
}

/// Templates the Sales Manager has not switched off (weight 0), in the given order.
fn eligible(templates: &[Template]) -> Result<Vec<&Template>, BanditError> {
    let eligible: Vec<&Template> = templates.iter().filter(|t| t.weight.is_finite() && t.weight > 0.0).collect();
    if eligible.is_empty() {
        return Err(BanditError::NoEligibleTemplate);
    }
    Ok(eligible)
}

/// Index of the largest value, ties to the first.
fn argmax(values: &[f64]) -> usize {
    values.iter().enumerate().fold(0, |best, (i, v)| if *v > values[best] { i } else { best })
}

#[cfg(test)]
mod tests;
