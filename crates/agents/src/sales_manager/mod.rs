//! The Sales Manager as a client of the API. Each scored lead that meets its campaign's
//! targeting goes to the sender account with the most first-contact budget left today on the
//! campaign's channel (`senderUsage`, less the leads already allocated to the account and not
//! yet contacted), with the reason recorded as an allocation decision. A lead that fits while
//! every account's budget is spoken for stays `New` in the backlog; the daily operations (at
//! `report_time` on the Sales Manager's clock) allocate the backlog, best scores first, as
//! far as the new day's budgets go, then publish the daily report.
//!
//! Leads that miss the targeting are left alone (they stay `New`).

mod alerts;
mod budget;
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

use uuid::Uuid;

use crate::channels::Clock;
use crate::client::ops::{self, AllocateLead};
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

/// What became of a lead the Sales Manager considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Allocation {
    /// Given to an account.
    Allocated,
    /// Not classified and scored yet, or no longer `New`.
    NotReady,
    /// Its campaign is paused or does not want it.
    OutsideTargeting,
    /// No account of this channel has budget left today: it waits in the backlog.
    NoBudget(Channel),
}

/// What the Sales Manager keeps across restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
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

    /// Gives `lead_id` to the sender account with the most budget left for a first contact,
    /// counting leads already allocated to an account and not yet contacted against its
    /// budget, so that no account is handed more leads than it may contact today. A lead
    /// that fits but finds no budget stays `New`, in the backlog the daily operations allocate
    /// from, best scores first.
    pub(crate) async fn allocate(
        &mut self,
        api: &ApiClient,
        lead_id: Uuid,
        based_on: Option<Uuid>,
        key: String,
    ) -> Result<Allocation, ClientError> {
        let lead = log::lead(api, lead_id).await?;
        let (Some(person), Some(campaign_id), Some(class), Some(score)) =
            (lead.person(), lead.campaign_id(), lead.classification(), lead.score())
        else {
            return Ok(Allocation::NotReady);
        };
        if lead.status() != Some(ContactStatus::New) {
            return Ok(Allocation::NotReady);
        }
        let campaign = log::campaign(api, campaign_id).await?;
        let Some(settings) = campaign.settings().filter(|_| campaign.is_active()) else {
            return Ok(Allocation::OutsideTargeting);
        };
        if !fits(&settings.targeting, class, score, &person.position, &person.company) {
            return Ok(Allocation::OutsideTargeting);
        }
        let channel = campaign_channel(&campaign).ok_or_else(|| rejected("campaign_has_no_first_template"))?;
        let action = first_contact_action(channel);
        let Some((account_id, left)) = budget::best_account(api, channel, action).await? else {
            return Ok(Allocation::NoBudget(channel));
        };
        let rationale = format!(
            "{class:?} lead scoring {score} meets the campaign's targeting (min score {}); account with the most \
             {action} budget left today ({left}, after leads already allocated to it)",
            settings.targeting.min_score
        );
        let mut decision = Decision::new(
            DecisionKind::Allocation,
            account_id.as_str(),
            rationale,
            Actor::agent(crate::actors::SALES_MANAGER),
            crate::rules::engine(),
        )
        .with_factor("quality_score", score.to_string(), f64::from(score) / 10.0)
        .with_factor(format!("remaining:{action}"), left.to_string(), 0.0)
        .with_factor("strategy", "least_loaded", 0.0);
        if let Some(event) = based_on {
            decision = decision.based_on([event]);
        }
        let allocated = api
            .run::<AllocateLead>(ops::allocate_lead::Variables {
                lead_id: lead_id.to_string(),
                account_id,
                priority: i64::from(score) * 25,
                decision: decision_input!(allocate_lead, &decision),
                key: Some(key),
            })
            .await;
        match allocated {
            Ok(_) => Ok(Allocation::Allocated),
            // Allocated meanwhile (the backlog is read from a read model that may lag).
            Err(ClientError::Graphql { code, .. }) if code == "VALIDATION" => Ok(Allocation::NotReady),
            Err(e) => Err(e),
        }
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
    type State = State;

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
        let lead_id = event.stream_id;
        let outcome = self.allocate(api, lead_id, Some(event.event_id), key(self.name(), event, "allocate")).await?;
        tracing::info!(agent = self.name(), %lead_id, outcome = ?outcome, "scored lead considered");
        Ok(())
    }

    fn state(&self) -> &Self::State {
        &self.state
    }

    fn state_mut(&mut self) -> &mut Self::State {
        &mut self.state
    }

    async fn poll(&mut self, api: &ApiClient) -> Result<usize, ClientError> {
        let Some(day) = self.daily_due() else { return Ok(0) };
        let done = self.daily(api, day).await?;
        self.state.last_daily = Some(day);
        Ok(done.max(1))
    }
}
