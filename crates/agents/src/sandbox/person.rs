//! A synthetic person: the profile agents may see and the hidden truth only the world and the
//! benchmarks know. The two are kept in separate types so that an agent handed a
//! [`Profile`] cannot reach the truth by accident.

use reachspark_domain::lead::{LeadClass, Step};
use serde::{Deserialize, Serialize};

use super::stable_hash;
use crate::profile::Profile;

/// A person of the sandbox world.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxPerson {
    pub(super) id: u32,
    pub(super) profile: Profile,
    pub(super) truth: Truth,
}

impl SandboxPerson {
    /// The person's index in the world; stable for a seed.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// What an agent may see.
    pub fn public(&self) -> &Profile {
        &self.profile
    }

    /// The hidden ground truth, for the world itself and for benchmarks only.
    pub fn truth(&self) -> &Truth {
        &self.truth
    }
}

/// The hidden ground truth of a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// What the person really is.
    pub class: LeadClass,
    /// How good a prospect the person is, in [0, 1].
    pub fit: f64,
    /// 0 junior, 1 mid, 2 senior, 3 executive.
    pub seniority: u8,
    /// Probability of replying to a first message of a neutral template.
    pub base_reply: f64,
    /// Probability that a reply to a neutral template is interested.
    pub base_positive: f64,
    /// Taste for a template's style, in about [-1, 1]; templates have a style too.
    pub style_taste: f64,
    /// Probability that a reply is an objection ("remove me").
    pub opt_out: f64,
    /// Probability that any message meets an automatic absence notice.
    pub out_of_office: f64,
}

/// Which class a template was written for, read from its id (`speaker-…`, `sponsor-…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Angle {
    Speaker,
    Sponsor,
    Generic,
}

/// What the world assumes about a template it has never seen: its angle from the id's words,
/// and a style and quality from a stable hash of the id, so any campaign's templates work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct TemplateTraits {
    pub(super) angle: Angle,
    /// In [-1, 1].
    pub(super) style: f64,
    /// A multiplier in [0.85, 1.15].
    pub(super) quality: f64,
}

impl TemplateTraits {
    pub(super) fn of(template_id: &str) -> Self {
        let id = template_id.to_ascii_lowercase();
        let angle = if id.contains("speaker") {
            Angle::Speaker
        } else if id.contains("sponsor") {
            Angle::Sponsor
        } else {
            Angle::Generic
        };
        let h = stable_hash(id.as_bytes());
        Self { angle, style: unit(h) * 2.0 - 1.0, quality: 0.85 + 0.3 * unit(h >> 20) }
    }
}

/// The top 32 bits of `h` as a number in [0, 1).
fn unit(h: u64) -> f64 {
    f64::from(u32::try_from(h >> 32).unwrap_or(u32::MAX)) / 4_294_967_296.0
}

impl Truth {
    /// Multipliers on replying and on being interested, by whether the template's angle suits
    /// the person's class: a sponsor pitch sent to a speaker mostly gets silence or a "no".
    fn angle_fit(&self, angle: Angle) -> (f64, f64) {
        match (self.class, angle) {
            (LeadClass::Speaker, Angle::Speaker) | (LeadClass::Sponsor, Angle::Sponsor) => (1.3, 1.6),
            (LeadClass::Other, Angle::Generic) => (1.1, 1.3),
            (_, Angle::Generic) => (1.0, 1.0),
            (LeadClass::Other, _) => (0.7, 0.5),
            _ => (0.5, 0.3),
        }
    }

    /// Probability of any reply (other than an absence notice) to `template_id` at `step`.
    pub fn reply_propensity(&self, template_id: &str, step: Step) -> f64 {
        let t = TemplateTraits::of(template_id);
        let step_factor = match step {
            Step::First => 1.0,
            Step::FollowUp(n) => 0.6_f64.powi(i32::try_from(n).unwrap_or(i32::MAX)),
        };
        let style = (0.15 * self.style_taste * t.style).exp();
        (self.base_reply * self.angle_fit(t.angle).0 * style * t.quality * step_factor).clamp(0.0, 0.95)
    }

    /// Probability that a reply to `template_id` shows interest (the bandit's reward).
    pub fn positive_propensity(&self, template_id: &str) -> f64 {
        let t = TemplateTraits::of(template_id);
        let style = (0.3 * self.style_taste * t.style).exp();
        (self.base_positive * self.angle_fit(t.angle).1 * style).clamp(0.0, 0.95)
    }

    /// Probability that a message of `template_id` at `step` gets an interested reply: what
    /// the oracle maximises and what [`super::World::reply`] draws from.
    pub fn positive_reply_probability(&self, template_id: &str, step: Step) -> f64 {
        let p_reply = self.reply_propensity(template_id, step) * (1.0 - self.out_of_office);
        p_reply * (1.0 - self.opt_out) * self.positive_propensity(template_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speaker() -> Truth {
        Truth {
            class: LeadClass::Speaker,
            fit: 0.7,
            seniority: 2,
            base_reply: 0.25,
            base_positive: 0.5,
            style_taste: 0.0,
            opt_out: 0.05,
            out_of_office: 0.03,
        }
    }

    #[test]
    fn a_template_for_the_class_beats_one_for_another() {
        let t = speaker();
        let suited = t.positive_reply_probability("speaker-first-v1", Step::First);
        let generic = t.positive_reply_probability("generic-first-v1", Step::First);
        let wrong = t.positive_reply_probability("sponsor-first-v1", Step::First);
        assert!(suited > generic && generic > wrong, "{suited} {generic} {wrong}");
    }

    #[test]
    fn follow_ups_get_fewer_replies() {
        let t = speaker();
        assert!(t.reply_propensity("x", Step::FollowUp(1)) < t.reply_propensity("x", Step::First));
        assert!(t.reply_propensity("x", Step::FollowUp(2)) < t.reply_propensity("x", Step::FollowUp(1)));
    }

    #[test]
    fn template_traits_are_stable_per_id() {
        assert_eq!(TemplateTraits::of("generic-first-v2"), TemplateTraits::of("generic-first-v2"));
        let t = TemplateTraits::of("generic-first-v2");
        assert!((-1.0..=1.0).contains(&t.style) && (0.85..=1.15).contains(&t.quality));
    }
}
