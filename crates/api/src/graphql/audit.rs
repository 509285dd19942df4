//! The audit and operations queries: decisions and their explanation chain, a lead's history
//! and its state at any time, log integrity, and the read models' progress.

use async_graphql::{Context, Object, ScalarType, SimpleObject, Value, ID};
use chrono::{DateTime, Utc};
use reachspark_projections::as_of::lead_as_of;
use reachspark_projections::models::sheet_label;
use reachspark_projections::queries::{self, DecisionRow, TimelineRow};
use reachspark_projections::status;

use super::fast::{Fast, ScalarFields};
use super::leads::{allowed, parse_id, store};
use super::{ApiError, MAX_PAGE};
use crate::auth::Permission;

/// A decision record: what was decided, from what, how, and why. Never holds personal data.
#[derive(SimpleObject)]
pub(super) struct Decision {
    event_id: ID,
    subject_type: String,
    subject_id: ID,
    event_type: String,
    kind: String,
    output: String,
    decided_by_kind: String,
    decided_by: String,
    engine: String,
    policy_version: Option<String>,
    provider: Option<String>,
    model: Option<String>,
    prompt_hash: Option<String>,
    response_hash: Option<String>,
    confidence: f64,
    propensity: Option<f64>,
    /// `[{name, value, contribution}]`, signed contributions.
    factors: serde_json::Value,
    rationale: String,
    based_on: Vec<ID>,
    position: i64,
    decided_at: DateTime<Utc>,
}

impl From<DecisionRow> for Decision {
    fn from(r: DecisionRow) -> Self {
        Self {
            event_id: ID(r.event_id.to_string()),
            subject_type: r.subject_type,
            subject_id: ID(r.subject_id.to_string()),
            event_type: r.event_type,
            kind: r.kind,
            output: r.output,
            decided_by_kind: r.decided_by_kind,
            decided_by: r.decided_by,
            engine: r.engine,
            policy_version: r.policy_version,
            provider: r.provider,
            model: r.model,
            prompt_hash: r.prompt_hash,
            response_hash: r.response_hash,
            confidence: r.confidence,
            propensity: r.propensity,
            factors: r.factors,
            rationale: r.rationale,
            based_on: r.based_on.iter().map(|id| ID(id.to_string())).collect(),
            position: r.global_position,
            decided_at: r.decided_at,
        }
    }
}

/// A decision's fields, answered in place in lists (see [`Fast`]); each arm gives what the
/// derived resolver gives (`graphql::fast::tests` compares the two).
impl ScalarFields for Decision {
    fn scalar_field(&self, name: &str) -> Option<Value> {
        fn text(value: &str) -> Value {
            Value::String(value.to_owned())
        }
        fn opt(value: Option<&str>) -> Value {
            value.map_or(Value::Null, text)
        }
        Some(match name {
            "eventId" => text(&self.event_id),
            "subjectType" => text(&self.subject_type),
            "subjectId" => text(&self.subject_id),
            "eventType" => text(&self.event_type),
            "kind" => text(&self.kind),
            "output" => text(&self.output),
            "decidedByKind" => text(&self.decided_by_kind),
            "decidedBy" => text(&self.decided_by),
            "engine" => text(&self.engine),
            "policyVersion" => opt(self.policy_version.as_deref()),
            "provider" => opt(self.provider.as_deref()),
            "model" => opt(self.model.as_deref()),
            "promptHash" => opt(self.prompt_hash.as_deref()),
            "responseHash" => opt(self.response_hash.as_deref()),
            "confidence" => ScalarType::to_value(&self.confidence),
            "propensity" => self.propensity.as_ref().map_or(Value::Null, ScalarType::to_value),
            "factors" => async_graphql::to_value(&self.factors).unwrap_or_default(),
            "rationale" => text(&self.rationale),
            "basedOn" => Value::List(self.based_on.iter().map(|id| text(id)).collect()),
            "position" => Value::from(self.position),
            "decidedAt" => ScalarType::to_value(&self.decided_at),
            _ => return None,
        })
    }
}

/// One event of a lead's history, in words.
#[derive(SimpleObject)]
pub(super) struct TimelineEntry {
    version: i64,
    position: i64,
    event_id: ID,
    event_type: String,
    summary: String,
    actor_kind: Option<String>,
    actor_id: Option<String>,
    recorded_at: DateTime<Utc>,
}

impl From<TimelineRow> for TimelineEntry {
    fn from(r: TimelineRow) -> Self {
        Self {
            version: r.stream_version,
            position: r.global_position,
            event_id: ID(r.event_id.to_string()),
            event_type: r.event_type,
            summary: r.summary,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            recorded_at: r.recorded_at,
        }
    }
}

/// A lead as it was at a point in time, rebuilt from its events.
#[derive(SimpleObject)]
pub(super) struct LeadSnapshot {
    id: ID,
    at: DateTime<Utc>,
    version: i64,
    contact_status: Option<String>,
    classification: Option<String>,
    quality_score: Option<i32>,
    assigned_to: Option<ID>,
    opted_out: bool,
    erased: bool,
}

