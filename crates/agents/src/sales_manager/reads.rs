//! The Sales Manager's reads through the API for its daily operations: the client wrappers
//! around the report's typed operations, each returning the plain data of [`super::facts`].
//! No personal field is requested (lead lists carry campaign, account, score and class only).

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use reachspark_domain::agent::{agent_stream_id, AgentEvent, ErrorKind};
use reachspark_domain::campaign::CampaignEvent;
use reachspark_domain::event::ActorKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::facts::{
    describe, AccountBudget, AgentTotals, CampaignFacts, Change, ErrorDays, Funnel, Queue, TemplateRow,
};
use crate::client::ops::{self, LeadQueue, ReportAgents, ReportPipeline, ReportSenders, ReportTemplates};
use crate::client::{ApiClient, ClientError};
use crate::runtime::{log, LogEvent};

/// Days of funnel the report reads (today and the 27 before: a 7-day window and its baseline).
pub(crate) const WINDOW_DAYS: i64 = 28;
/// Lead pages read per status (100 leads each); past that, counts are lower bounds.
const MAX_LEAD_PAGES: usize = 100;

fn bad(what: &str, value: &str) -> ClientError {
    ClientError::Graphql { code: "UNEXPECTED_ANSWER".to_owned(), reason: format!("{what}: {value}") }
}

/// Every event of `types` (of `stream`, if given) after `after`, and where to continue.
pub(crate) async fn events_after(
    api: &ApiClient,
    types: &[&str],
    stream: Option<Uuid>,
    mut after: Option<String>,
) -> Result<(Vec<LogEvent>, Option<String>), ClientError> {
    let types: Vec<String> = types.iter().map(|t| (*t).to_owned()).collect();
    let mut all = Vec::new();
    loop {
        let page = log::page(api, after.clone(), 100, Some(types.clone()), stream).await?;
        let full = page.events.len() == 100;
        all.extend(page.events);
        after = Some(page.end_cursor);
        if !full {
            return Ok((all, after));
        }
    }
}

/// The running campaigns, each with its funnel for the window ending on `day`.
pub(crate) async fn campaigns(api: &ApiClient, day: NaiveDate) -> Result<Vec<CampaignFacts>, ClientError> {
    let (created, _) = events_after(api, &["CampaignCreated"], None, None).await?;
    let from = day - TimeDelta::days(WINDOW_DAYS - 1);
    let mut campaigns = Vec::new();
    for event in created {
        let state = log::campaign(api, event.stream_id).await?;
        let Some(mut facts) = CampaignFacts::from_state(event.stream_id, &state) else { continue };
        let vars = ops::report_pipeline::Variables {
            campaign_id: event.stream_id.to_string(),
            from: from.to_string(),
            to: day.to_string(),
        };
        for d in api.run::<ReportPipeline>(vars).await?.pipeline.days {
            let date = d.day.parse::<NaiveDate>().map_err(|_| bad("pipeline day", &d.day))?;
            let c = d.counts;
            let funnel = Funnel {
                discovered: c.discovered,
                classified: c.classified,
                allocated: c.allocated,
                drafted: c.drafted,
                sent: c.sent,
                responded: c.responded,
                positive: c.positive,
                qualified: c.qualified,
                opted_out: c.opted_out,
            };
            facts.days.push((date, funnel));
        }
        campaigns.push(facts);
    }
    Ok(campaigns)
}

/// What each template earned per campaign and segment.
pub(crate) async fn templates(api: &ApiClient) -> Result<Vec<TemplateRow>, ClientError> {
    let rows = api.run::<ReportTemplates>(ops::report_templates::Variables {}).await?.template_performance;
    rows.into_iter()
        .map(|r| {
            Ok(TemplateRow {
                campaign_id: Uuid::parse_str(&r.campaign_id).map_err(|_| bad("campaign id", &r.campaign_id))?,
                template_id: r.template_id,
                segment: r.segment,
                sent: r.sent,
                replies: r.replies,
                positive: r.positive,
                opt_outs: r.opt_outs,
            })
        })
        .collect()
}

/// What each agent did, all time.
pub(crate) async fn agents(api: &ApiClient) -> Result<Vec<AgentTotals>, ClientError> {
    let rows = api.run::<ReportAgents>(ops::report_agents::Variables {}).await?.agents;
    Ok(rows
        .into_iter()
        .filter(|r| r.actor_kind == "agent")
        .map(|r| AgentTotals { agent: r.actor_id, commands: r.commands, rejections: r.rejections, errors: r.errors })
        .collect())
}

/// Leads of one contact status, a page at a time (at most [`MAX_LEAD_PAGES`]); the flag says
/// whether the list was cut.
async fn leads(
    api: &ApiClient,
    status: &str,
) -> Result<(Vec<ops::lead_queue::LeadQueueLeadsNodes>, bool), ClientError> {
    let (mut all, mut after) = (Vec::new(), None);
    for _ in 0..MAX_LEAD_PAGES {
        let vars = ops::lead_queue::Variables { status: status.to_owned(), after: after.clone() };
        let page = api.run::<LeadQueue>(vars).await?.leads;
        all.extend(page.nodes);
        match page.page_info.end_cursor.filter(|_| page.page_info.has_next_page) {
            Some(cursor) => after = Some(cursor),
            None => return Ok((all, false)),
        }
    }
    Ok((all, true))
}

