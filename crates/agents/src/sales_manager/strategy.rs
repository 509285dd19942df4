//! Strategy updates decided by pure functions, each with its decision (factors, rationale):
//! switch off a template that is clearly worse than the best of its campaign, and move a
//! campaign's min score by one when its queue of new leads is far larger, or far smaller,
//! than the senders' daily budgets. Conservative on purpose: minimum sample sizes, 95%
//! intervals that must not overlap, one step a day; deterministic, so a replay agrees.

use std::collections::{BTreeMap, BTreeSet};

use reachspark_domain::campaign::{ApprovalPolicy, StrategyChange};
use reachspark_domain::decision::{Decision, DecisionKind};
use reachspark_domain::event::Actor;
use uuid::Uuid;

use super::facts::{rate, CampaignFacts, Queue, TemplateInfo, TemplateRow};

/// A queue longer than this many days of first contacts asks for a higher min score.
const RAISE_DAYS: f64 = 10.0;
/// ... as long as the higher score still leaves this many days of work.
const KEEP_DAYS: f64 = 3.0;
/// A queue shorter than this many days of first contacts asks for a lower min score.
const LOWER_DAYS: f64 = 0.5;
/// The Sales Manager never lowers the min score below this, nor raises it above the ceiling.
const MIN_SCORE_FLOOR: u8 = 3;
const MIN_SCORE_CEILING: u8 = 9;
/// z for a two-sided 95% interval.
const Z: f64 = 1.96;

/// A change to make through `updateStrategy`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Proposal {
    /// Give `template_id` weight 0: the template choice stops using it (it stays for history).
    SwitchOff { campaign_id: Uuid, template_id: String, decision: Decision },
    /// Move the campaign's min score, keeping its approval policy.
    MinScore { campaign_id: Uuid, from: u8, to: u8, approval_policy: ApprovalPolicy, decision: Decision },
}

impl Proposal {
    /// The campaign it changes.
    pub(crate) fn campaign_id(&self) -> Uuid {
        match self {
            Self::SwitchOff { campaign_id, .. } | Self::MinScore { campaign_id, .. } => *campaign_id,
        }
    }

    /// A stable name of what it changes, for its idempotency key.
    pub(crate) fn key_part(&self) -> String {
        match self {
            Self::SwitchOff { template_id, .. } => format!("weight:{template_id}"),
            Self::MinScore { .. } => "min_score".to_owned(),
        }
    }

    /// The change as the campaign records it.
    pub(crate) fn change(&self) -> StrategyChange {
        match self {
            Self::SwitchOff { template_id, .. } => {
                StrategyChange::TemplateWeights { weights: BTreeMap::from([(template_id.clone(), 0.0)]) }
            }
            Self::MinScore { to, approval_policy, .. } => {
                StrategyChange::Thresholds { min_score: *to, approval_policy: *approval_policy }
            }
        }
    }

    /// The decision behind it.
    pub(crate) fn decision(&self) -> &Decision {
        match self {
            Self::SwitchOff { decision, .. } | Self::MinScore { decision, .. } => decision,
        }
    }
}

