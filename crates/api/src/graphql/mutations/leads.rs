//! A lead's life outside its messages: discovery, enrichment, classification, scoring,
//! allocation, qualification, closing, objection, erasure and notes.

use async_graphql::{Context, InputObject, Object, ID};
use reachspark_domain::decision::DecisionKind;
use reachspark_domain::identity::{Email, ProfileUrl, SubjectKey};
use reachspark_domain::lead::{
    AddNote, AllocateLead, ClassifyLead, CloseLead, DiscoverLead, EnrichLead, ErasePersonalData, Fact, LeadSource,
    OptOut, QualifyLead, ReassignLead, ScoreLead,
};
use reachspark_domain::{Campaign, Lead, Pii};
use uuid::Uuid;

use super::command::{command_error, CommandResult, Issuer};
use super::inputs::{text, uuid, CloseOutcome, DecisionInput, LeadClass, OptOutSource};
use crate::auth::{AgentName, Permission, Principal};
use crate::graphql::leads::allowed;
use crate::graphql::ApiError;

/// The most characters of a name, position, company or note.
const MAX_FIELD: usize = 500;
const MAX_NOTE: usize = 10_000;

/// A person's identity: their lead id and normalised profile URL or email.
pub(crate) struct Identity {
    pub(crate) lead_id: Uuid,
    pub(crate) profile_url: Option<String>,
    pub(crate) email: Option<String>,
}

/// Normalises a profile URL or email and derives the lead id (keyed by the profile URL when
/// there is one). Errors name the field and never echo the value back.
pub(crate) fn identity(
    secret: &[u8],
    profile_url: Option<&str>,
    email: Option<&str>,
) -> Result<Identity, (&'static str, &'static str)> {
    let present = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let url = present(profile_url)
        .map(|u| ProfileUrl::parse(&u).map_err(|_| ("profileUrl", "not an http(s) URL with a host")))
        .transpose()?;
    let email = present(email).map(|e| Email::parse(&e).map_err(|_| ("email", "not an email address"))).transpose()?;
    let key = match (&url, &email) {
        (Some(url), _) => SubjectKey::Profile(url.clone()),
        (None, Some(email)) => SubjectKey::Email(email.clone()),
        (None, None) => return Err(("profileUrl", "a lead needs a profile URL or an email address")),
    };
    Ok(Identity {
        lead_id: key.lead_id(secret),
        profile_url: url.map(|u| u.as_str().to_owned()),
        email: email.map(|e| e.as_str().to_owned()),
    })
}

/// A fact learned about a person, with the page that shows it (both personal data).
#[derive(InputObject, Debug)]
pub(crate) struct FactInput {
    /// The attribute, e.g. `recent_talk` (not personal data).
    attribute: String,
    value: String,
    evidence_url: String,
}

/// The caller may do this as the agent whose job it is, or as a person working leads.
fn lead_worker<'a>(ctx: &Context<'a>, agent: AgentName) -> Result<&'a Principal, ApiError> {
    allowed(ctx, Permission::AgentCommand(agent)).or_else(|_| allowed(ctx, Permission::WorkLeads))
}

/// Any agent for itself, or a person working leads.
fn any_agent<'a>(ctx: &Context<'a>) -> Result<&'a Principal, ApiError> {
    let own = allowed(ctx, Permission::ReadLeads)?.agent;
    match own {
        Some(agent) => allowed(ctx, Permission::AgentCommand(agent)),
        None => allowed(ctx, Permission::WorkLeads),
    }
}

#[derive(Default, Debug)]
pub(crate) struct LeadMutation;