/// Each account's budgets on `day` with the allocated leads waiting for it, and the new leads
/// of each campaign (fitting its classes) by score.
pub(crate) async fn budgets_and_queues(
    api: &ApiClient,
    day: NaiveDate,
    campaigns: &[CampaignFacts],
) -> Result<(Vec<AccountBudget>, BTreeMap<Uuid, Queue>, bool), ClientError> {
    let (allocated, cut_allocated) = leads(api, "Allocated").await?;
    let mut waiting: BTreeMap<String, i64> = BTreeMap::new();
    for lead in &allocated {
        if let Some(account) = &lead.assigned_to {
            *waiting.entry(account.clone()).or_default() += 1;
        }
    }
    let usage = api.run::<ReportSenders>(ops::report_senders::Variables { day: Some(day.to_string()) }).await?;
    let mut budgets = Vec::new();
    for account in usage.sender_usage {
        for a in account.actions.into_iter().filter(|a| a.action_type != "profile_view") {
            budgets.push(AccountBudget {
                account_id: account.account_id.clone(),
                channel: account.channel.clone(),
                action: a.action_type,
                used: a.used_today,
                cap: a.daily_cap,
                remaining: a.remaining,
                waiting: waiting.get(&account.account_id).copied().unwrap_or(0),
            });
        }
    }

    let (new, cut_new) = leads(api, "New").await?;
    let mut queues: BTreeMap<Uuid, Queue> = campaigns.iter().map(|c| (c.id, Queue::default())).collect();
    for lead in new {
        let Some(campaign) = lead.campaign_id.as_deref().and_then(|c| Uuid::parse_str(c).ok()) else { continue };
        let (Some(queue), Some(facts)) = (queues.get_mut(&campaign), campaigns.iter().find(|c| c.id == campaign))
        else {
            continue;
        };
        let fits = facts.classes.is_empty()
            || lead.classification.as_deref().is_some_and(|l| facts.classes.iter().any(|c| format!("{c:?}") == l));
        if !fits {
            continue;
        }
        match lead.quality_score.and_then(|s| usize::try_from(s).ok()).filter(|s| *s <= 10) {
            Some(score) => queue.by_score[score] += 1,
            None => queue.unscored += 1,
        }
    }
    Ok((budgets, queues, cut_allocated || cut_new))
}

/// Agent errors per day, read incrementally from the log and kept with the Sales Manager's
/// state, so each daily run reads only the errors raised since the last one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ErrorTally {
    /// Continue reading `AgentErrorRaised` after this.
    cursor: Option<String>,
    /// Counts per day and agent, for the days kept.
    pub(crate) days: ErrorDays,
}

impl ErrorTally {
    /// Reads the errors raised since the last update and forgets days before the window.
    pub(crate) async fn update(&mut self, api: &ApiClient, day: NaiveDate) -> Result<(), ClientError> {
        let (events, cursor) = events_after(api, &["AgentErrorRaised"], None, self.cursor.clone()).await?;
        let names = [crate::actors::LEAD_FINDER, crate::actors::SALES_MANAGER, crate::actors::OUTREACH];
        for event in &events {
            let AgentEvent::AgentErrorRaised { kind, at, .. } = event.decode()? else { continue };
            let agent = names.iter().find(|n| agent_stream_id(n) == event.stream_id).copied().unwrap_or("other");
            let counts = self.days.entry(at.date_naive()).or_default().entry(agent.to_owned()).or_default();
            match kind {
                ErrorKind::Transient => counts.transient += 1,
                ErrorKind::Permanent => counts.permanent += 1,
                ErrorKind::Rejected => counts.rejected += 1,
            }
        }
        self.cursor = cursor;
        let oldest = day - TimeDelta::days(WINDOW_DAYS);
        self.days.retain(|d, _| *d >= oldest);
        Ok(())
    }
}

/// Strategy changes recorded after the last report before `day` was published.
pub(crate) async fn changes_since_last_report(api: &ApiClient, day: NaiveDate) -> Result<Vec<Change>, ClientError> {
    let stream = agent_stream_id(crate::actors::SALES_MANAGER);
    let (reports, _) = events_after(api, &["DailyReportPublished"], Some(stream), None).await?;
    let mut since = None;
    for event in &reports {
        if let AgentEvent::DailyReportPublished { day: d, at, .. } = event.decode()? {
            if d < day {
                since = since.max(Some(at));
            }
        }
    }
    let (updates, _) = events_after(api, &["StrategyUpdated"], None, None).await?;
    let mut changes = Vec::new();
    for event in &updates {
        let CampaignEvent::StrategyUpdated { change, decision, at } = event.decode()? else { continue };
        if since.is_some_and(|s| at <= s) {
            continue;
        }
        let by = match decision.decided_by.kind {
            ActorKind::Agent => decision.decided_by.id.clone(),
            ActorKind::Person => "a person".to_owned(),
            ActorKind::System => "the system".to_owned(),
        };
        changes.push(Change {
            event_id: event.event_id,
            campaign_id: event.stream_id,
            what: describe(&change),
            rationale: decision.rationale,
            by,
        });
    }
    Ok(changes)
}
