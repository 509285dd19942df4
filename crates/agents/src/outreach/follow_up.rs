//! Follow-ups: after each message the campaign's next step is scheduled
//! (`follow_up_days[k]` days after message k went out); when it falls due, it is drafted from
//! the campaign's template for that step, unless the person replied or objected meanwhile (the
//! lead refuses both the schedule and the draft then, so no agent can get around it).

use chrono::{DateTime, TimeDelta, Utc};
use reachspark_domain::lead::{ContactStatus, Step};
use reachspark_domain::sender_account::Channel as Medium;
use uuid::Uuid;

use super::{step_number, FollowUp, Outreach};
use crate::client::ops::{self, DraftMessage, ScheduleFollowUp};
use crate::client::{ApiClient, ClientError};
use crate::draft::{self, Authorship, Recipient};
use crate::runtime::{decision_input, key, log, Agent, LogEvent};

/// The lead cannot take the step any more (it replied, objected, was qualified or closed):
/// the follow-up is dropped, not an error.
fn refused(e: &ClientError) -> bool {
    matches!(e, ClientError::Graphql { code, .. } if code == "VALIDATION" || code == "CONFLICT")
}

impl Outreach {
    /// After `message_id` went out at `at`, schedules the next step of the campaign's sequence.
    pub(super) async fn schedule_follow_up(
        &mut self,
        api: &ApiClient,
        event: &LogEvent,
        message_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), ClientError> {
        let lead = log::lead(api, event.stream_id).await?;
        let (Some(message), Some(campaign_id)) = (lead.message(message_id), lead.campaign_id()) else { return Ok(()) };
        if lead.status() != Some(ContactStatus::Sent) || lead.has_replied() {
            return Ok(());
        }
        let campaign = log::campaign(api, campaign_id).await?;
        let Some(settings) = campaign.settings() else { return Ok(()) };
        let done = u32::try_from(step_number(message.step)).unwrap_or(u32::MAX);
        let Some(days) = settings.follow_up_days.get(done as usize) else { return Ok(()) };
        let step = done + 1;
        let has_template = campaign
            .templates()
            .values()
            .any(|t| !t.retired && t.template.step == Step::FollowUp(step) && t.template.channel == message.channel);
        if !has_template {
            return Ok(());
        }
        let due_at = at + TimeDelta::days(i64::from(*days));
        let scheduled = api
            .run::<ScheduleFollowUp>(ops::schedule_follow_up::Variables {
                lead_id: event.stream_id.to_string(),
                step: i64::from(step),
                due_at,
                key: Some(key(self.name(), event, "follow_up")),
            })
            .await;
        match scheduled {
            Err(e) if refused(&e) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Drafts every follow-up that is due; the drafts are sent like first messages. Returns
    /// how many it drafted.
    pub(super) async fn draft_due_follow_ups(&mut self, api: &ApiClient) -> Result<usize, ClientError> {
        let now = self.clock.now();
        let (due, later): (Vec<FollowUp>, Vec<FollowUp>) =
            std::mem::take(&mut self.state.follow_ups).into_iter().partition(|f| f.due_at <= now);
        self.state.follow_ups = later;
        let mut drafted = 0;
        let mut due = due.into_iter();
        while let Some(follow_up) = due.next() {
            match self.draft_follow_up(api, &follow_up).await {
                Ok(done) => drafted += usize::from(done),
                Err(e) => {
                    self.state.follow_ups.push(follow_up);
                    self.state.follow_ups.extend(due);
                    return Err(e);
                }
            }
        }
        Ok(drafted)
    }

    async fn draft_follow_up(&mut self, api: &ApiClient, follow_up: &FollowUp) -> Result<bool, ClientError> {
        let lead = log::lead(api, follow_up.lead_id).await?;
        if lead.status() != Some(ContactStatus::Sent) || lead.has_replied() || lead.is_opted_out() {
            return Ok(false);
        }
        let (Some(person), Some(campaign_id)) = (lead.person(), lead.campaign_id()) else { return Ok(false) };
        let Some(medium) = lead.messages().values().find(|m| m.step == Step::First).map(|m| m.channel) else {
            return Ok(false);
        };
        let campaign = log::campaign(api, campaign_id).await?;
        let Some(settings) = campaign.settings() else { return Ok(false) };
        let step = Step::FollowUp(follow_up.step);
        let Some(template) = campaign
            .templates()
            .values()
            .find(|t| !t.retired && t.template.step == step && t.template.channel == medium)
            .map(|t| t.template.clone())
        else {
            return Ok(false);
        };
        let name = person.name.known().cloned().unwrap_or_default();
        let recipient = Recipient { name: &name, position: &person.position, company: &person.company };
        let Ok(drafted) = draft::render(&template, &recipient, settings, Authorship::Template) else {
            return Ok(false);
        };
        let key = format!("{}:follow_up:{}:{}:draft", self.name(), follow_up.lead_id, follow_up.step);
        let written = api
            .run::<DraftMessage>(ops::draft_message::Variables {
                lead_id: follow_up.lead_id.to_string(),
                channel: match medium {
                    Medium::LinkedIn => ops::draft_message::Channel::LINKEDIN,
                    Medium::Email => ops::draft_message::Channel::EMAIL,
                },
                template_id: Some(drafted.template_id.clone()),
                step_number: step_number(step),
                body: drafted.body.clone(),
                ai_generated: drafted.ai_generated,
                model: drafted.model.clone(),
                prompt_hash: drafted.prompt_hash.clone(),
                decision: decision_input!(draft_message, &drafted.decision),
                key: Some(key),
            })
            .await;
        match written {
            Ok(_) => Ok(true),
            Err(e) if refused(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
