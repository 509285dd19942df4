use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use reachspark_domain::agent::AlertKind;

use super::*;
use crate::sales_manager::facts::ErrorCounts;

const T: Thresholds = Thresholds { min_reply_rate: 0.05, min_sends: 20, max_errors_per_day: 50 };

fn day0() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 28).unwrap()
}

/// 28 days ending on `day0`: the first 21 with `(sent, responded)` = `before` each, the last 7
/// with `recent` each.
fn window(before: (i64, i64), recent: (i64, i64)) -> Vec<(NaiveDate, Funnel)> {
    (0..28)
        .map(|i| {
            let (sent, responded) = if i < 21 { before } else { recent };
            (day0() - TimeDelta::days(27 - i), Funnel { sent, responded, ..Funnel::default() })
        })
        .collect()
}

#[test]
fn reply_rate_alerts_on_a_low_floor_or_a_sharp_drop_and_only_over_enough_sends() {
    // (sent, replies) per day over the 21 baseline days, then over the 7 recent days → alert?
    let table = [
        ((10, 2), (10, 0), true),  // 0% over 70 sends: below the 5% floor
        ((10, 2), (2, 0), false),  // 0%, but 14 sends in 7 days are too few to say
        ((10, 3), (10, 1), true),  // 10% against 30%: dropped by more than half
        ((10, 3), (10, 2), false), // 20% against 30%: lower, not sharply
        ((0, 0), (10, 1), false),  // 10%: above the floor, no baseline to drop from
    ];
    for (before, recent, expected) in table {
        let alert = reply_rate(&window(before, recent), T);
        assert_eq!(alert.is_some(), expected, "{before:?} {recent:?}: {alert:?}");
        assert!(alert.is_none_or(|a| a.kind == AlertKind::ReplyRateDrop));
    }
}

#[test]
fn a_drop_needs_a_baseline_of_enough_sends() {
    // 21 baseline sends all answered, then 10%.
    let days = window((1, 1), (10, 1));
    let a = reply_rate(&days, T).expect("21 baseline sends are enough at min_sends 20");
    assert!(a.detail.starts_with("reply rate fell to 10.0% from 100.0% over the 21 days before"), "{}", a.detail);
    assert_eq!(reply_rate(&days, Thresholds { min_sends: 22, ..T }), None);
}

#[test]
fn the_floor_alert_names_its_numbers() {
    let a = reply_rate(&window((0, 0), (5, 0)), T).unwrap();
    assert_eq!(a.detail, "reply rate 0.0% is below the floor of 5.0%: 0 replies to 35 sends in the last 7 days");
}

fn errors(per_day: &[(i64, i64)]) -> ErrorDays {
    // per_day[0] is the report's day, then the days before it.
    let mut days = BTreeMap::new();
    for (i, (transient, rejected)) in per_day.iter().enumerate() {
        let counts = ErrorCounts { transient: *transient, permanent: 0, rejected: *rejected };
        let day = day0() - TimeDelta::days(i64::try_from(i).unwrap());
        days.insert(day, BTreeMap::from([("outreach".to_owned(), counts)]));
    }
    days
}

#[test]
fn error_spikes_need_a_minimum_and_a_multiple_of_the_recent_average_or_the_ceiling() {
    let table: [(&[(i64, i64)], bool); 6] = [
        (&[(6, 0)], true),                                                          // 6 after a quiet week
        (&[(4, 0)], false),                                                         // 4: below the minimum
        (&[(6, 0), (2, 0), (2, 0), (2, 0), (2, 0), (2, 0), (2, 0), (2, 0)], true),  // 6 ≥ 3 × 2
        (&[(6, 0), (3, 0), (3, 0), (3, 0), (3, 0), (3, 0), (3, 0), (3, 0)], false), // 6 < 3 × 3
        (&[(0, 400)], false),                                                       // rejections are not failures
        (&[(50, 0), (40, 0), (40, 0), (40, 0), (40, 0), (40, 0), (40, 0), (40, 0)], true), // ceiling
    ];
    for (days, expected) in table {
        let alert = error_spike(&errors(days), day0(), T);
        assert_eq!(alert.is_some(), expected, "{days:?}: {alert:?}");
        assert!(alert.is_none_or(|a| a.kind == AlertKind::ErrorSpike));
    }
}

