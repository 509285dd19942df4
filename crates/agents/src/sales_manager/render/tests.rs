use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use reachspark_domain::agent::AlertKind;
use reachspark_domain::campaign::ApprovalPolicy;
use reachspark_domain::lead::Step;
use reachspark_domain::sender_account::Channel;
use uuid::Uuid;

use super::*;
use crate::sales_manager::facts::{AccountBudget, AgentTotals, Queue, TemplateInfo, TemplateRow};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 28).unwrap()
}

fn facts() -> Facts {
    let id = Uuid::from_u128(1);
    let days = (0..28)
        .map(|i| {
            let f = if i == 27 {
                Funnel {
                    discovered: 5,
                    classified: 5,
                    allocated: 4,
                    drafted: 4,
                    sent: 40,
                    responded: 6,
                    positive: 2,
                    ..Funnel::default()
                }
            } else {
                Funnel { sent: 10, responded: 2, positive: 1, opted_out: 1, ..Funnel::default() }
            };
            (day() - TimeDelta::days(27 - i), f)
        })
        .collect();
    let template =
        |id: &str, weight| TemplateInfo { id: id.into(), channel: Channel::LinkedIn, step: Step::First, weight };
    let row = |t: &str, segment: &str, sent, positive| TemplateRow {
        campaign_id: id,
        template_id: t.into(),
        segment: segment.into(),
        sent,
        replies: positive * 2,
        positive,
        opt_outs: 1,
    };
    Facts {
        day: day(),
        campaigns: vec![CampaignFacts {
            id,
            channel: Some(Channel::LinkedIn),
            min_score: 6,
            classes: vec![],
            approval_policy: ApprovalPolicy::Never,
            templates: vec![template("short", 1.0), template("long", 0.0)],
            days,
        }],
        templates: vec![row("short", "Speaker", 200, 30), row("long", "Speaker", 200, 2), row("old|v0", "Other", 0, 0)],
        budgets: vec![AccountBudget {
            account_id: "acc-1".into(),
            channel: "linkedin".into(),
            action: "connection_invitation".into(),
            used: 20,
            cap: 20,
            remaining: 0,
            waiting: 3,
        }],
        errors: BTreeMap::from([
            (day(), BTreeMap::from([("outreach".to_owned(), ErrorCounts { transient: 2, permanent: 1, rejected: 4 })])),
            (
                day() - TimeDelta::days(1),
                BTreeMap::from([("outreach".to_owned(), ErrorCounts { transient: 9, ..ErrorCounts::default() })]),
            ),
        ]),
        agents: vec![AgentTotals { agent: "outreach".into(), commands: 120, rejections: 4, errors: 12 }],
        queues: BTreeMap::from([(id, Queue { by_score: [0, 0, 0, 0, 2, 3, 4, 5, 0, 0, 0], unscored: 1 })]),
        queue_truncated: false,
    }
}

fn report_of<'a>(facts: &'a Facts, changes: &'a [Change], alerts: &'a [Alert], warnings: &'a [String]) -> String {
    markdown(&Report { facts, changes, alerts, warnings })
}

#[test]
fn the_report_has_every_section_with_its_numbers() {
    let f = facts();
    let changes = [Change {
        event_id: Uuid::from_u128(9),
        campaign_id: Uuid::from_u128(1),
        what: "template weights: `long` → 0".into(),
        rationale: "Template long earned 2 positive replies to 200 sends".into(),
        by: "sales_manager".into(),
    }];
    let alerts =
        [Alert { kind: AlertKind::BudgetExhausted, detail: "account acc-1 has no connection_invitation left".into() }];
    let warnings = ["opt-out rate 2.5% is above 2.0%".to_owned()];
    let md = report_of(&f, &changes, &alerts, &warnings);
    let c = "`00000000-0000-0000-0000-000000000001`";
    for expected in [
        "# Daily report — 2026-03-28\n",
        "- Today: 40 sent, 6 replies, 2 positive, 0 qualified.\n",
        "- Last 7 days: 100 sent, reply rate 18.0%, positive rate 8.0%, opt-out rate 6.0%.\n",
        "- Alerts: Budget exhausted. Warnings: 1.\n",
        "- Strategy changes since the last report: 1.\n",
        "- Agent failures today: 3 (rejected commands: 4).\n",
        "- **Budget exhausted**: account acc-1 has no connection_invitation left\n",
        "- **Warning**: opt-out rate 2.5% is above 2.0%\n",
        &format!("- Campaign {c}: template weights: `long` → 0 (by sales_manager). Template long earned 2"),
        "### Today\n\n| Campaign | Discovered |",
        &format!("| {c} | 5 | 5 | 4 | 4 | 40 | 6 | 2 | 0 | 0 | 15.0% | 5.0% |\n"),
        &format!("| {c} | 5 | 5 | 4 | 4 | 100 | 18 | 8 | 0 | 6 | 18.0% | 8.0% |\n"),
        &format!("| {c} | `long` | Speaker | 200 | 4 | 2 | 1 | 2.0% | 1.0% | off |\n"),
        &format!("| {c} | `short` | Speaker | 200 | 60 | 30 | 1 | 30.0% | 15.0% | 1 |\n"),
        &format!("| {c} | `old\\|v0` | Other | 0 | 0 | 0 | 1 | — | — | retired |\n"),
        &format!("| {c} | 6 | 9 | 5 | 1 | 20 |\n"),
        "| `acc-1` | linkedin | connection_invitation | 20 | 20 | 0 | 3 |\n",
        "| outreach | 2 | 1 | 4 | 120 | 12 | 4 |\n",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in\n{md}");
    }
    let sections: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        sections,
        [
            "## Summary",
            "## Alerts",
            "## What changed and why",
            "## Funnel by campaign",
            "## Templates by segment (all time)",
            "## Lead queue",
            "## Sender budgets today",
            "## Agent errors"
        ]
    );
    assert!(md.ends_with("all-time totals.\n"), "{md}");
}

#[test]
fn an_empty_day_renders_plainly() {
    let f = Facts { day: day(), ..Facts::default() };
    let md = report_of(&f, &[], &[], &[]);
    for expected in [
        "- Today: 0 sent, 0 replies, 0 positive, 0 qualified.\n",
        "- Last 7 days: 0 sent, reply rate —, positive rate —, opt-out rate —.\n",
        "## Alerts\n\nNone.\n",
        "No strategy change since the last report.",
        "No running campaign.",
        "Nothing sent yet.",
        "No sender account.",
        "No agent has reported anything yet.",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in\n{md}");
    }
}

#[test]
fn the_same_facts_render_the_same_report() {
    let f = facts();
    assert_eq!(report_of(&f, &[], &[], &[]), report_of(&f.clone(), &[], &[], &[]));
}

#[test]
fn a_report_too_long_is_cut_at_a_line_with_a_note() {
    let long: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    let cut = fit(long, 1000);
    assert!(cut.chars().count() <= 1001, "{}", cut.len());
    assert!(cut.ends_with("hold the rest.)\n"), "{cut}");
    assert!(cut.lines().rev().nth(2).unwrap().starts_with("line "), "whole lines only");
    assert_eq!(fit("short\n\n".into(), 1000), "short\n");
}
