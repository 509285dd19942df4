use reachspark_domain::campaign::ApprovalPolicy;
use reachspark_domain::decision::DecisionKind;
use reachspark_domain::lead::Step;
use reachspark_domain::sender_account::Channel;
use uuid::Uuid;

use super::*;
use crate::sales_manager::facts::{CampaignFacts, Queue, TemplateInfo, TemplateRow};

fn campaign(templates: &[(&str, f64)], min_score: u8) -> CampaignFacts {
    CampaignFacts {
        id: Uuid::from_u128(7),
        channel: Some(Channel::LinkedIn),
        min_score,
        classes: vec![],
        approval_policy: ApprovalPolicy::FirstN(3),
        templates: templates
            .iter()
            .map(|(id, weight)| TemplateInfo {
                id: (*id).into(),
                channel: Channel::LinkedIn,
                step: Step::First,
                weight: *weight,
            })
            .collect(),
        days: vec![],
    }
}

fn row(template: &str, segment: &str, sent: i64, positive: i64) -> TemplateRow {
    TemplateRow {
        campaign_id: Uuid::from_u128(7),
        template_id: template.into(),
        segment: segment.into(),
        sent,
        replies: positive,
        positive,
        opt_outs: 0,
    }
}

fn switched_off(proposals: &[Proposal]) -> Vec<&str> {
    proposals
        .iter()
        .map(|p| match p {
            Proposal::SwitchOff { template_id, .. } => template_id.as_str(),
            Proposal::MinScore { .. } => "min_score",
        })
        .collect()
}

#[test]
fn wilson_intervals_are_known_values() {
    let (lo, hi) = wilson(10, 100);
    assert!((lo - 0.0552).abs() < 1e-3 && (hi - 0.1744).abs() < 1e-3, "{lo} {hi}");
    assert_eq!(wilson(0, 0), (0.0, 1.0));
    let (lo, hi) = wilson(0, 50);
    assert!(lo == 0.0 && hi > 0.0 && hi < 0.08, "{hi}");
}

#[test]
fn a_template_is_switched_off_only_when_clearly_worse_over_enough_sends() {
    // (a: sent, positive), (b: sent, positive), min_sends → switched off
    type Row = ((i64, i64), (i64, i64), i64, &'static [&'static str]);
    let table: [Row; 6] = [
        ((200, 40), (200, 4), 100, &["b"]), // 20% vs 2%: intervals far apart
        ((200, 40), (200, 30), 100, &[]),   // 20% vs 15%: intervals overlap
        ((200, 40), (60, 0), 100, &[]),     // b has too few sends to judge
        ((10, 3), (10, 0), 10, &[]),        // 30% vs 0% over 10 each: 11–60% and 0–28% overlap
        ((20, 8), (20, 0), 10, &["b"]),     // 40% vs 0% over 20 each: 22–61% and 0–16% are apart
        ((200, 4), (200, 40), 100, &["a"]), // the other way round
    ];
    for (a, b, min_sends, expected) in table {
        let rows = [row("a", "Speaker", a.0, a.1), row("b", "Speaker", b.0, b.1)];
        let got = template_switch_offs(&campaign(&[("a", 1.0), ("b", 1.0)], 0), &rows, min_sends);
        assert_eq!(switched_off(&got), expected, "{a:?} {b:?} {min_sends}");
    }
}

#[test]
fn a_template_that_leads_a_segment_stays_and_the_best_always_stays() {
    // b is far worse overall but the best for sponsors: it stays.
    let rows = [
        row("a", "Speaker", 400, 80),
        row("b", "Speaker", 400, 4),
        row("a", "Sponsor", 100, 2),
        row("b", "Sponsor", 100, 6),
    ];
    let c = campaign(&[("a", 1.0), ("b", 1.0)], 0);
    assert!(template_switch_offs(&c, &rows, 100).is_empty());
    // Three templates, two clearly worse: both go, the best stays.
    let rows = [row("a", "Speaker", 300, 60), row("b", "Speaker", 300, 3), row("c", "Speaker", 300, 6)];
    let c = campaign(&[("a", 1.0), ("b", 1.0), ("c", 1.0)], 0);
    assert_eq!(switched_off(&template_switch_offs(&c, &rows, 100)), ["b", "c"]);
}

