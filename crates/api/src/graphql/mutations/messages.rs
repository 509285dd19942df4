//! A lead's messages: drafting (checked against the campaign's compliance texts, approval
//! decided by the campaign's policy, not by the caller), approval by a person, the send slot
//! (lead and sender account in one transaction), the send's result, replies and follow-ups.

use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use reachspark_domain::campaign::{DraftCheck, DraftError};
use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::lead::{
    AnalyzeResponse, ApproveMessage, DraftMessage, RecordResponse, RecordSendFailed, RecordSent, RejectMessage,
    RequestApproval, ScheduleFollowUp,
};
use reachspark_domain::{Campaign, Lead, LeadState, Pii, ReserveSend};
use uuid::Uuid;

use super::command::{not_rejected, rejection, reserve_reason, CommandResult, Issuer, Rejection};
use super::inputs::{step, text, uuid, ActionType, Channel, DecisionInput, FailureKind, Intent, Sentiment};
use super::leads::label;
use crate::auth::{AgentName, Permission};
use crate::graphql::ApiError;

const MAX_BODY: usize = 20_000;
const OUTREACH: Permission = Permission::AgentCommand(AgentName::Outreach);

/// How many drafts the campaign has recorded, for a `FirstN` approval policy. Read from the
/// funnel read model: when it lags, the count is low and more drafts wait for a person, never
/// fewer.
async fn drafts_so_far(issuer: &Issuer<'_>, campaign_id: Uuid) -> Result<u32, ApiError> {
    let drafted =
        reachspark_projections::live::campaign_funnel(issuer.store.pool(), campaign_id).await.map(|f| f.drafted);
    match drafted {
        Ok(n) => Ok(u32::try_from(n).unwrap_or(u32::MAX)),
        // No read models yet (projections never ran here): count none, so drafts wait.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => Ok(0),
        Err(e) => Err(e.into()),
    }
}

fn draft_error(e: &DraftError) -> ApiError {
    let field = match e {
        DraftError::UnknownTemplate(_) | DraftError::TemplateRetired(_) | DraftError::TemplateMismatch(_) => {
            "templateId"
        }
        DraftError::NotCreated | DraftError::CampaignPaused => "leadId",
        _ => "body",
    };
    rejection(format!("{field}: {e}"), e.reason()).with("field", field)
}

/// The lead and its campaign's state, for checks that need both.
async fn lead_and_campaign(
    issuer: &Issuer<'_>,
    lead_id: Uuid,
) -> Result<(LeadState, Uuid, reachspark_domain::CampaignState), ApiError> {
    let lead = issuer.existing::<Lead>("leadId", lead_id).await?;
    let campaign_id = lead.campaign_id().ok_or_else(|| ApiError::validation("leadId", "the lead has no campaign"))?;
    let campaign = issuer.existing::<Campaign>("leadId", campaign_id).await?;
    Ok((lead, campaign_id, campaign))
}

#[derive(Default, Debug)]
pub(crate) struct MessageMutation;

