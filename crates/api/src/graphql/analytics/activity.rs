//! What each actor did (`agents`) and what each template earns (`templatePerformance`).

use async_graphql::{SimpleObject, ID};
use chrono::{DateTime, Utc};
use reachspark_projections::queries::analytics::{AgentActivityRow, TemplatePerformanceRow};

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
