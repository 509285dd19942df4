//! The daily report, performance alerts and strategy updates: read the day's numbers through
//! the API ([`reads`]), decide strategy changes ([`strategy`]) and alerts ([`alerts`]) with
//! pure functions, publish the report ([`render`]) as `DailyReportPublished`, write it as a
//! Markdown file when `report_dir` is set, and escalate alerts and the summary to people.
//!
//! Every mutation's idempotency key derives from the day (`sales_manager:<day>:...`), so a
//! restart on the same day writes nothing twice; notices go out only for commands that were not
//! replays, so nobody hears twice either.

use chrono::NaiveDate;
use reachspark_domain::agent::AlertKind;
use reachspark_domain::sender_account::Channel;
use uuid::Uuid;

use super::alerts::{self, Alert, Thresholds};
use super::facts::{channel_label, describe, Change, Facts};
use super::render::{self, alert_title, Report};
use super::strategy::{self, Proposal};
use super::{first_contact_action, reads, SalesManager};
use crate::client::ops::{self, PublishDailyReport, RaiseAlert, UpdateStrategy};
use crate::client::{ApiClient, ClientError, ErrorClass};
use crate::notify::{Escalation, EscalationKind};
use crate::runtime::decision_input;

/// Namespace of escalation ids, derived from the idempotency key of what they escalate.
const ESCALATION_NAMESPACE: Uuid = Uuid::from_u128(0x2d0f_93a1_5c4e_4b7a_8e61_f0b2_7c39_d514);

fn key(day: NaiveDate, what: &str) -> String {
    format!("{}:{day}:{what}", crate::actors::SALES_MANAGER)
}

impl SalesManager {
    /// Reads `day`'s numbers, updates strategy, raises alerts, publishes the report and
    /// escalates. Returns how many things it wrote anew (replays not counted).
    pub(super) async fn report(&mut self, api: &ApiClient, day: NaiveDate) -> Result<usize, ClientError> {
        let mut facts = self.gather(api, day).await?;
        let mut written = 0;

        let mut own = Vec::new();
        for proposal in self.proposals(&facts) {
            if let Some((change, fresh)) = self.apply(api, day, &proposal, &mut facts).await? {
                own.push(change);
                written += usize::from(fresh);
            }
        }
        let mut changes = reads::changes_since_last_report(api, day).await?;
        for change in own {
            if !changes.iter().any(|c| c.event_id == change.event_id) {
                changes.push(change);
            }
        }

        let alerts = self.alerts(&facts);
        let min_sends = i64::from(self.config.alert_min_sends);
        let warnings: Vec<String> =
            alerts::opt_out_warning(&facts.days(), self.config.alert_max_opt_out_rate, min_sends).into_iter().collect();
        for alert in &alerts {
            if self.raise(api, day, alert).await? {
                written += 1;
                let title = format!("ReachSpark alert: {} ({day})", alert_title(alert.kind));
                self.escalate(EscalationKind::PerformanceAlert, day, &alert_key(day, alert.kind), title, &alert.detail)
                    .await;
            }
        }

        let report = Report { facts: &facts, changes: &changes, alerts: &alerts, warnings: &warnings };
        let markdown = render::markdown(&report);
        self.write_file(day, &markdown);
        if self.publish(api, day, markdown).await? {
            written += 1;
            let title = format!("ReachSpark daily report {day}: {} alerts, {} warnings", alerts.len(), warnings.len());
            let mut text = render::summary(&report).join("\n");
            for w in &warnings {
                text.push_str(&format!("\nWarning: {w}"));
            }
            text.push_str(&format!("\nThe full report is the DailyReportPublished event of {day}."));
            self.escalate(EscalationKind::DailyReport, day, &key(day, "report"), title, &text).await;
        }
        tracing::info!(agent = crate::actors::SALES_MANAGER, %day, written, alerts = alerts.len(),
            changes = changes.len(), "daily report done");
        Ok(written)
    }

