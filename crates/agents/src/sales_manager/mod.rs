//! The Sales Manager as a client of the API: each scored lead that meets its campaign's
//! targeting goes to the sender account with the most budget left today (`senderUsage`) on
//! the campaign's channel, with the reason recorded as an allocation decision.
//!
//! Leads that miss the targeting are left alone (they stay `New`). A lead that fits but finds
//! no account with budget is refused as `REJECTED` (`no_sender_budget`) and dead-lettered, so
//! an operator sees it and retries it once budgets free up.

mod alerts;
mod daily;
mod facts;
mod reads;
mod render;
mod report;
mod strategy;

use std::sync::Arc;

use chrono::NaiveDate;
use reachspark_domain::campaign::{CampaignState, Targeting};
use reachspark_domain::decision::{Decision, DecisionKind};
use reachspark_domain::event::Actor;
use reachspark_domain::lead::{ContactStatus, LeadClass, Step};
use reachspark_domain::sender_account::Channel;

use serde::{Deserialize, Serialize};

use crate::channels::Clock;
use crate::client::ops::{self, AllocateLead, SenderUsage};
use crate::client::{ApiClient, ClientError};
use crate::config::SalesManagerConfig;
use crate::notify::HotLeadNotifier;
use crate::runtime::{decision_input, key, log, Agent, LogEvent};

/// Allocates scored leads to sender accounts; once a day (at `report_time` on its clock) runs
/// its daily operations: strategy updates, performance alerts and the daily report, escalated
/// to people through its notifier.
#[derive(Debug)]
pub struct SalesManager {
    config: SalesManagerConfig,
    clock: Arc<dyn Clock>,
    state: State,
    notifier: HotLeadNotifier,
}

/// What the Sales Manager keeps across restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    /// The last day whose daily operations finished.
    last_daily: Option<NaiveDate>,
    /// Agent errors per day, read incrementally for the report and the error-spike alert.
    #[serde(default)]
    errors: reads::ErrorTally,
}

impl SalesManager {
    /// A Sales Manager with `config`, telling the time by `clock`.
    pub fn new(config: SalesManagerConfig, clock: Arc<dyn Clock>) -> Self {
        Self { config, clock, state: State::default(), notifier: HotLeadNotifier::default() }
    }

    /// Escalates alerts and the daily report's summary to `notifier`'s targets (none by
    /// default; build it with [`HotLeadNotifier::from_config`]).
    #[must_use]
    pub fn with_notifier(mut self, notifier: HotLeadNotifier) -> Self {
        self.notifier = notifier;
        self
    }

    /// The day whose daily operations are due now, if any: today once `report_time` has passed
    /// and today's have not run yet.
    fn daily_due(&self) -> Option<NaiveDate> {
        let now = self.clock.now();
        let at = chrono::NaiveTime::from_hms_opt(
            u32::from(self.config.report_time.hour),
            u32::from(self.config.report_time.minute),
            0,
        )?;
        let today = now.date_naive();
        (now.time() >= at && self.state.last_daily.is_none_or(|d| d < today)).then_some(today)
    }
}

/// The first-contact channel of the campaign's active templates (LinkedIn when it has both).
pub(crate) fn campaign_channel(campaign: &CampaignState) -> Option<Channel> {
    let firsts: Vec<Channel> = campaign
        .templates()
        .values()
        .filter(|t| !t.retired && t.template.step == Step::First)
        .map(|t| t.template.channel)
        .collect();
    firsts.iter().copied().find(|c| *c == Channel::LinkedIn).or_else(|| firsts.first().copied())
}

/// The budget an account spends on a first contact over `channel`.
pub(crate) fn first_contact_action(channel: Channel) -> &'static str {
    match channel {
        Channel::LinkedIn => "connection_invitation",
        Channel::Email => "email",
    }
}

