//! The daily report as Markdown, rendered by a pure function from counts, rates and ids (no
//! name, profile, address or message text can reach it: [`Facts`] holds none).

use std::fmt::Write as _;

use reachspark_domain::agent::AlertKind;

use super::alerts::{Alert, RECENT_DAYS};
use super::facts::{failures_on, rate, CampaignFacts, Change, ErrorCounts, Facts, Funnel};

/// What the report of a day says: the facts read, the changes made since the last report and
/// the alerts and warnings raised with it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Report<'a> {
    pub(crate) facts: &'a Facts,
    pub(crate) changes: &'a [Change],
    pub(crate) alerts: &'a [Alert],
    /// Things a person should see that are not alerts (an opt-out rate over its threshold).
    pub(crate) warnings: &'a [String],
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// A table cell: pipes and line breaks would break the table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

pub(crate) fn alert_title(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::ReplyRateDrop => "Reply rate",
        AlertKind::ErrorSpike => "Error spike",
        AlertKind::BudgetExhausted => "Budget exhausted",
    }
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
}

fn funnel_row(label: String, f: &Funnel) -> Vec<String> {
    let counts = [f.discovered, f.classified, f.allocated, f.drafted, f.sent, f.responded, f.positive, f.qualified];
    let mut row = vec![label];
    row.extend(counts.iter().map(ToString::to_string));
    row.extend([f.opted_out.to_string(), pct(f.reply_rate()), pct(f.positive_rate())]);
    row
}

const FUNNEL: [&str; 12] = [
    "Campaign",
    "Discovered",
    "Classified",
    "Allocated",
    "Drafted",
    "Sent",
    "Replies",
    "Positive",
    "Qualified",
    "Opted out",
    "Reply rate",
    "Positive rate",
];

fn funnels(out: &mut String, campaigns: &[CampaignFacts]) {
    out.push_str("## Funnel by campaign\n\n");
    if campaigns.is_empty() {
        out.push_str("No running campaign.\n\n");
        return;
    }
    for (title, days) in [("Today", 1), ("Last 7 days", RECENT_DAYS)] {
        let _ = writeln!(out, "### {title}\n");
        let rows: Vec<Vec<String>> =
            campaigns.iter().map(|c| funnel_row(format!("`{}`", c.id), &c.last(days))).collect();
        table(out, &FUNNEL, &rows);
    }
}

fn templates(out: &mut String, facts: &Facts) {
    out.push_str("## Templates by segment (all time)\n\n");
    if facts.templates.is_empty() {
        out.push_str("Nothing sent yet.\n\n");
        return;
    }
    let mut rows: Vec<_> = facts.templates.iter().collect();
    rows.sort_by(|a, b| (a.campaign_id, &a.template_id, &a.segment).cmp(&(b.campaign_id, &b.template_id, &b.segment)));
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            let weight = facts
                .campaigns
                .iter()
                .find(|c| c.id == r.campaign_id)
                .and_then(|c| c.templates.iter().find(|t| t.id == r.template_id))
                .map_or_else(
                    || "retired".to_owned(),
                    |t| if t.weight > 0.0 { t.weight.to_string() } else { "off".into() },
                );
            vec![
                format!("`{}`", r.campaign_id),
                format!("`{}`", cell(&r.template_id)),
                cell(&r.segment),
                r.sent.to_string(),
                r.replies.to_string(),
                r.positive.to_string(),
                r.opt_outs.to_string(),
                pct(rate(r.replies, r.sent)),
                pct(rate(r.positive, r.sent)),
                weight,
            ]
        })
        .collect();
    let header = [
        "Campaign",
        "Template",
        "Segment",
        "Sent",
        "Replies",
        "Positive",
        "Opt-outs",
        "Reply rate",
        "Positive rate",
        "Weight",
    ];
    table(out, &header, &rows);
}

fn queues(out: &mut String, facts: &Facts) {
    out.push_str("## Lead queue\n\n");
    let rows: Vec<Vec<String>> = facts
        .campaigns
        .iter()
        .map(|c| {
            let q = facts.queues.get(&c.id).copied().unwrap_or_default();
            let capacity = c.channel.map_or(0, |ch| facts.capacity(ch));
            let fit = q.at_least(c.min_score.max(1));
            vec![
                format!("`{}`", c.id),
                c.min_score.to_string(),
                fit.to_string(),
                (q.at_least(0) - fit).to_string(),
                q.unscored.to_string(),
                capacity.to_string(),
            ]
        })
        .collect();
    let header = ["Campaign", "Min score", "New leads at or above", "Below", "Unscored", "First contacts a day"];
    table(out, &header, &rows);
    if facts.queue_truncated {
        out.push_str("The lead lists were longer than one read: these counts are lower bounds.\n\n");
    }
}

fn budgets(out: &mut String, facts: &Facts) {
    out.push_str("## Sender budgets today\n\n");
    if facts.budgets.is_empty() {
        out.push_str("No sender account.\n\n");
        return;
    }
    let rows: Vec<Vec<String>> = facts
        .budgets
        .iter()
        .map(|b| {
            vec![
                format!("`{}`", b.account_id),
                b.channel.clone(),
                b.action.clone(),
                b.used.to_string(),
                b.cap.to_string(),
                b.remaining.to_string(),
                b.waiting.to_string(),
            ]
        })
        .collect();
    table(out, &["Account", "Channel", "Action", "Used", "Daily cap", "Remaining", "Allocated leads waiting"], &rows);
}