#[Object]
impl LeadMutation {
    /// Records a newly found person for a campaign. The lead id derives from the profile URL
    /// (or the email), so a person is discovered once: a second discovery, or one after an
    /// opt-out or erasure, is refused.
    async fn discover_lead(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        name: String,
        profile_url: Option<String>,
        email: Option<String>,
        #[graphql(default)] position: String,
        #[graphql(default)] company: String,
        #[graphql(desc = "Where the lead came from, e.g. a page URL or a CRM id (personal data).")] source_ref: Option<
            String,
        >,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, Permission::ImportLeads, "discoverLead", None, idempotency_key)?;
        let campaign_id = uuid("campaignId", &campaign_id)?;
        text("name", &name, MAX_FIELD)?;
        for (field, value) in [("position", &position), ("company", &company)] {
            if value.chars().count() > MAX_FIELD {
                return Err(ApiError::validation(field, "is too long").into());
            }
        }
        let who = identity(&issuer.store.lead_id_secret(), profile_url.as_deref(), email.as_deref())
            .map_err(|(field, problem)| ApiError::validation(field, problem))?;
        issuer.existing::<Campaign>("campaignId", campaign_id).await?;
        let source = if issuer.principal.agent.is_some() { LeadSource::Api } else { LeadSource::Manual };
        let command = DiscoverLead {
            source,
            source_ref: Pii::new(source_ref.unwrap_or_else(|| source_label(source).to_owned())),
            campaign_id,
            name: Pii::new(name.trim().to_owned()),
            profile_url: who.profile_url.map(Pii::new),
            email: who.email.map(Pii::new),
            position: position.trim().to_owned(),
            company: company.trim().to_owned(),
            at: issuer.now,
        };
        Ok(issuer.run::<Lead>(who.lead_id, command.into()).await?)
    }

    /// Adds facts about a lead with the pages that show them.
    async fn enrich_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        facts: Vec<FactInput>,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let perm = Permission::AgentCommand(AgentName::LeadFinder);
        let issuer = Issuer::new(ctx, perm, "enrichLead", expected_version, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        if facts.is_empty() || facts.len() > 100 {
            return Err(ApiError::validation("facts", "give 1 to 100 facts").into());
        }
        let mut checked = Vec::with_capacity(facts.len());
        for (i, f) in facts.into_iter().enumerate() {
            text(&format!("facts[{i}].attribute"), &f.attribute, 100)?;
            text(&format!("facts[{i}].value"), &f.value, MAX_NOTE)?;
            text(&format!("facts[{i}].evidenceUrl"), &f.evidence_url, 2_000)?;
            checked.push(Fact {
                attribute: f.attribute,
                value: Pii::new(f.value),
                evidence_url: Pii::new(f.evidence_url),
            });
        }
        let command = EnrichLead { facts: checked, at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Records a classification (Speaker / Sponsor / Other) with its decision.
    async fn classify_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        class: LeadClass,
        decision: DecisionInput,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let perm = Permission::AgentCommand(AgentName::LeadFinder);
        let issuer = Issuer::new(ctx, perm, "classifyLead", expected_version, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        let class: reachspark_domain::lead::LeadClass = class.into();
        let decision = decision.into_decision(DecisionKind::Classification, label(&class), &issuer.actor)?;
        let command = ClassifyLead { class, decision, at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Records a quality score from 1 to 10 with its decision.
    async fn score_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        score: i32,
        decision: DecisionInput,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let perm = Permission::AgentCommand(AgentName::LeadFinder);
        let issuer = Issuer::new(ctx, perm, "scoreLead", expected_version, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        let score = u8::try_from(score)
            .ok()
            .filter(|s| (1..=10).contains(s))
            .ok_or_else(|| ApiError::validation("score", "must be between 1 and 10"))?;
        let decision = decision.into_decision(DecisionKind::Score, score.to_string(), &issuer.actor)?;
        let command = ScoreLead { score, decision };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Gives a lead to a sender account, with the reason as a decision.
    async fn allocate_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        account_id: ID,
        #[graphql(desc = "Higher goes first, 0 to 255.")] priority: i32,
        decision: DecisionInput,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let perm = Permission::AgentCommand(AgentName::SalesManager);
        let issuer = Issuer::new(ctx, perm, "allocateLead", expected_version, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        let account_id = uuid("accountId", &account_id)?;
        let priority = u8::try_from(priority).map_err(|_| ApiError::validation("priority", "must be 0 to 255"))?;
        issuer.existing::<reachspark_domain::SenderAccount>("accountId", account_id).await?;
        let decision = decision.into_decision(DecisionKind::Allocation, account_id.to_string(), &issuer.actor)?;
        let command = AllocateLead { account_id, priority, decision, at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Moves a lead to another sender account. The slots it held on the old account are not
    /// released by this; release them with `releaseSlot`.
    async fn reassign_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        to_account_id: ID,
        decision: DecisionInput,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let principal = lead_worker(ctx, AgentName::SalesManager)?;
        let issuer = Issuer::for_principal(ctx, principal, "reassignLead", expected_version, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        let to = uuid("toAccountId", &to_account_id)?;
        issuer.existing::<reachspark_domain::SenderAccount>("toAccountId", to).await?;
        let decision = decision.into_decision(DecisionKind::Allocation, to.to_string(), &issuer.actor)?;
        let command = ReassignLead { to, decision, at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Hands a lead to a human salesperson.
    async fn qualify_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        note: Option<String>,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let principal = lead_worker(ctx, AgentName::Outreach)?;
        let issuer = Issuer::for_principal(ctx, principal, "qualifyLead", expected_version, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        if let Some(note) = &note {
            text("note", note, MAX_NOTE)?;
        }
        let command = QualifyLead { by: issuer.actor.clone(), note: note.map(Pii::new), at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Finishes a lead with an outcome.
    async fn close_lead(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        outcome: CloseOutcome,
        expected_version: Option<i64>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let principal = lead_worker(ctx, AgentName::Outreach)?;
        let issuer = Issuer::for_principal(ctx, principal, "closeLead", expected_version, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        let command = CloseLead { outcome: outcome.into(), at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Records an objection: from now on nothing reaches the person on any channel or
    /// account, and re-discovery cannot undo it. Slots already reserved for the lead must be
    /// released with `releaseSlot`.
    async fn opt_out(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        source: OptOutSource,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, Permission::OptOut, "optOut", None, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        let command = OptOut { source: source.into(), at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }

    /// Erases the person's data: the event and the destruction of their key commit together;
    /// every personal field reads as erased afterwards, decisions and counts stay.
    async fn erase_personal_data(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, Permission::ErasePersonalData, "erasePersonalData", None, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        let command = ErasePersonalData { requested_by: issuer.actor.clone(), at: issuer.now };
        let outcome = issuer.bus().erase_personal_data(issuer.context(), lead_id, command).await;
        let outcome = outcome.map_err(command_error)?;
        Ok(super::command::result(lead_id, &outcome))
    }

    /// Adds a free-text note (personal data: it may name the person).
    async fn add_note(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        text: String,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let principal = any_agent(ctx)?;
        let issuer = Issuer::for_principal(ctx, principal, "addNote", None, idempotency_key)?;
        let lead_id = uuid("leadId", &lead_id)?;
        super::inputs::text("text", &text, MAX_NOTE)?;
        let command = AddNote { text: Pii::new(text), author: issuer.actor.clone(), at: issuer.now };
        Ok(issuer.run::<Lead>(lead_id, command.into()).await?)
    }
}

/// A domain enum's stored (snake_case) name.
pub(crate) fn label<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn source_label(source: LeadSource) -> &'static str {
    match source {
        LeadSource::Api => "api",
        _ => "manual",
    }
}
