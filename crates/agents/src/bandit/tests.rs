use rand::SeedableRng;
use reachspark_domain::lead::Step;
use reachspark_domain::sender_account::Channel;

use super::simulation::{simulate, Audience, Policy, SimulationConfig};
use super::*;
use crate::sandbox::{SandboxRng, World};
use reachspark_domain::campaign::Targeting;

fn template(id: &str) -> Template {
    Template {
        id: id.to_owned(),
        channel: Channel::LinkedIn,
        step: Step::First,
        body: "Hi {first_name}".into(),
        weight: 1.0,
    }
}

fn templates(ids: &[&str]) -> Vec<Template> {
    ids.iter().map(|id| template(id)).collect()
}

fn rng(seed: u64) -> SandboxRng {
    SandboxRng::seed_from_u64(seed)
}

#[test]
fn a_choice_records_its_propensity_in_a_valid_decision() {
    let bandit = Bandit::default();
    let choice = bandit.choose("speaker", &templates(&["a", "b", "c"]), &mut rng(1)).unwrap();
    assert!(choice.propensity > 0.0 && choice.propensity <= 1.0);
    assert_eq!(choice.decision.propensity, Some(choice.propensity));
    assert_eq!(choice.decision.output, choice.template_id);
    assert_eq!(choice.decision.engine, Engine::rules(POLICY_VERSION));
    choice.decision.validate(DecisionKind::TemplateChoice).unwrap();
    // The chosen arm's factor is its winning margin, the others' their shortfall.
    for f in &choice.decision.factors {
        let chosen = f.name == format!("arm:{}", choice.template_id);
        assert_eq!(f.contribution >= 0.0, chosen, "{f:?}");
    }
}

#[test]
fn the_same_seed_makes_the_same_choice() {
    let mut bandit = Bandit::default();
    bandit.record("s", "b", true);
    let ts = templates(&["a", "b", "c"]);
    let first = bandit.choose("s", &ts, &mut rng(42)).unwrap();
    let again = bandit.choose("s", &ts, &mut rng(42)).unwrap();
    assert_eq!(first, again);
    assert_eq!(bandit.sample("s", &ts, &mut rng(42)).unwrap(), first.template_id);
}

#[test]
fn switched_off_templates_are_never_chosen() {
    let mut ts = templates(&["a", "b"]);
    ts[0].weight = 0.0;
    for seed in 0..50 {
        let choice = Bandit::default().choose("s", &ts, &mut rng(seed)).unwrap();
        assert_eq!((choice.template_id.as_str(), choice.propensity), ("b", 1.0));
    }
    ts[1].weight = 0.0;
    assert_eq!(Bandit::default().choose("s", &ts, &mut rng(0)), Err(BanditError::NoEligibleTemplate));
    assert_eq!(Bandit::default().choose("s", &[], &mut rng(0)), Err(BanditError::NoEligibleTemplate));
}

#[test]
fn the_propensity_matches_how_often_the_arm_is_chosen() {
    let mut bandit = Bandit::default();
    for _ in 0..3 {
        bandit.record("s", "a", true);
    }
    for _ in 0..5 {
        bandit.record("s", "a", false);
        bandit.record("s", "b", false);
    }
    bandit.record("s", "b", true);
    let ts = templates(&["a", "b"]);
    let runs = 400;
    let (mut chose_a, mut propensity_a) = (0_u32, 0.0);
    for seed in 0..runs {
        let c = bandit.choose("s", &ts, &mut rng(seed)).unwrap();
        let p_a = if c.template_id == "a" { c.propensity } else { 1.0 - c.propensity };
        chose_a += u32::from(c.template_id == "a");
        propensity_a += p_a / f64::from(u32::try_from(runs).unwrap());
    }
    let frequency = f64::from(chose_a) / f64::from(u32::try_from(runs).unwrap());
    assert!((frequency - propensity_a).abs() < 0.06, "chosen {frequency}, estimated {propensity_a}");
    assert!(frequency > 0.6, "a is the better arm: {frequency}");
}

