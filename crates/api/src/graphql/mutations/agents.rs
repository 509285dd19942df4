//! What agents report about their own work: errors, the daily report, performance alerts.
//! Each goes to the agent's own stream; an agent token writes only to its own.

use async_graphql::{Context, Enum, Object, ID};
use chrono::NaiveDate;
use esrs::Aggregate as _;
use reachspark_domain::agent::{agent_stream_id, PublishDailyReport, RaiseAlert, RaiseError, RequestRetry};
use reachspark_domain::Agent;

use super::command::{CommandResult, Issuer};
use super::inputs::uuid;
use crate::auth::{AgentName, Permission};
use crate::graphql::leads::allowed;
use crate::graphql::{ApiError, Code};

/// One of the three agents.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::auth::AgentName")]
pub(crate) enum AgentKind {
    LeadFinder,
    SalesManager,
    Outreach,
}

/// Whether an error may pass, or an aggregate refused the agent.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::agent::ErrorKind")]
pub(crate) enum ErrorKind {
    Transient,
    Permanent,
    Rejected,
}

/// What a performance alert is about.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "reachspark_domain::agent::AlertKind")]
pub(crate) enum AlertKind {
    ReplyRateDrop,
    ErrorSpike,
    BudgetExhausted,
}

/// The agent a report is about: an agent token's own (naming another is `FORBIDDEN`); an
/// admin must name one.
fn which(ctx: &Context<'_>, named: Option<AgentKind>) -> Result<AgentName, ApiError> {
    let principal = allowed(ctx, Permission::ReadLeads)?;
    let agent = match (principal.agent, named) {
        (Some(own), None) => own,
        (_, Some(named)) => named.into(),
        (None, None) => return Err(ApiError::validation("agent", "name the agent this is about")),
    };
    allowed(ctx, Permission::AgentCommand(agent))?;
    Ok(agent)
}

#[derive(Default, Debug)]
pub(crate) struct AgentMutation;

#[Object]
impl AgentMutation {
    /// Records an error of an agent; `context` holds codes and ids, never personal data.
    async fn raise_agent_error(
        &self,
        ctx: &Context<'_>,
        agent: Option<AgentKind>,
        kind: ErrorKind,
        context: String,
        command: Option<String>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let agent = which(ctx, agent)?;
        let principal = allowed(ctx, Permission::AgentCommand(agent))?;
        let issuer = Issuer::for_principal(ctx, principal, "raiseAgentError", None, idempotency_key)?;
        let command = RaiseError { kind: kind.into(), context, command, at: issuer.now };
        Ok(issuer.run::<Agent>(agent_stream_id(agent.as_str()), command.into()).await?)
    }

    /// Publishes the Sales Manager's report of `day` (once per day), as Markdown.
    async fn publish_daily_report(
        &self,
        ctx: &Context<'_>,
        day: NaiveDate,
        report_markdown: String,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let perm = Permission::AgentCommand(AgentName::SalesManager);
        let issuer = Issuer::new(ctx, perm, "publishDailyReport", None, idempotency_key)?;
        let command = PublishDailyReport { day, report_markdown, at: issuer.now };
        let stream = agent_stream_id(AgentName::SalesManager.as_str());
        Ok(issuer.run::<Agent>(stream, command.into()).await?)
    }

    /// Asks a person to look at a change in performance.
    async fn raise_alert(
        &self,
        ctx: &Context<'_>,
        alert: AlertKind,
        detail: String,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let perm = Permission::AgentCommand(AgentName::SalesManager);
        let issuer = Issuer::new(ctx, perm, "raiseAlert", None, idempotency_key)?;
        let command = RaiseAlert { alert: alert.into(), detail, at: issuer.now };
        let stream = agent_stream_id(AgentName::SalesManager.as_str());
        Ok(issuer.run::<Agent>(stream, command.into()).await?)
    }

    /// Asks `agent` to try again the item behind its error `errorEventId` (an
    /// `AgentErrorRaised` of that agent, as listed in `agents { openErrors }`). The agent takes
    /// the item from its dead letters and handles it again; a retry that fails raises a new
    /// error. `NOT_FOUND` when the agent raised no such error; `VALIDATION` (reason
    /// `retry_already_requested`) when a retry of it was already asked for.
    async fn retry_agent_error(
        &self,
        ctx: &Context<'_>,
        agent: AgentKind,
        error_event_id: ID,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CommandResult> {
        let issuer = Issuer::new(ctx, Permission::RetryAgentErrors, "retryAgentError", None, idempotency_key)?;
        let agent: AgentName = agent.into();
        let error_event_id = uuid("errorEventId", &error_event_id)?;
        let stream = agent_stream_id(agent.as_str());
        let raised = issuer.store.read_event(error_event_id).await.map_err(ApiError::from)?.is_some_and(|e| {
            e.stream_type == Agent::NAME && e.stream_id == stream && e.event_type == "AgentErrorRaised"
        });
        if !raised {
            return Err(ApiError::new(Code::NotFound, format!("errorEventId: {agent} raised no error with this id"))
                .with("field", "errorEventId")
                .into());
        }
        let command = RequestRetry { error_event_id, requested_by: issuer.principal.subject.clone(), at: issuer.now };
        Ok(issuer.run::<Agent>(stream, command.into()).await?)
    }
}
