//! What each actor did (`agents`) and what each template earns (`templatePerformance`).

use async_graphql::{SimpleObject, ID};
use chrono::{DateTime, Utc};
use reachspark_projections::queries::analytics::{AgentActivityRow, OpenAgentErrorRow, TemplatePerformanceRow};

/// The last error an actor reported. The context is written for operators and holds no
/// personal data.
#[derive(SimpleObject)]
pub(super) struct AgentError {
    /// `rejected`, `transient` or `permanent`.
    kind: String,
    /// The command that failed, when there was one.
    command: Option<String>,
    context: Option<String>,
    at: Option<DateTime<Utc>>,
}

/// One actor's activity: an agent, a person (by token subject) or the system.
#[derive(SimpleObject)]
pub(super) struct AgentActivity {
    /// `agent`, `person` or `system`.
    actor_kind: String,
    actor_id: String,
    /// Commands it issued that wrote events.
    commands: i64,
    events: i64,
    /// Commands the domain refused, as the actor reported them.
    rejections: i64,
    /// Transient and permanent failures it reported.
    errors: i64,
    last_error: Option<AgentError>,
    last_seen: DateTime<Utc>,
    /// How many of its errors wait for an operator (an agent's dead letters); 0 for people.
    open_error_count: i64,
    /// Those errors, oldest first: retry one with `retryAgentError`.
    open_errors: Vec<OpenAgentError>,
}

/// An error an agent raised that no operator has asked to retry yet: the item behind it sits
/// in the agent's dead letters.
#[derive(SimpleObject)]
pub(super) struct OpenAgentError {
    /// The `AgentErrorRaised` event; pass it to `retryAgentError`.
    error_event_id: ID,
    /// The event whose handling failed, when the error names it.
    triggering_event_id: Option<ID>,
    /// `rejected`, `transient` or `permanent`.
    kind: String,
    command: Option<String>,
    /// Codes and ids, never personal data.
    context: String,
    raised_at: DateTime<Utc>,
}

impl From<OpenAgentErrorRow> for OpenAgentError {
    fn from(r: OpenAgentErrorRow) -> Self {
        Self {
            error_event_id: ID(r.error_event_id.to_string()),
            triggering_event_id: r.triggering_event_id.map(|id| ID(id.to_string())),
            kind: r.kind,
            command: r.command,
            context: r.context,
            raised_at: r.raised_at,
        }
    }
}

impl AgentActivity {
    /// The row, with the open errors of the agent it is about (none for other actors).
    pub(super) fn new(r: AgentActivityRow, open: &mut Vec<OpenAgentErrorRow>) -> Self {
        let mine: Vec<OpenAgentErrorRow> = if r.actor_kind == "agent" {
            let (mine, rest) = std::mem::take(open).into_iter().partition(|e| e.agent == r.actor_id);
            *open = rest;
            mine
        } else {
            Vec::new()
        };
        let open_errors: Vec<OpenAgentError> = mine.into_iter().map(OpenAgentError::from).collect();
        Self { open_error_count: i64::try_from(open_errors.len()).unwrap_or(i64::MAX), open_errors, ..Self::from(r) }
    }
}

impl From<AgentActivityRow> for AgentActivity {
    fn from(r: AgentActivityRow) -> Self {
        let last_error = r.last_error_kind.map(|kind| AgentError {
            kind,
            command: r.last_error_command,
            context: r.last_error_context,
            at: r.last_error_at,
        });
        Self {
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            commands: r.commands,
            events: r.events,
            rejections: r.rejections,
            errors: r.errors,
            last_error,
            last_seen: r.last_seen,
            open_error_count: 0,
            open_errors: Vec::new(),
        }
    }
}

/// What one template earned in one segment of one campaign. Replies, their sentiment and
/// opt-outs count for the lead's last message sent before them.
#[derive(SimpleObject)]
pub(super) struct TemplatePerformance {
    campaign_id: ID,
    template_id: String,
    /// The lead's classification when the message was sent: `Speaker`, `Sponsor`, `Other` or
    /// `Unclassified`.
    segment: String,
    sent: i64,
    replies: i64,
    positive: i64,
    negative: i64,
    opt_outs: i64,
    /// `replies / sent`; null when nothing was sent.
    reply_rate: Option<f64>,
    /// `positive / sent`; null when nothing was sent.
    positive_rate: Option<f64>,
}

impl From<TemplatePerformanceRow> for TemplatePerformance {
    fn from(r: TemplatePerformanceRow) -> Self {
        Self {
            campaign_id: ID(r.campaign_id.to_string()),
            reply_rate: r.reply_rate(),
            positive_rate: r.positive_rate(),
            template_id: r.template_id,
            segment: r.segment,
            sent: r.sent,
            replies: r.replies,
            positive: r.positive,
            negative: r.negative,
            opt_outs: r.opt_outs,
        }
    }
}