#[Object]
impl MessageMutation {
    /// Records a draft. The body must carry the campaign's first-contact notice (first
    /// message), AI disclosure (when `aiGenerated`) and, on email, the sender organisation and
    /// postal address. Whether it needs a person's approval is decided here from the campaign's
    /// policy and the decision's confidence. `createdId` is the message id.
    async fn draft_message(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        channel: Channel,
        template_id: Option<String>,
        #[graphql(desc = "0 for the first contact, n for the n-th follow-up.")] step_number: i32,
        body: String,
        ai_generated: bool,
        #[graphql(desc = "The language model that wrote the text, if one did.")] model: Option<String>,
        prompt_hash: Option<String>,
        decision: DecisionInput,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, OUTREACH, "draftMessage", expected_version, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        let step = step("stepNumber", step_number)?;
        text("body", &body, MAX_BODY)?;
        let channel: reachspark_domain::sender_account::Channel = channel.into();
        let (_, campaign_id, campaign) = lead_and_campaign(&issuer, lead_id).await?;
        let check = DraftCheck { template_id: template_id.as_deref(), channel, step, body: &body, ai_generated };
        campaign.check_draft(check).map_err(|e| draft_error(&e))?;
        let message_id = issuer.new_id("message");
        let decision = decision.into_decision(DecisionKind::Draft, message_id.to_string(), &issuer.actor)?;
        let requires_approval =
            campaign.requires_approval(drafts_so_far(&issuer, campaign_id).await?, decision.confidence);
        let command = DraftMessage {
            message_id,
            channel,
            template_id,
            step,
            body: Pii::new(body),
            ai_generated,
            model,
            prompt_hash,
            requires_approval,
            decision,
            at: issuer.now,
        };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?.created(message_id))
    }

    /// Puts a draft that needs approval in front of a person.
    async fn request_approval(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        message_id: ID,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, OUTREACH, "requestApproval", expected_version, idempotency_key)?;
        let (lead_id, message_id) = (uuid("leadId", &lead_id)?, uuid("messageId", &message_id)?);
        let command = RequestApproval { message_id, at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// A person approves a draft, optionally with their own edit of the text (which must still
    /// carry the campaign's notices). The approval is recorded as that person's decision.
    async fn approve_message(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        message_id: ID,
        edited_body: Option<String>,
        #[graphql(desc = "Why, in a few words, with no personal data.")] rationale: String,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let perm = Permission::ApproveMessages;
        let issuer = Issuer::new(ctx, perm, "approveMessage", expected_version, idempotency_key)?;
        let (lead_id, message_id) = (uuid("leadId", &lead_id)?, uuid("messageId", &message_id)?);
        text("rationale", &rationale, 2_000)?;
        if let Some(edit) = &edited_body {
            text("editedBody", edit, MAX_BODY)?;
            let (lead, _, campaign) = lead_and_campaign(&issuer, lead_id).await?;
            if let Some(m) = lead.message(message_id) {
                let check = DraftCheck {
                    template_id: m.template_id.as_deref(),
                    channel: m.channel,
                    step: m.step,
                    body: edit,
                    ai_generated: m.ai_generated,
                };
                campaign.check_draft(check).map_err(|e| draft_error(&e).with("field", "editedBody"))?;
            }
        }
        let decision = human(&issuer, "approved", rationale);
        let command = ApproveMessage {
            message_id,
            by: issuer.actor.clone(),
            edited_body: edited_body.map(Pii::new),
            decision,
            at: issuer.now,
        };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// A person rejects a draft. `reason` may name the person (kept as personal data);
    /// `rationale` goes into the decision record and must not.
    async fn reject_message(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        message_id: ID,
        reason: String,
        rationale: String,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let perm = Permission::ApproveMessages;
        let issuer = Issuer::new(ctx, perm, "rejectMessage", expected_version, idempotency_key)?;
        let (lead_id, message_id) = (uuid("leadId", &lead_id)?, uuid("messageId", &message_id)?);
        text("reason", &reason, 2_000)?;
        text("rationale", &rationale, 2_000)?;
        let decision = human(&issuer, "rejected", rationale);
        let command =
            RejectMessage { message_id, by: issuer.actor.clone(), reason: Pii::new(reason), decision, at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Schedules a drafted (and, where needed, approved) message and reserves its send slot on
    /// the lead's sender account, in one transaction: refused when the person objected, the
    /// draft is not approved, or any budget of the account is spent. `at` is the slot's time
    /// (now when omitted; never in the past). `createdId` is the reservation id.
    async fn reserve_send(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        message_id: ID,
        account_id: ID,
        action_type: ActionType,
        at: Option<DateTime<Utc>>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, OUTREACH, "reserveSend", None, idempotency_key)?;
        let (lead_id, message_id) = (uuid("leadId", &lead_id)?, uuid("messageId", &message_id)?);
        let account_id = uuid("accountId", &account_id)?;
        let at = at.unwrap_or(issuer.now);
        if at < issuer.now - chrono::Duration::minutes(1) {
            return Err(ApiError::validation("at", "a slot cannot be in the past").into());
        }
        let reservation_id = issuer.new_id("reservation");
        let command =
            ReserveSend { lead_id, account_id, message_id, reservation_id, action_type: action_type.into(), at };
        let reserved = issuer.bus().reserve_send(issuer.context(), command).await.map_err(|e| match e {
            reachspark_store::CommandError::Rejected(e) => rejection(e.to_string(), reserve_reason(&e)),
            other => not_rejected(other),
        })?;
        let version = reserved.events.iter().filter(|e| e.stream_id == lead_id).map(|e| e.stream_version).max();
        let result = CommandResult::new(lead_id, version.unwrap_or(0), reserved.replayed, &reserved.events);
        Ok(result.created(reservation_id))
    }

    /// The provider accepted a scheduled message.
    async fn record_sent(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        message_id: ID,
        provider_message_id: String,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, OUTREACH, "recordSent", None, idempotency_key)?;
        let (lead_id, message_id) = (uuid("leadId", &lead_id)?, uuid("messageId", &message_id)?);
        text("providerMessageId", &provider_message_id, 500)?;
        let command = RecordSent { message_id, provider_message_id, at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Sending failed; `reason` is an error code or class, no personal data.
    async fn record_send_failed(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        message_id: ID,
        kind: FailureKind,
        reason: String,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, OUTREACH, "recordSendFailed", None, idempotency_key)?;
        let (lead_id, message_id) = (uuid("leadId", &lead_id)?, uuid("messageId", &message_id)?);
        text("reason", &reason, 500)?;
        let command = RecordSendFailed { message_id, kind: kind.into(), reason, at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// The person wrote back. `createdId` is the response id.
    async fn record_response(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        message_id: Option<ID>,
        text: String,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, OUTREACH, "recordResponse", None, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        let message_id = message_id.as_ref().map(|id| uuid("messageId", id)).transpose()?;
        super::inputs::text("text", &text, MAX_BODY)?;
        let response_id = issuer.new_id("response");
        let command = RecordResponse { response_id, message_id, text: Pii::new(text), at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?.created(response_id))
    }

    /// Records the reading of a reply: sentiment and intent, with the decision. An opt-out
    /// intent does not opt the lead out by itself: issue `optOut` at once.
    async fn analyze_response(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        response_id: ID,
        sentiment: Sentiment,
        intent: Intent,
        decision: DecisionInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, OUTREACH, "analyzeResponse", None, idempotency_key)?;
        let (lead_id, response_id) = (uuid("leadId", &lead_id)?, uuid("responseId", &response_id)?);
        let (sentiment, intent): (reachspark_domain::lead::Sentiment, reachspark_domain::lead::Intent) =
            (sentiment.into(), intent.into());
        let output = format!("{}/{}", label(&sentiment), label(&intent));
        let decision = decision.into_decision(DecisionKind::ReplyAnalysis, output, &issuer.actor)?;
        let command = AnalyzeResponse { response_id, sentiment, intent, decision, at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Plans follow-up number `step` for `dueAt`.
    async fn schedule_follow_up(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        step: i32,
        due_at: DateTime<Utc>,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, OUTREACH, "scheduleFollowUp", expected_version, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        let step = u32::try_from(step)
            .ok()
            .filter(|s| *s >= 1)
            .ok_or_else(|| ApiError::validation("step", "must be a follow-up number ≥ 1"))?;
        if due_at < issuer.now {
            return Err(ApiError::validation("dueAt", "must not be in the past").into());
        }
        let command = ScheduleFollowUp { step, due_at, at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }
}

/// A person's approval decision: kind `Approval`, engine `Human`, decided by the caller.
fn human(issuer: &Issuer<'_>, output: &str, rationale: String) -> Decision {
    Decision::new(DecisionKind::Approval, output, rationale, issuer.actor.clone(), Engine::Human)
}