#[test]
fn templates_already_off_or_of_other_steps_are_not_compared() {
    let rows = [row("a", "Speaker", 300, 60), row("b", "Speaker", 300, 3)];
    assert!(template_switch_offs(&campaign(&[("a", 1.0), ("b", 0.0)], 0), &rows, 100).is_empty(), "b is off");
    let mut c = campaign(&[("a", 1.0), ("b", 1.0)], 0);
    c.templates[1].step = Step::FollowUp(1);
    assert!(template_switch_offs(&c, &rows, 100).is_empty(), "a follow-up is not a first contact's rival");
}

#[test]
fn a_switch_off_carries_a_strategy_decision_with_its_numbers() {
    let rows = [row("a", "Speaker", 200, 40), row("b", "Speaker", 200, 4)];
    let got = template_switch_offs(&campaign(&[("a", 1.0), ("b", 1.0)], 0), &rows, 100);
    let d = got[0].decision();
    assert_eq!(d.kind, DecisionKind::StrategyChange);
    assert_eq!(d.decided_by.id, "sales_manager");
    assert!(d.rationale.starts_with("Template b earned 4 positive replies to 200 sends (2.0%"), "{}", d.rationale);
    let names: Vec<&str> = d.factors.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["positive_rate:b", "positive_rate:a", "sends:b", "sends:a", "min_sends"]);
    assert!(d.factors[0].contribution < 0.0);
    assert_eq!(got[0].key_part(), "weight:b");
    // Deterministic: the same numbers decide the same way.
    assert_eq!(template_switch_offs(&campaign(&[("a", 1.0), ("b", 1.0)], 0), &rows, 100), got);
}

fn queue(by_score: [i64; 11]) -> Queue {
    Queue { by_score, unscored: 0 }
}

#[test]
fn the_min_score_moves_one_step_when_the_queue_is_far_off_the_budgets() {
    //            scores 0..=10                         min  capacity → new min
    let table: [([i64; 11], u8, i64, Option<u8>); 8] = [
        ([0, 0, 0, 0, 0, 300, 200, 100, 50, 0, 0], 5, 40, Some(6)), // 650 = 16 days; 350 left = 8.8 days
        ([0, 0, 0, 0, 0, 300, 50, 40, 10, 0, 0], 5, 40, None),      // 400 = 10.0 days: not more than 10
        ([0, 0, 0, 0, 0, 500, 50, 30, 10, 0, 0], 5, 40, None),      // 590 = 14.8 days, 90 left = 2.3 days
        ([0, 0, 0, 0, 0, 0, 5, 3, 1, 0, 0], 6, 40, None),           // 9 < half a day, but none wait at 5
        ([0, 0, 0, 0, 0, 4, 5, 3, 1, 0, 0], 6, 40, Some(5)),        // 9 and 4 leads at 5
        ([0, 0, 4, 2, 1, 1, 0, 0, 0, 0, 0], 3, 40, None),           // at the floor
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 900, 900], 9, 40, None),       // at the ceiling
        ([0, 0, 0, 0, 0, 300, 200, 100, 50, 0, 0], 5, 0, None),     // no budget: the budget alert speaks
    ];
    for (i, (by_score, min, capacity, expected)) in table.into_iter().enumerate() {
        let got = min_score_change(&campaign(&[("a", 1.0)], min), &queue(by_score), capacity);
        let to = got.as_ref().map(|p| match p {
            Proposal::MinScore { to, from, .. } => {
                assert_eq!(*from, min);
                *to
            }
            Proposal::SwitchOff { .. } => panic!("{p:?}"),
        });
        assert_eq!(to, expected, "row {i}: {got:?}");
    }
}

#[test]
fn a_min_score_change_keeps_the_approval_policy_and_explains_itself() {
    let q = queue([0, 0, 0, 0, 0, 300, 200, 100, 50, 0, 0]);
    let got = min_score_change(&campaign(&[("a", 1.0)], 5), &q, 40).unwrap();
    let Proposal::MinScore { approval_policy, decision, .. } = &got else { panic!("{got:?}") };
    assert_eq!(*approval_policy, ApprovalPolicy::FirstN(3));
    assert_eq!(
        decision.rationale,
        "650 new leads score 5 or more: 16.2 days of first contacts at the 40 a day the sender accounts allow. The min \
         score is raised from 5 to 6, leaving 350 leads (8.8 days) so the best go first"
    );
    assert_eq!(got.key_part(), "min_score");
}