/// One integrity finding.
#[derive(SimpleObject)]
pub(super) struct AuditProblem {
    kind: String,
    stream_id: Option<ID>,
    stream_version: Option<i64>,
    position: Option<i64>,
    checkpoint_id: Option<i64>,
    detail: String,
}

/// The result of recomputing every hash chain and checkpoint.
#[derive(SimpleObject)]
pub(super) struct AuditReport {
    intact: bool,
    events: i64,
    streams: i64,
    checkpoints: i64,
    problems: Vec<AuditProblem>,
}

/// A read model's progress.
#[derive(SimpleObject)]
pub(super) struct ProjectionState {
    name: String,
    position: i64,
    events_applied: i64,
    lag: i64,
    state: String,
    error: Option<String>,
    failed_event_id: Option<ID>,
    updated_at: DateTime<Utc>,
}

#[derive(Default, Debug)]
pub(super) struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every decision about a lead, oldest first, with factors, engines and approvals.
    async fn explain(&self, ctx: &Context<'_>, lead_id: ID) -> async_graphql::Result<Vec<Fast<Decision>>> {
        allowed(ctx, Permission::ReplayHistory)?;
        let rows = queries::decisions_about(store(ctx)?.pool(), parse_id("leadId", &lead_id)?)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|row| Fast(Decision::from(row))).collect())
    }

    /// Decisions, newest first; page with `before` = the last `position` seen.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn decisions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        before: Option<i64>,
        kind: Option<String>,
    ) -> async_graphql::Result<Vec<Fast<Decision>>> {
        allowed(ctx, Permission::ReadDecisions)?;
        let first = first.unwrap_or(20);
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(ApiError::validation("first", "must be between 1 and 100").into());
        }
        let rows = queries::decisions(store(ctx)?.pool(), kind.as_deref(), before, i64::from(first))
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|row| Fast(Decision::from(row))).collect())
    }

    /// A lead's history in words, oldest first.
    async fn timeline(&self, ctx: &Context<'_>, lead_id: ID) -> async_graphql::Result<Vec<TimelineEntry>> {
        allowed(ctx, Permission::ReadLeads)?;
        let rows =
            queries::timeline(store(ctx)?.pool(), parse_id("leadId", &lead_id)?).await.map_err(ApiError::from)?;
        Ok(rows.into_iter().map(TimelineEntry::from).collect())
    }

    /// A lead as it was at `at`, rebuilt from its events; null if it did not exist yet.
    async fn lead_as_of(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at: DateTime<Utc>,
    ) -> async_graphql::Result<Option<LeadSnapshot>> {
        allowed(ctx, Permission::ReplayHistory)?;
        let lead_id = parse_id("id", &id)?;
        let found = lead_as_of(store(ctx)?, lead_id, at).await.map_err(ApiError::from)?;
        Ok(found.map(|(state, version)| LeadSnapshot {
            id,
            at,
            version,
            contact_status: state.status().map(|s| sheet_label(&s)),
            classification: state.classification().map(|c| sheet_label(&c)),
            quality_score: state.score().map(i32::from),
            assigned_to: state.allocated_account().map(|a| ID(a.to_string())),
            opted_out: state.is_opted_out(),
            erased: state.is_erased(),
        }))
    }

    /// Recomputes every hash chain and checkpoint of the log.
    async fn audit_verify(&self, ctx: &Context<'_>) -> async_graphql::Result<AuditReport> {
        allowed(ctx, Permission::AuditVerify)?;
        let report = store(ctx)?.verify().await.map_err(ApiError::from)?;
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Ok(AuditReport {
            intact: report.is_intact(),
            events: count(report.events),
            streams: count(report.streams),
            checkpoints: count(report.checkpoints),
            problems: report
                .problems
                .into_iter()
                .map(|p| AuditProblem {
                    kind: serde_json::to_value(p.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    stream_id: p.stream_id.map(|id| ID(id.to_string())),
                    stream_version: p.stream_version,
                    position: p.global_position,
                    checkpoint_id: p.checkpoint_id,
                    detail: p.detail,
                })
                .collect(),
        })
    }

    /// Each read model's position, lag and state.
    async fn projections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProjectionState>> {
        allowed(ctx, Permission::ReadAnalytics)?;
        let statuses = status::status(store(ctx)?).await.map_err(|e| ApiError::internal(&e))?;
        Ok(statuses
            .into_iter()
            .map(|s| ProjectionState {
                name: s.name,
                position: s.position.global_position,
                events_applied: s.events_applied,
                lag: s.lag,
                state: s.state,
                error: s.error,
                failed_event_id: s.failed_event_id.map(|id| ID(id.to_string())),
                updated_at: s.updated_at,
            })
            .collect())
    }
}