fn errors(out: &mut String, facts: &Facts) {
    out.push_str("## Agent errors\n\n");
    let today = facts.errors.get(&facts.day).cloned().unwrap_or_default();
    let mut names: Vec<&String> = today.keys().chain(facts.agents.iter().map(|a| &a.agent)).collect();
    names.sort();
    names.dedup();
    let rows: Vec<Vec<String>> = names
        .into_iter()
        .map(|name| {
            let c = today.get(name).copied().unwrap_or(ErrorCounts::default());
            let all = facts.agents.iter().find(|a| &a.agent == name);
            let total = |f: fn(&super::facts::AgentTotals) -> i64| all.map_or("—".to_owned(), |a| f(a).to_string());
            vec![
                cell(name),
                c.transient.to_string(),
                c.permanent.to_string(),
                c.rejected.to_string(),
                total(|a| a.commands),
                total(|a| a.errors),
                total(|a| a.rejections),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("No agent has reported anything yet.\n\n");
        return;
    }
    let header = ["Agent", "Transient today", "Permanent today", "Rejected today", "Commands", "Errors", "Rejections"];
    table(out, &header, &rows);
    out.push_str("Commands, errors and rejections are all-time totals.\n\n");
}

fn changes(out: &mut String, changes: &[Change]) {
    out.push_str("## What changed and why\n\n");
    if changes.is_empty() {
        out.push_str("No strategy change since the last report.\n\n");
        return;
    }
    for c in changes {
        let _ = writeln!(out, "- Campaign `{}`: {} (by {}). {}", c.campaign_id, c.what, c.by, c.rationale);
    }
    out.push('\n');
}

/// The few lines a person reads first; also what the notify targets receive.
pub(crate) fn summary(r: &Report<'_>) -> Vec<String> {
    let f = r.facts;
    let today = Funnel::total(f.campaigns.iter().map(|c| c.today()).collect::<Vec<_>>().iter());
    let week = Funnel::total(f.campaigns.iter().map(|c| c.last(RECENT_DAYS)).collect::<Vec<_>>().iter());
    let day_errors = f.errors.get(&f.day).cloned().unwrap_or_default();
    let rejected: i64 = day_errors.values().map(|c| c.rejected).sum();
    let alerts = if r.alerts.is_empty() {
        "none".to_owned()
    } else {
        r.alerts.iter().map(|a| alert_title(a.kind)).collect::<Vec<_>>().join(", ")
    };
    vec![
        format!(
            "Today: {} sent, {} replies, {} positive, {} qualified.",
            today.sent, today.responded, today.positive, today.qualified
        ),
        format!(
            "Last {RECENT_DAYS} days: {} sent, reply rate {}, positive rate {}, opt-out rate {}.",
            week.sent,
            pct(week.reply_rate()),
            pct(week.positive_rate()),
            pct(week.opt_out_rate())
        ),
        format!("Alerts: {alerts}. Warnings: {}.", r.warnings.len()),
        format!("Strategy changes since the last report: {}.", r.changes.len()),
        format!("Agent failures today: {} (rejected commands: {rejected}).", failures_on(&f.errors, f.day)),
    ]
}

/// The whole report, in Markdown.
pub(crate) fn markdown(r: &Report<'_>) -> String {
    let mut out = format!(
        "# Daily report — {}\n\nPublished by the Sales Manager. Counts, rates and ids only: no personal data.\n\n\
         ## Summary\n\n",
        r.facts.day
    );
    for line in summary(r) {
        let _ = writeln!(out, "- {line}");
    }
    out.push_str("\n## Alerts\n\n");
    if r.alerts.is_empty() && r.warnings.is_empty() {
        out.push_str("None.\n");
    }
    for a in r.alerts {
        let _ = writeln!(out, "- **{}**: {}", alert_title(a.kind), a.detail);
    }
    for w in r.warnings {
        let _ = writeln!(out, "- **Warning**: {w}");
    }
    out.push('\n');
    changes(&mut out, r.changes);
    funnels(&mut out, &r.facts.campaigns);
    templates(&mut out, r.facts);
    queues(&mut out, r.facts);
    budgets(&mut out, r.facts);
    errors(&mut out, r.facts);
    fit(out, MAX_CHARS)
}

/// The longest report rendered, in characters: below the 64,000 the event holds.
const MAX_CHARS: usize = 60_000;

/// `out` cut at the last whole line that fits in `max` characters, with a note, when longer.
fn fit(mut out: String, max: usize) -> String {
    out.truncate(out.trim_end().len());
    if out.chars().count() > max {
        let note = "\n\n(The report was cut here; the analytics queries hold the rest.)";
        let budget = max.saturating_sub(note.chars().count());
        let end = out.char_indices().nth(budget).map_or(out.len(), |(i, _)| i);
        let end = out[..end].rfind('\n').unwrap_or(end);
        out.truncate(end);
        out.push_str(note);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;