/// The Wilson 95% interval of `k` successes in `n` trials.
pub(crate) fn wilson(k: i64, n: i64) -> (f64, f64) {
    let Some(p) = rate(k, n) else { return (0.0, 1.0) };
    let n = n as f64;
    let z2 = Z * Z;
    let centre = p + z2 / (2.0 * n);
    let spread = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let d = 1.0 + z2 / n;
    (((centre - spread) / d).max(0.0), ((centre + spread) / d).min(1.0))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// Sends and positive replies of one template, per segment and in total.
#[derive(Debug, Default)]
struct Earned {
    sent: i64,
    positive: i64,
    by_segment: BTreeMap<String, (i64, i64)>,
}

fn earned(campaign: Uuid, template: &str, rows: &[TemplateRow]) -> Earned {
    let mut e = Earned::default();
    for r in rows.iter().filter(|r| r.campaign_id == campaign && r.template_id == template) {
        e.sent += r.sent;
        e.positive += r.positive;
        let s = e.by_segment.entry(r.segment.clone()).or_default();
        *s = (s.0 + r.sent, s.1 + r.positive);
    }
    e
}

/// Whether `template` leads (ties included) some segment among templates with `min_sends` there.
fn leads_a_segment(template: &str, group: &[(&TemplateInfo, Earned)], min_sends: i64) -> bool {
    let segments: BTreeSet<&String> = group.iter().flat_map(|(_, e)| e.by_segment.keys()).collect();
    segments.into_iter().any(|segment| {
        let rates: Vec<(&str, f64)> = group
            .iter()
            .filter_map(|(t, e)| {
                let (sent, positive) = e.by_segment.get(segment).copied()?;
                Some((t.id.as_str(), rate(positive, sent).filter(|_| sent >= min_sends)?))
            })
            .collect();
        let top = rates.iter().map(|(_, r)| *r).fold(f64::NEG_INFINITY, f64::max);
        rates.len() >= 2 && rates.iter().any(|(id, r)| *id == template && *r >= top)
    })
}

/// Templates of `campaign` to switch off: among active templates of the same step and channel
/// with at least `min_sends` sends each, one whose positive-reply interval lies wholly below
/// the best one's, and that leads no segment. The best always stays.
pub(crate) fn template_switch_offs(campaign: &CampaignFacts, rows: &[TemplateRow], min_sends: i64) -> Vec<Proposal> {
    let mut groups: BTreeMap<String, Vec<&TemplateInfo>> = BTreeMap::new();
    for t in campaign.templates.iter().filter(|t| t.weight > 0.0) {
        groups.entry(format!("{:?}/{:?}", t.step, t.channel)).or_default().push(t);
    }
    let mut proposals = Vec::new();
    for templates in groups.values() {
        let group: Vec<(&TemplateInfo, Earned)> = templates
            .iter()
            .map(|t| (*t, earned(campaign.id, &t.id, rows)))
            .filter(|(_, e)| e.sent >= min_sends)
            .collect();
        let positive_rate = |e: &Earned| rate(e.positive, e.sent).unwrap_or(0.0);
        // The best by rate; ties to more sends, then to the smaller id.
        let Some((best, best_e)) = group.iter().max_by(|(a, ae), (b, be)| {
            positive_rate(ae).total_cmp(&positive_rate(be)).then(ae.sent.cmp(&be.sent)).then(b.id.cmp(&a.id))
        }) else {
            continue;
        };
        let (best_low, best_high) = wilson(best_e.positive, best_e.sent);
        for (t, e) in &group {
            let (low, high) = wilson(e.positive, e.sent);
            if t.id == best.id || high >= best_low || leads_a_segment(&t.id, &group, min_sends) {
                continue;
            }
            let rationale = format!(
                "Template {} earned {} positive replies to {} sends ({}, 95% interval {}–{}) against {} for {} over \
                 {} sends ({}–{}): clearly worse and leading no segment, so it is switched off (weight 0) and its \
                 sends go to the better templates",
                t.id,
                e.positive,
                e.sent,
                pct(positive_rate(e)),
                pct(low),
                pct(high),
                pct(positive_rate(best_e)),
                best.id,
                best_e.sent,
                pct(best_low),
                pct(best_high)
            );
            let decision = Decision::new(
                DecisionKind::StrategyChange,
                format!("{}=0", t.id),
                rationale,
                Actor::agent(crate::actors::SALES_MANAGER),
                crate::rules::engine(),
            )
            .with_confidence(0.95)
            .with_factor(format!("positive_rate:{}", t.id), pct(positive_rate(e)), round3(-(best_low - high)))
            .with_factor(format!("positive_rate:{}", best.id), pct(positive_rate(best_e)), 0.0)
            .with_factor(format!("sends:{}", t.id), e.sent.to_string(), 0.0)
            .with_factor(format!("sends:{}", best.id), best_e.sent.to_string(), 0.0)
            .with_factor("min_sends", min_sends.to_string(), 0.0);
            proposals.push(Proposal::SwitchOff { campaign_id: campaign.id, template_id: t.id.clone(), decision });
        }
    }
    proposals
}

/// A one-step move of `campaign`'s min score when its queue of new leads (`queue`) is far
/// longer or far shorter than `capacity` first contacts a day.
pub(crate) fn min_score_change(campaign: &CampaignFacts, queue: &Queue, capacity: i64) -> Option<Proposal> {
    if capacity <= 0 {
        return None;
    }
    let current = campaign.min_score.max(1);
    let waiting = queue.at_least(current);
    let days = |n: i64| n as f64 / capacity as f64;
    let (to, kept) = if days(waiting) > RAISE_DAYS && current < MIN_SCORE_CEILING {
        let kept = queue.at_least(current + 1);
        (days(kept) >= KEEP_DAYS).then_some((current + 1, kept))?
    } else if days(waiting) < LOWER_DAYS && campaign.min_score > MIN_SCORE_FLOOR {
        let to = campaign.min_score - 1;
        (queue.exactly(to) > 0).then_some((to, queue.at_least(to)))?
    } else {
        return None;
    };
    let direction = if to > campaign.min_score { "raised" } else { "lowered" };
    let rationale = format!(
        "{waiting} new leads score {current} or more: {:.1} days of first contacts at the {capacity} a day the sender \
         accounts allow. The min score is {direction} from {} to {to}, leaving {kept} leads ({:.1} days){}",
        days(waiting),
        campaign.min_score,
        days(kept),
        if to > campaign.min_score { " so the best go first" } else { " so the senders' budgets are used" },
    );
    let decision = Decision::new(
        DecisionKind::StrategyChange,
        format!("min_score={to}"),
        rationale,
        Actor::agent(crate::actors::SALES_MANAGER),
        crate::rules::engine(),
    )
    .with_confidence(0.8)
    .with_factor("queue_days", format!("{:.1}", days(waiting)), if to > campaign.min_score { 1.0 } else { -1.0 })
    .with_factor("new_leads", waiting.to_string(), 0.0)
    .with_factor("daily_capacity", capacity.to_string(), 0.0)
    .with_factor("leads_after_change", kept.to_string(), 0.0);
    Some(Proposal::MinScore {
        campaign_id: campaign.id,
        from: campaign.min_score,
        to,
        approval_policy: campaign.approval_policy,
        decision,
    })
}

#[cfg(test)]
mod tests;
