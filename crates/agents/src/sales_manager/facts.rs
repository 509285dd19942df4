//! The numbers behind the daily report, the alerts and the strategy updates, as plain data
//! that the pure parts (render, alerts, strategy) take. Counts, rates and ids only: nothing
//! here can hold a person's data.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use reachspark_domain::campaign::{ApprovalPolicy, CampaignState, StrategyChange};
use reachspark_domain::lead::{LeadClass, Step};
use reachspark_domain::sender_account::Channel;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::campaign_channel;

/// How `senderUsage` names a channel.
pub(crate) fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::LinkedIn => "linkedin",
        Channel::Email => "email",
    }
}

/// Funnel counters (events per stage) of a day or a range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Funnel {
    pub(crate) discovered: i64,
    pub(crate) classified: i64,
    pub(crate) allocated: i64,
    pub(crate) drafted: i64,
    pub(crate) sent: i64,
    pub(crate) responded: i64,
    pub(crate) positive: i64,
    pub(crate) qualified: i64,
    pub(crate) opted_out: i64,
}

/// `part / whole`, none when nothing was in `whole` (a rate of 0 would claim a failure).
pub(crate) fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Funnel {
    /// The sum of `days`.
    pub(crate) fn total<'a>(days: impl IntoIterator<Item = &'a Self>) -> Self {
        days.into_iter().fold(Self::default(), |t, d| Self {
            discovered: t.discovered + d.discovered,
            classified: t.classified + d.classified,
            allocated: t.allocated + d.allocated,
            drafted: t.drafted + d.drafted,
            sent: t.sent + d.sent,
            responded: t.responded + d.responded,
            positive: t.positive + d.positive,
            qualified: t.qualified + d.qualified,
            opted_out: t.opted_out + d.opted_out,
        })
    }

    /// Replies per message sent.
    pub(crate) fn reply_rate(&self) -> Option<f64> {
        rate(self.responded, self.sent)
    }

    /// Positive replies per message sent.
    pub(crate) fn positive_rate(&self) -> Option<f64> {
        rate(self.positive, self.sent)
    }

    /// Opt-outs per message sent.
    pub(crate) fn opt_out_rate(&self) -> Option<f64> {
        rate(self.opted_out, self.sent)
    }
}

/// A template of a campaign, as strategy sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TemplateInfo {
    pub(crate) id: String,
    pub(crate) channel: Channel,
    pub(crate) step: Step,
    pub(crate) weight: f64,
}

/// An active campaign: its settings that strategy may change and its funnel per day.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CampaignFacts {
    pub(crate) id: Uuid,
    /// The first-contact channel (LinkedIn when it has both).
    pub(crate) channel: Option<Channel>,
    pub(crate) min_score: u8,
    pub(crate) classes: Vec<LeadClass>,
    pub(crate) approval_policy: ApprovalPolicy,
    /// Templates not retired (a weight of 0 switches one off without retiring it).
    pub(crate) templates: Vec<TemplateInfo>,
    /// The funnel of each day of the window, oldest first, the report's day last.
    pub(crate) days: Vec<(NaiveDate, Funnel)>,
}

impl CampaignFacts {
    /// A campaign's facts from its folded state; `None` when it is not running.
    pub(crate) fn from_state(id: Uuid, state: &CampaignState) -> Option<Self> {
        let settings = state.settings().filter(|_| state.is_active())?;
        let templates = state
            .active_templates()
            .map(|t| TemplateInfo { id: t.id.clone(), channel: t.channel, step: t.step, weight: t.weight })
            .collect();
        Some(Self {
            id,
            channel: campaign_channel(state),
            min_score: settings.targeting.min_score,
            classes: settings.targeting.classes.clone(),
            approval_policy: settings.approval_policy,
            templates,
            days: Vec::new(),
        })
    }

    /// The funnel of the report's day.
    pub(crate) fn today(&self) -> Funnel {
        self.days.last().map(|(_, f)| *f).unwrap_or_default()
    }

    /// The funnel of the last `n` days, the report's day included.
    pub(crate) fn last(&self, n: usize) -> Funnel {
        Funnel::total(self.days.iter().rev().take(n).map(|(_, f)| f))
    }
}

/// What one template earned in one segment (all time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateRow {
    pub(crate) campaign_id: Uuid,
    pub(crate) template_id: String,
    pub(crate) segment: String,
    pub(crate) sent: i64,
    pub(crate) replies: i64,
    pub(crate) positive: i64,
    pub(crate) opt_outs: i64,
}