    async fn gather(&mut self, api: &ApiClient, day: NaiveDate) -> Result<Facts, ClientError> {
        let campaigns = reads::campaigns(api, day).await?;
        let templates = reads::templates(api).await?;
        let (budgets, queues, queue_truncated) = reads::budgets_and_queues(api, day, &campaigns).await?;
        self.state.errors.update(api, day).await?;
        let agents = reads::agents(api).await?;
        let errors = self.state.errors.days.clone();
        Ok(Facts { day, campaigns, templates, budgets, errors, agents, queues, queue_truncated })
    }

    fn proposals(&self, facts: &Facts) -> Vec<Proposal> {
        let min_sends = i64::from(self.config.strategy_min_sends);
        let mut proposals = Vec::new();
        for c in &facts.campaigns {
            proposals.extend(strategy::template_switch_offs(c, &facts.templates, min_sends));
            if let Some(channel) = c.channel {
                let queue = facts.queues.get(&c.id).copied().unwrap_or_default();
                proposals.extend(strategy::min_score_change(c, &queue, facts.capacity(channel)));
            }
        }
        proposals
    }

    /// Issues `proposal` and records it in `facts` (so the report shows the new settings).
    /// A refusal (the campaign changed meanwhile) is logged and skipped.
    async fn apply(
        &self,
        api: &ApiClient,
        day: NaiveDate,
        proposal: &Proposal,
        facts: &mut Facts,
    ) -> Result<Option<(Change, bool)>, ClientError> {
        use ops::update_strategy as m;
        let change = match proposal {
            Proposal::SwitchOff { template_id, .. } => {
                m::StrategyChangeInput::TemplateWeights(vec![m::TemplateWeightInput {
                    template_id: template_id.clone(),
                    weight: 0.0,
                }])
            }
            Proposal::MinScore { to, approval_policy, .. } => m::StrategyChangeInput::Thresholds(m::ThresholdsInput {
                min_score: i64::from(*to),
                approval_policy: approval_input(*approval_policy),
            }),
        };
        let campaign_id = proposal.campaign_id();
        let vars = m::Variables {
            campaign_id: campaign_id.to_string(),
            change,
            decision: decision_input!(update_strategy, proposal.decision()),
            key: Some(key(day, &format!("strategy:{campaign_id}:{}", proposal.key_part()))),
        };
        let result = match api.run::<UpdateStrategy>(vars).await {
            Ok(data) => data.update_strategy,
            Err(e) if e.class() == ErrorClass::Rejected => {
                tracing::warn!(agent = crate::actors::SALES_MANAGER, %campaign_id, code = %e.code(),
                    "strategy update refused");
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        if let Some(c) = facts.campaigns.iter_mut().find(|c| c.id == campaign_id) {
            match proposal {
                Proposal::SwitchOff { template_id, .. } => {
                    c.templates.iter_mut().filter(|t| &t.id == template_id).for_each(|t| t.weight = 0.0);
                }
                Proposal::MinScore { to, .. } => c.min_score = *to,
            }
        }
        let event_id = result.events.first().and_then(|e| Uuid::parse_str(&e.event_id).ok()).unwrap_or_default();
        let change = Change {
            event_id,
            campaign_id,
            what: describe(&proposal.change()),
            rationale: proposal.decision().rationale.clone(),
            by: crate::actors::SALES_MANAGER.to_owned(),
        };
        Ok(Some((change, !result.replayed)))
    }

    fn alerts(&self, facts: &Facts) -> Vec<Alert> {
        let t = Thresholds {
            min_reply_rate: self.config.alert_min_reply_rate,
            min_sends: i64::from(self.config.alert_min_sends),
            max_errors_per_day: i64::from(self.config.alert_max_errors_per_day),
        };
        let actions = [first_contact_action(Channel::LinkedIn), first_contact_action(Channel::Email)];
        let backlog = |channel: &str| -> i64 {
            facts
                .campaigns
                .iter()
                .filter(|c| c.channel.map(channel_label) == Some(channel))
                .map(|c| facts.queues.get(&c.id).map_or(0, |q| q.at_least(c.min_score.max(1))))
                .sum()
        };
        [
            alerts::reply_rate(&facts.days(), t),
            alerts::error_spike(&facts.errors, facts.day, t),
            alerts::budget_exhausted(&facts.budgets, &actions, &backlog),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Raises `alert` once for the day; whether it was new.
    async fn raise(&self, api: &ApiClient, day: NaiveDate, alert: &Alert) -> Result<bool, ClientError> {
        let kind = match alert.kind {
            AlertKind::ReplyRateDrop => ops::raise_alert::AlertKind::REPLY_RATE_DROP,
            AlertKind::ErrorSpike => ops::raise_alert::AlertKind::ERROR_SPIKE,
            AlertKind::BudgetExhausted => ops::raise_alert::AlertKind::BUDGET_EXHAUSTED,
        };
        let vars = ops::raise_alert::Variables {
            alert: kind,
            detail: alert.detail.clone(),
            key: Some(alert_key(day, alert.kind)),
        };
        let written = api.run::<RaiseAlert>(vars).await?.raise_alert;
        tracing::warn!(agent = crate::actors::SALES_MANAGER, %day, alert = ?alert.kind, replayed = written.replayed,
            "performance alert");
        Ok(!written.replayed)
    }

    /// Publishes the report of `day`; whether it was new. A report of that day already out
    /// (published under another key) counts as done.
    async fn publish(&self, api: &ApiClient, day: NaiveDate, markdown: String) -> Result<bool, ClientError> {
        let vars =
            ops::publish_daily_report::Variables { day: day.to_string(), markdown, key: Some(key(day, "report")) };
        match api.run::<PublishDailyReport>(vars).await {
            Ok(data) => Ok(!data.publish_daily_report.replayed),
            Err(ClientError::Graphql { reason, .. }) if reason == "report_already_published" => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes the report to `<report_dir>/daily-report-<day>.md` when configured. A failure is
    /// logged and does not stop the day: the published event is the report of record.
    fn write_file(&self, day: NaiveDate, markdown: &str) {
        let Some(dir) = &self.config.report_dir else { return };
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(dir.join(format!("daily-report-{day}.md")), markdown));
        if let Err(e) = written {
            tracing::warn!(agent = crate::actors::SALES_MANAGER, %day, error = %e.kind(),
                "the report file could not be written");
        }
    }

    async fn escalate(&self, kind: EscalationKind, day: NaiveDate, key: &str, title: String, text: &str) {
        if !self.notifier.is_active() {
            return;
        }
        let notice_id = Uuid::new_v5(&ESCALATION_NAMESPACE, key.as_bytes());
        self.notifier.escalate(&Escalation { notice_id, kind, day, title, text: text.to_owned() }).await;
    }
}

fn alert_key(day: NaiveDate, kind: AlertKind) -> String {
    key(day, &format!("alert:{kind:?}"))
}

fn approval_input(policy: reachspark_domain::campaign::ApprovalPolicy) -> ops::update_strategy::ApprovalPolicyInput {
    use ops::update_strategy::{ApprovalMode, ApprovalPolicyInput};
    use reachspark_domain::campaign::ApprovalPolicy as P;
    let (mode, first_n, below_confidence) = match policy {
        P::Always => (ApprovalMode::ALWAYS, None, None),
        P::Never => (ApprovalMode::NEVER, None, None),
        P::FirstN(n) => (ApprovalMode::FIRST_N, Some(i64::from(n)), None),
        P::BelowConfidence(c) => (ApprovalMode::BELOW_CONFIDENCE, None, Some(c)),
    };
    ApprovalPolicyInput { mode, first_n, below_confidence }
}
