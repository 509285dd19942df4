//! `read.agent_errors`: every error an agent raised (`AgentErrorRaised` on its stream), and
//! whether an operator has asked for it to be retried (`AgentErrorRetryRequested`). The rows
//! without a retry request are the agent's open dead letters; a retry that fails again raises a
//! new error, so a new row.
//!
//! Its own projection (not more columns of `agent_activity`) so that it starts from the
//! beginning of the log wherever it is added, and is keyed by the agent's stream rather than
//! by whoever issued the command.

use async_trait::async_trait;
use reachspark_domain::agent::{agent_of_stream, context_event, AgentEvent};
use sqlx::PgConnection;

use super::label;
use crate::{Decoded, Envelope, Projection, ProjectionError};

/// The agent errors read model.
#[derive(Debug, Clone, Copy)]
pub struct AgentErrors;

#[async_trait]
impl Projection for AgentErrors {
    fn name(&self) -> &'static str {
        "agent_errors"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["agent_errors"]
    }

    fn schema_sql(&self, schema: &str) -> Vec<String> {
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.agent_errors (
                    error_event_id uuid PRIMARY KEY, agent text NOT NULL, kind text NOT NULL,
                    command text, context text NOT NULL, triggering_event_id uuid,
                    raised_at timestamptz NOT NULL, global_position bigint NOT NULL,
                    retry_requested_at timestamptz, retry_requested_by text)"
            ),
            format!(
                "COMMENT ON TABLE {schema}.agent_errors IS
                    'Every error an agent raised; open (a dead letter) until an operator asks for a retry.'"
            ),
        ]
    }

    fn index_sql(&self, schema: &str) -> Vec<String> {
        vec![format!(
            "CREATE INDEX IF NOT EXISTS agent_errors_open ON {schema}.agent_errors (agent, global_position)
                 WHERE retry_requested_at IS NULL"
        )]
    }

    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError> {
        for envelope in events {
            let Decoded::Agent(event) = &envelope.decoded else { continue };
            let recorded = &envelope.recorded;
            let Some(agent) = agent_of_stream(recorded.stream_id) else { continue };
            match event {
                AgentEvent::AgentErrorRaised { kind, context, command, at } => {
                    sqlx::query(&format!(
                        "INSERT INTO {schema}.agent_errors (error_event_id, agent, kind, command, context,
                             triggering_event_id, raised_at, global_position)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (error_event_id) DO NOTHING"
                    ))
                    .bind(recorded.event_id)
                    .bind(agent)
                    .bind(label(kind))
                    .bind(command)
                    .bind(context)
                    .bind(context_event(context))
                    .bind(at)
                    .bind(recorded.global_position)
                    .execute(&mut *tx)
                    .await?;
                }
                AgentEvent::AgentErrorRetryRequested { error_event_id, requested_by, at } => {
                    sqlx::query(&format!(
                        "UPDATE {schema}.agent_errors SET retry_requested_at = $2, retry_requested_by = $3
                         WHERE error_event_id = $1 AND retry_requested_at IS NULL"
                    ))
                    .bind(error_event_id)
                    .bind(at)
                    .bind(requested_by)
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}
