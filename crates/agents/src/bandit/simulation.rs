//! Days of first-contact outreach on the sandbox world under a template policy, to measure
//! what learning gains against a uniform policy and an oracle that knows everyone's taste.
//!
//! Every policy contacts the same people on the same days: an [`Audience`] of those the rules
//! engine classifies and scores into the campaign's targeting, segmented by that
//! classification (what an agent would know). Each person's reply comes from the world's per-person generator, so the
//! policies are compared under common random numbers. The bandit learns as an agent would:
//! each send counts as a failure at once ([`Bandit::record_sent`]) and an interested reply,
//! as the rules engine reads its text, turns it into a success on the day it arrives.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use reachspark_domain::campaign::{Targeting, Template};
use reachspark_domain::lead::{Intent, LeadClass, Step};

use super::{eligible, is_reward, segment, Bandit, BanditError};
use crate::rules;
use crate::sandbox::{SandboxPerson, SandboxRng, World};

/// Which template each contact gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Thompson sampling per segment, learning from delayed outcomes.
    Thompson,
    /// A template drawn uniformly at random.
    Uniform,
    /// The template with the highest hidden chance of an interested reply for this person.
    Oracle,
}

/// The shape of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulationConfig {
    /// Simulated days.
    pub days: u32,
    /// First contacts per day (all sender accounts together).
    pub contacts_per_day: usize,
    /// Seed of the policy's own generator.
    pub seed: u64,
    /// The Thompson policy's Beta prior (α, β) for every template.
    pub prior: (f64, f64),
}

/// The people a campaign contacts, in the order it contacts them, with the class the rules
/// engine gave each: built once and shared by the policies being compared.
#[derive(Debug, Clone)]
pub struct Audience<'w> {
    contacts: Vec<(&'w SandboxPerson, LeadClass)>,
}

impl<'w> Audience<'w> {
    /// The people of `world`, in id order, that the rules engine classifies into `targeting`'s
    /// classes (all when empty) and scores at least its `min_score`, as the Lead Finder and the
    /// Sales Manager would hand them on.
    pub fn targeted(world: &'w World, targeting: &Targeting) -> Self {
        let contacts = world
            .people()
            .iter()
            .filter_map(|p| {
                let (class, _) = rules::classify(p.public());
                let (quality, _) = rules::score(p.public(), class, targeting);
                let wanted = targeting.classes.is_empty() || targeting.classes.contains(&class);
                (wanted && quality >= targeting.min_score).then_some((p, class))
            })
            .collect();
        Self { contacts }
    }

    /// How many people it holds.
    pub fn len(&self) -> usize {
        self.contacts.len()
    }

    /// Whether nobody is targeted.
    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty()
    }
}

impl Default for SimulationConfig {
    /// Two weeks at three accounts' worth of first contacts a day (45 each), uniform prior.
    fn default() -> Self {
        Self { days: 14, contacts_per_day: 135, seed: 1, prior: (1.0, 1.0) }
    }
}

/// What a run produced.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SimulationReport {
    /// Messages sent.
    pub contacts: u32,
    /// Replies of any kind, absence notices included.
    pub replies: u32,
    /// Interested replies: the reward.
    pub interested: u32,
    /// Objections.
    pub opt_outs: u32,
    /// The sum of the hidden chances of an interested reply of each message sent: the
    /// expectation of `interested`, free of the draws' luck.
    pub expected_interested: f64,
}

/// Runs `policy` over the eligible (weight > 0) `templates`, first-step templates, contacting
/// `audience` (people of `world`) in order; the run needs `days × contacts_per_day` of them and
/// stops early when the audience runs out.
pub fn simulate(
    world: &World,
    audience: &Audience<'_>,
    templates: &[Template],
    policy: Policy,
    config: &SimulationConfig,
) -> Result<SimulationReport, BanditError> {
    let templates: Vec<Template> = eligible(templates)?.into_iter().cloned().collect();
    let mut rng = SandboxRng::seed_from_u64(config.seed);
    let mut bandit = Bandit::new(config.prior.0, config.prior.1, 1)?;
    // Interested replies not yet read, by the day they are.
    let mut pending: BTreeMap<u32, Vec<(String, String)>> = BTreeMap::new();
    let mut report = SimulationReport::default();
    let mut people = audience.contacts.iter().copied();

    for day in 0..config.days {
        for (segment, template_id) in pending.remove(&day).unwrap_or_default() {
            bandit.record_interested(&segment, &template_id);
        }
        for (person, class) in people.by_ref().take(config.contacts_per_day) {
            let seg = segment(class, None);
            let template_id = match policy {
                Policy::Thompson => bandit.sample(&seg, &templates, &mut rng)?,
                Policy::Uniform => templates[rng.gen_range(0..templates.len())].id.clone(),
                Policy::Oracle => {
                    world.oracle_template(person, &templates).ok_or(BanditError::NoEligibleTemplate)?.id.clone()
                }
            };
            report.contacts += 1;
            report.expected_interested += person.truth().positive_reply_probability(&template_id, Step::First);
            bandit.record_sent(&seg, &template_id);
            let Some(reply) = world.reply(person, &template_id, Step::First, &mut world.person_rng(person, 0)) else {
                continue;
            };
            report.replies += 1;
            report.interested += u32::from(is_reward(reply.true_intent));
            report.opt_outs += u32::from(reply.true_intent == Intent::OptOut);
            // The agent learns from its own reading of the text, not from the hidden truth.
            let (_, read_as, _) = rules::analyze_reply(&reply.text);
            if is_reward(read_as) {
                let days_later = u32::try_from(reply.delay.as_secs() / 86_400).unwrap_or(u32::MAX);
                pending.entry(day.saturating_add(1).saturating_add(days_later)).or_default().push((seg, template_id));
            }
        }
    }
    Ok(report)
}