fn budget(account: &str, remaining: i64, waiting: i64) -> AccountBudget {
    AccountBudget {
        account_id: account.into(),
        channel: "linkedin".into(),
        action: "connection_invitation".into(),
        used: 20 - remaining,
        cap: 20,
        remaining,
        waiting,
    }
}

#[test]
fn a_spent_budget_alerts_only_while_leads_wait() {
    let actions = ["connection_invitation", "email"];
    let none = |_: &str| 0;
    let backlog = |c: &str| if c == "linkedin" { 7 } else { 0 };
    assert_eq!(budget_exhausted(&[budget("a", 0, 0)], &actions, &none), None, "nobody waits");
    assert_eq!(budget_exhausted(&[budget("a", 3, 9)], &actions, &none), None, "budget left");
    let a = budget_exhausted(&[budget("a", 0, 2), budget("b", 5, 1)], &actions, &none).unwrap();
    assert_eq!(a.kind, AlertKind::BudgetExhausted);
    assert_eq!(
        a.detail,
        "account a has no connection_invitation left today (20 of 20 used; 2 allocated leads wait, 0 new leads on linkedin)"
    );
    assert!(budget_exhausted(&[budget("a", 0, 0)], &actions, &backlog).is_some(), "new leads wait");
    let message = AccountBudget { action: "message".into(), ..budget("a", 0, 4) };
    assert_eq!(budget_exhausted(&[message], &actions, &none), None, "follow-up budgets are not first contacts");
    let closed = AccountBudget { cap: 0, ..budget("a", 0, 4) };
    assert_eq!(budget_exhausted(&[closed], &actions, &none), None, "an account with no budget at all (paused)");
}

#[test]
fn a_budget_alert_names_a_few_accounts_and_counts_the_rest() {
    let many: Vec<AccountBudget> = (0..9).map(|i| budget(&format!("{i:036}"), 0, 1)).collect();
    let a = budget_exhausted(&many, &["connection_invitation"], &|_| 0).unwrap();
    assert!(a.detail.ends_with("; and 5 more accounts") && a.detail.chars().count() <= 1000, "{}", a.detail);
}

#[test]
fn an_opt_out_rate_over_its_threshold_is_a_warning_over_enough_sends() {
    let days = |sent, opted_out| -> Vec<(NaiveDate, Funnel)> {
        (0..7).map(|i| (day0() - TimeDelta::days(i), Funnel { sent, opted_out, ..Funnel::default() })).collect()
    };
    assert_eq!(
        opt_out_warning(&days(10, 1), 0.05, 20).as_deref(),
        Some("opt-out rate 10.0% is above 5.0%: 7 opt-outs to 70 sends in the last 7 days")
    );
    assert_eq!(opt_out_warning(&days(10, 0), 0.05, 20), None, "no opt-outs");
    assert_eq!(opt_out_warning(&days(2, 1), 0.05, 20), None, "14 sends are too few");
}

#[test]
fn sends_too_young_to_have_replies_raise_no_alert() {
    // A campaign that started sending today: 40 sends, no reply yet — not a drop.
    let mut days: Vec<(NaiveDate, Funnel)> = window((0, 0), (0, 0));
    days.last_mut().unwrap().1 = Funnel { sent: 40, ..Funnel::default() };
    assert_eq!(reply_rate(&days, T), None);
    // Five days in, the older sends have had their time: 0% is below the floor.
    for (_, f) in days.iter_mut().rev().take(5) {
        *f = Funnel { sent: 40, ..Funnel::default() };
    }
    assert!(reply_rate(&days, T).is_some());
}