/// One budget of one sender account on the report's day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountBudget {
    pub(crate) account_id: String,
    /// `linkedin` or `email`.
    pub(crate) channel: String,
    /// `connection_invitation`, `message`, `email`.
    pub(crate) action: String,
    pub(crate) used: i64,
    pub(crate) cap: i64,
    pub(crate) remaining: i64,
    /// Leads allocated to the account that wait for their first contact.
    pub(crate) waiting: i64,
}

/// Errors an agent reported in one day, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ErrorCounts {
    pub(crate) transient: i64,
    pub(crate) permanent: i64,
    /// Commands an aggregate refused: not failures of the system.
    pub(crate) rejected: i64,
}

impl ErrorCounts {
    /// Transient and permanent errors: what counts towards an error spike.
    pub(crate) fn failures(&self) -> i64 {
        self.transient + self.permanent
    }
}

/// Agent errors per day and agent, as far back as kept.
pub(crate) type ErrorDays = BTreeMap<NaiveDate, BTreeMap<String, ErrorCounts>>;

/// Failures (all agents) on `day`.
pub(crate) fn failures_on(errors: &ErrorDays, day: NaiveDate) -> i64 {
    errors.get(&day).map_or(0, |agents| agents.values().map(ErrorCounts::failures).sum())
}

/// A strategy change recorded since the last report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    /// The `StrategyUpdated` event (dedupes the log against this run's own changes).
    pub(crate) event_id: Uuid,
    pub(crate) campaign_id: Uuid,
    /// What changed, in words.
    pub(crate) what: String,
    pub(crate) rationale: String,
    /// The agent's name, or `a person` (an operator's identity stays out of the report).
    pub(crate) by: String,
}

/// `change` in a few words, without personal data (keywords and locations only as counts).
pub(crate) fn describe(change: &StrategyChange) -> String {
    match change {
        StrategyChange::TemplateWeights { weights } => {
            let parts: Vec<String> = weights.iter().map(|(id, w)| format!("`{id}` → {w}")).collect();
            format!("template weights: {}", parts.join(", "))
        }
        StrategyChange::Thresholds { min_score, approval_policy } => {
            format!("min score → {min_score}, approval policy {approval_policy:?}")
        }
        StrategyChange::Targeting { targeting } => format!(
            "targeting: min score {}, classes {:?}, {} keywords, {} locations",
            targeting.min_score,
            targeting.classes,
            targeting.keywords.len(),
            targeting.locations.len()
        ),
    }
}

/// New (unallocated) leads of one campaign by quality score (index 0–10), unscored apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Queue {
    pub(crate) by_score: [i64; 11],
    pub(crate) unscored: i64,
}

impl Queue {
    /// Leads scoring at least `min` (0 and 1 both mean every scored lead).
    pub(crate) fn at_least(&self, min: u8) -> i64 {
        self.by_score.iter().skip(usize::from(min)).sum()
    }

    /// Leads scoring exactly `score`.
    pub(crate) fn exactly(&self, score: u8) -> i64 {
        self.by_score.get(usize::from(score)).copied().unwrap_or(0)
    }
}

/// What one agent did, all time (from the `agents` read model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentTotals {
    pub(crate) agent: String,
    pub(crate) commands: i64,
    pub(crate) rejections: i64,
    pub(crate) errors: i64,
}

/// Everything the report of `day` is made of, before this run's changes and alerts.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Facts {
    pub(crate) day: NaiveDate,
    pub(crate) campaigns: Vec<CampaignFacts>,
    pub(crate) templates: Vec<TemplateRow>,
    pub(crate) budgets: Vec<AccountBudget>,
    pub(crate) errors: ErrorDays,
    pub(crate) agents: Vec<AgentTotals>,
    /// New leads per campaign that fit its classes.
    pub(crate) queues: BTreeMap<Uuid, Queue>,
    /// The lead lists were longer than the Sales Manager reads in one go: counts are lower bounds.
    pub(crate) queue_truncated: bool,
}

impl Facts {
    /// The funnel of all campaigns, day by day over the window.
    pub(crate) fn days(&self) -> Vec<(NaiveDate, Funnel)> {
        let mut by_day: BTreeMap<NaiveDate, Funnel> = BTreeMap::new();
        for c in &self.campaigns {
            for (day, f) in &c.days {
                let t = by_day.entry(*day).or_default();
                *t = Funnel::total([&*t, f]);
            }
        }
        by_day.into_iter().collect()
    }

    /// Daily first-contact capacity on `channel`: the sum of the accounts' daily caps.
    pub(crate) fn capacity(&self, channel: Channel) -> i64 {
        let action = super::first_contact_action(channel);
        self.budgets.iter().filter(|b| b.action == action).map(|b| b.cap).sum()
    }
}