fn fits(targeting: &Targeting, class: LeadClass, score: u8, position: &str, company: &str) -> bool {
    let text = format!("{position} {company}").to_lowercase();
    (targeting.classes.is_empty() || targeting.classes.contains(&class))
        && score >= targeting.min_score
        && (targeting.keywords.is_empty() || targeting.keywords.iter().any(|k| text.contains(&k.to_lowercase())))
}

fn rejected(reason: &str) -> ClientError {
    ClientError::Graphql { code: "VALIDATION".to_owned(), reason: reason.to_owned() }
}

impl Agent for SalesManager {
    fn name(&self) -> &'static str {
        crate::actors::SALES_MANAGER
    }

    fn kind(&self) -> ops::raise_agent_error::AgentKind {
        ops::raise_agent_error::AgentKind::SALES_MANAGER
    }

    fn event_types(&self) -> Vec<String> {
        vec!["LeadScored".to_owned()]
    }

    async fn handle(&mut self, api: &ApiClient, event: &LogEvent) -> Result<(), ClientError> {
        let lead = log::lead(api, event.stream_id).await?;
        let (Some(person), Some(campaign_id), Some(class), Some(score)) =
            (lead.person(), lead.campaign_id(), lead.classification(), lead.score())
        else {
            return Ok(());
        };
        if lead.status() != Some(ContactStatus::New) {
            return Ok(());
        }
        let campaign = log::campaign(api, campaign_id).await?;
        let Some(settings) = campaign.settings().filter(|_| campaign.is_active()) else { return Ok(()) };
        if !fits(&settings.targeting, class, score, &person.position, &person.company) {
            tracing::info!(agent = self.name(), lead_id = %event.stream_id, "outside the campaign's targeting");
            return Ok(());
        }
        let channel = campaign_channel(&campaign).ok_or_else(|| rejected("campaign_has_no_first_template"))?;
        let channel_label = match channel {
            Channel::LinkedIn => "linkedin",
            Channel::Email => "email",
        };
        let action = first_contact_action(channel);
        let usage = api.run::<SenderUsage>(ops::sender_usage::Variables {}).await?;
        let best = usage
            .sender_usage
            .iter()
            .filter(|a| a.channel == channel_label)
            .filter_map(|a| {
                let left = a.actions.iter().find(|x| x.action_type == action).map(|x| x.remaining)?;
                (left > 0).then_some((a.account_id.clone(), left))
            })
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)));
        let Some((account_id, left)) = best else { return Err(rejected("no_sender_budget")) };

        let rationale = format!(
            "{class:?} lead scoring {score} meets the campaign's targeting (min score {}); account with the most \
             {action} budget left today ({left})",
            settings.targeting.min_score
        );
        let decision = Decision::new(
            DecisionKind::Allocation,
            account_id.as_str(),
            rationale,
            Actor::agent(self.name()),
            crate::rules::engine(),
        )
        .based_on([event.event_id])
        .with_factor("quality_score", score.to_string(), f64::from(score) / 10.0)
        .with_factor(format!("remaining:{action}"), left.to_string(), 0.0)
        .with_factor("strategy", "least_loaded", 0.0);
        api.run::<AllocateLead>(ops::allocate_lead::Variables {
            lead_id: event.stream_id.to_string(),
            account_id,
            priority: i64::from(score) * 25,
            decision: decision_input!(allocate_lead, &decision),
            key: Some(key(self.name(), event, "allocate")),
        })
        .await?;
        tracing::info!(agent = self.name(), lead_id = %event.stream_id, "lead allocated");
        Ok(())
    }

    fn save_state(&self) -> serde_json::Value {
        serde_json::to_value(&self.state).unwrap_or_default()
    }

    fn load_state(&mut self, state: serde_json::Value) {
        if let Ok(state) = serde_json::from_value(state) {
            self.state = state;
        }
    }

    async fn poll(&mut self, api: &ApiClient) -> Result<usize, ClientError> {
        let Some(day) = self.daily_due() else { return Ok(0) };
        let done = self.daily(api, day).await?;
        self.state.last_daily = Some(day);
        Ok(done.max(1))
    }
}
