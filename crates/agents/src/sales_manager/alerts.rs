//! Performance alerts, decided by pure functions on counts: a reply rate too low or dropping
//! sharply, an error spike, a sender budget spent while leads wait. Each kind is raised at
//! most once a day (its idempotency key holds the day and the kind).

use chrono::NaiveDate;
use reachspark_domain::agent::AlertKind;

use super::facts::{failures_on, rate, AccountBudget, ErrorDays, Funnel};

/// Days in the recent window that rates are judged on (replies come days after sends, so a
/// single day says little).
pub(crate) const RECENT_DAYS: usize = 7;
/// A recent reply rate below this share of the baseline's is a sharp drop.
const DROP_SHARE: f64 = 0.5;
/// Replies take a while: sends younger than this many days have not had their chance yet, so
/// the rate is judged only once enough sends are at least this old.
const REPLY_LAG_DAYS: usize = 2;
/// Failures in a day below this never make a spike (a quiet week then three errors is noise).
const SPIKE_MIN_FAILURES: i64 = 5;
/// A day with this many times the recent daily average of failures is a spike.
const SPIKE_FACTOR: f64 = 3.0;

/// Accounts named in a budget alert's detail; the rest are counted.
const MAX_ACCOUNTS_NAMED: usize = 4;

/// An alert to raise, with the numbers behind it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alert {
    pub(crate) kind: AlertKind,
    /// Counts, rates and ids only.
    pub(crate) detail: String,
}

/// How sensitive the alerts are (from the Sales Manager's config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Thresholds {
    pub(crate) min_reply_rate: f64,
    pub(crate) min_sends: i64,
    pub(crate) max_errors_per_day: i64,
}

fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// The reply rate of the last [`RECENT_DAYS`] (all campaigns; `days` oldest first, the report's
/// day last) against the floor and against the days before them. Silent below `min_sends`.
pub(crate) fn reply_rate(days: &[(NaiveDate, Funnel)], t: Thresholds) -> Option<Alert> {
    let split = days.len().saturating_sub(RECENT_DAYS);
    let baseline = Funnel::total(days[..split].iter().map(|(_, f)| f));
    let recent = Funnel::total(days[split..].iter().map(|(_, f)| f));
    let ripe_end = days.len().saturating_sub(REPLY_LAG_DAYS).max(split);
    let ripe = Funnel::total(days[split..ripe_end].iter().map(|(_, f)| f));
    if recent.sent < t.min_sends || ripe.sent < t.min_sends {
        return None;
    }
    let now = recent.reply_rate()?;
    let numbers = format!("{} replies to {} sends in the last {RECENT_DAYS} days", recent.responded, recent.sent);
    if now < t.min_reply_rate {
        return Some(Alert {
            kind: AlertKind::ReplyRateDrop,
            detail: format!("reply rate {} is below the floor of {}: {numbers}", pct(now), pct(t.min_reply_rate)),
        });
    }
    let before = baseline.reply_rate().filter(|_| baseline.sent >= t.min_sends)?;
    (now < before * DROP_SHARE).then(|| Alert {
        kind: AlertKind::ReplyRateDrop,
        detail: format!(
            "reply rate fell to {} from {} over the {} days before ({} replies to {} sends): {numbers}",
            pct(now),
            pct(before),
            split,
            baseline.responded,
            baseline.sent
        ),
    })
}

/// Today's agent failures against a hard ceiling and against the daily average of the
/// [`RECENT_DAYS`] before.
pub(crate) fn error_spike(errors: &ErrorDays, day: NaiveDate, t: Thresholds) -> Option<Alert> {
    let today = failures_on(errors, day);
    let previous: i64 = (1..=RECENT_DAYS as i64).map(|n| failures_on(errors, day - chrono::TimeDelta::days(n))).sum();
    let average = rate(previous, RECENT_DAYS as i64).unwrap_or(0.0);
    let detail = format!(
        "{today} agent failures today (transient and permanent), against {average:.1} a day over the previous \
         {RECENT_DAYS} days"
    );
    if today >= t.max_errors_per_day {
        return Some(Alert {
            kind: AlertKind::ErrorSpike,
            detail: format!("{detail}; ceiling {}", t.max_errors_per_day),
        });
    }
    let spike = today >= SPIKE_MIN_FAILURES && today as f64 >= SPIKE_FACTOR * average;
    spike.then_some(Alert { kind: AlertKind::ErrorSpike, detail })
}

/// Accounts with a first-contact budget (`first_contact_actions`) spent for the day while leads
/// wait: allocated to them, or new leads of a campaign on that channel (`backlog` per channel).
pub(crate) fn budget_exhausted(
    budgets: &[AccountBudget],
    first_contact_actions: &[&str],
    backlog: &dyn Fn(&str) -> i64,
) -> Option<Alert> {
    let spent: Vec<String> = budgets
        .iter()
        .filter(|b| first_contact_actions.contains(&b.action.as_str()) && b.cap > 0 && b.remaining <= 0)
        .filter(|b| b.waiting > 0 || backlog(&b.channel) > 0)
        .map(|b| {
            format!(
                "account {} has no {} left today ({} of {} used; {} allocated leads wait, {} new leads on {})",
                b.account_id,
                b.action,
                b.used,
                b.cap,
                b.waiting,
                backlog(&b.channel),
                b.channel
            )
        })
        .collect();
    if spent.is_empty() {
        return None;
    }
    // An alert's detail holds at most 1,000 characters: name the first few accounts.
    let mut detail = spent.iter().take(MAX_ACCOUNTS_NAMED).cloned().collect::<Vec<_>>().join("; ");
    if spent.len() > MAX_ACCOUNTS_NAMED {
        detail.push_str(&format!("; and {} more accounts", spent.len() - MAX_ACCOUNTS_NAMED));
    }
    Some(Alert { kind: AlertKind::BudgetExhausted, detail })
}

/// The opt-out rate of the last [`RECENT_DAYS`] when above `max_rate` over at least
/// `min_sends` sends: not an alert kind of its own, so the report flags it and escalates it.
pub(crate) fn opt_out_warning(days: &[(NaiveDate, Funnel)], max_rate: f64, min_sends: i64) -> Option<String> {
    let recent = Funnel::total(days.iter().rev().take(RECENT_DAYS).map(|(_, f)| f));
    let now = recent.opt_out_rate().filter(|_| recent.sent >= min_sends)?;
    (now > max_rate).then(|| {
        format!(
            "opt-out rate {} is above {}: {} opt-outs to {} sends in the last {RECENT_DAYS} days",
            pct(now),
            pct(max_rate),
            recent.opted_out,
            recent.sent
        )
    })
}

#[cfg(test)]
mod tests;