#[test]
fn a_clear_winner_is_exploited() {
    let mut bandit = Bandit::default();
    for i in 0..100 {
        bandit.record("s", "good", i % 3 == 0);
        bandit.record("s", "bad", i % 30 == 0);
    }
    let choice = bandit.choose("s", &templates(&["bad", "good"]), &mut rng(3)).unwrap();
    assert_eq!(choice.template_id, "good");
    assert!(choice.propensity > 0.95, "{}", choice.propensity);
    // Other segments learn separately.
    assert_eq!(bandit.arm("t", "good"), Arm { alpha: 1.0, beta: 1.0 });
}

#[test]
fn a_send_counts_as_a_failure_until_an_interested_reply_arrives() {
    let mut bandit = Bandit::default();
    bandit.record_sent("s", "a");
    bandit.record_sent("s", "a");
    assert_eq!(bandit.arm("s", "a"), Arm { alpha: 1.0, beta: 3.0 });
    bandit.record_interested("s", "a");
    assert_eq!(bandit.arm("s", "a"), Arm { alpha: 2.0, beta: 2.0 });
    // A reply whose send was recorded elsewhere never takes β below the prior.
    bandit.record_interested("s", "b");
    assert_eq!(bandit.arm("s", "b"), Arm { alpha: 2.0, beta: 1.0 });
}

#[test]
fn the_state_survives_serialisation() {
    let mut bandit = Bandit::new(0.5, 4.5, 50).unwrap();
    bandit.record("speaker", "a", true);
    bandit.record_sent("sponsor/executive", "b");
    let json = serde_json::to_string(&bandit).unwrap();
    assert_eq!(serde_json::from_str::<Bandit>(&json).unwrap(), bandit);
}

#[test]
fn priors_and_draws_are_checked() {
    assert_eq!(Bandit::new(0.0, 1.0, 10), Err(BanditError::InvalidPrior));
    assert_eq!(Bandit::new(1.0, f64::NAN, 10), Err(BanditError::InvalidPrior));
    assert_eq!(Bandit::new(1.0, 1.0, 0), Err(BanditError::NoDraws));
}

#[test]
fn segments_and_rewards() {
    assert_eq!(segment(LeadClass::Speaker, None), "speaker");
    assert_eq!(segment(LeadClass::Sponsor, Some(Seniority::Executive)), "sponsor/executive");
    assert!(is_reward(Intent::Interested));
    for intent in [Intent::InfoRequest, Intent::NotInterested, Intent::OptOut, Intent::OutOfOffice] {
        assert!(!is_reward(intent));
    }
}

/// Two weeks of first contacts to the speakers and sponsors of one world, one template per
/// angle: Thompson sampling must reach 85% of the interested replies of an oracle that knows
/// each person's hidden taste, and clearly beat choosing at random.
#[test]
fn learning_gets_close_to_the_oracle_and_beats_uniform() {
    let ts = templates(&["speaker-first-v1", "sponsor-first-v1", "generic-first-v1"]);
    let world = World::generate(7, 4500);
    let targeting = Targeting { classes: vec![LeadClass::Speaker, LeadClass::Sponsor], ..Targeting::default() };
    let audience = Audience::targeted(&world, &targeting);
    let config = SimulationConfig { seed: 7, ..SimulationConfig::default() };
    let run = |policy| simulate(&world, &audience, &ts, policy, &config).unwrap();
    let (learned, uniform, oracle) = (run(Policy::Thompson), run(Policy::Uniform), run(Policy::Oracle));
    assert_eq!((learned.contacts, uniform.contacts, oracle.contacts), (1890, 1890, 1890));

    let ratio = |a: u32| f64::from(a) / f64::from(oracle.interested);
    let (learned_ratio, uniform_ratio) = (ratio(learned.interested), ratio(uniform.interested));
    let expected_ratio = learned.expected_interested / oracle.expected_interested;
    let figures = format!("learned {learned:?}\nuniform {uniform:?}\noracle {oracle:?}");
    assert!(learned_ratio >= 0.85, "learned/oracle {learned_ratio:.3}\n{figures}");
    assert!(expected_ratio >= 0.85, "expected learned/oracle {expected_ratio:.3}\n{figures}");
    assert!(learned_ratio - uniform_ratio >= 0.2, "uniform/oracle {uniform_ratio:.3}\n{figures}");
    assert!(oracle.expected_interested >= learned.expected_interested, "nothing beats the oracle\n{figures}");
}
