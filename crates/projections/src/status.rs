//! Each projection's position, lag and state.

use chrono::{DateTime, Utc};
use reachspark_store::{Position, Store};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::runner::RunnerError;

/// Where a projection stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectionStatus {
    /// Its name.
    pub name: String,
    /// The last event applied.
    pub position: Position,
    /// Events applied since it was created or last rebuilt.
    pub events_applied: i64,
    /// Events in the log after its position.
    pub lag: i64,
    /// `running`, `failed` or `rebuilding`.
    pub state: String,
    /// The event it stopped on, when failed.
    pub failed_event_id: Option<Uuid>,
    /// Its global position.
    pub failed_position: Option<i64>,
    /// The error, when failed.
    pub error: Option<String>,
    /// When its checkpoint last moved.
    pub updated_at: DateTime<Utc>,
}

/// Every projection's status.
pub async fn status(store: &Store) -> Result<Vec<ProjectionStatus>, RunnerError> {
    let rows = sqlx::query("SELECT * FROM read.projection_checkpoints ORDER BY name").fetch_all(store.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let position =
            Position { transaction_id: row.get("transaction_id"), global_position: row.get("global_position") };
        let lag: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE (transaction_id, global_position) > ($1::text::xid8, $2)",
        )
        .bind(position.transaction_id.to_string())
        .bind(position.global_position)
        .fetch_one(store.pool())
        .await?;
        out.push(ProjectionStatus {
            name: row.get("name"),
            position,
            events_applied: row.get("events_applied"),
            lag,
            state: row.get("state"),
            failed_event_id: row.get("failed_event_id"),
            failed_position: row.get("failed_position"),
            error: row.get("error"),
            updated_at: row.get("updated_at"),
        });
    }
    Ok(out)
}
