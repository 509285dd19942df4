//! What live subscriptions read: how far a projection has applied the log, and a campaign's
//! funnel totals. A subscription that emits a read-model row waits until the projection has
//! applied the event that triggered it, so the row it sends is never older than that event.

use reachspark_store::Position;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::queries::analytics::Funnel;

/// Where a projection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The last event it applied.
    pub position: Position,
    /// It stopped on an event it could not apply and needs an operator (`projections resume`).
    pub failed: bool,
}

/// The projection's checkpoint; `None` when no such projection was ever set up.
pub async fn applied(pool: &PgPool, projection: &str) -> Result<Option<Applied>, sqlx::Error> {
    let row =
        sqlx::query("SELECT transaction_id, global_position, state FROM read.projection_checkpoints WHERE name = $1")
            .bind(projection)
            .fetch_optional(pool)
            .await?;
    row.map(|row| {
        let position = Position { transaction_id: row.try_get(0)?, global_position: row.try_get(1)? };
        let state: String = row.try_get(2)?;
        Ok(Applied { position, failed: state == "failed" })
    })
    .transpose()
}

/// The campaign's totals (all zero for a campaign without events).
pub async fn campaign_funnel(pool: &PgPool, campaign_id: Uuid) -> Result<Funnel, sqlx::Error> {
    sqlx::query_as(
        "SELECT coalesce(sum(discovered), 0)::bigint AS discovered, coalesce(sum(classified), 0)::bigint AS classified,
                coalesce(sum(allocated), 0)::bigint AS allocated, coalesce(sum(drafted), 0)::bigint AS drafted,
                coalesce(sum(sent), 0)::bigint AS sent, coalesce(sum(responded), 0)::bigint AS responded,
                coalesce(sum(positive), 0)::bigint AS positive, coalesce(sum(qualified), 0)::bigint AS qualified,
                coalesce(sum(closed), 0)::bigint AS closed, coalesce(sum(opted_out), 0)::bigint AS opted_out
         FROM read.pipeline_daily WHERE campaign_id = $1",
    )
    .bind(campaign_id)
    .fetch_one(pool)
    .await
}
