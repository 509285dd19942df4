//! Projections: the read models in schema `read` that front ends, analysts and the API query.
//!
//! A [`Projection`] owns tables, creates them with [`Projection::schema_sql`] (in `read`, or in a
//! shadow schema during a rebuild) and applies batches of decoded events to them. The
//! [`runner`] feeds it through the store's gap-free reader and moves its checkpoint in the same
//! transaction as its writes, so every event is applied exactly once, also across a crash.
//!
//! Depends on `reachspark-domain` and `reachspark-store`; knows nothing of HTTP or GraphQL.

pub mod as_of;
mod copy;
mod envelope;
pub mod live;
pub mod models;
pub mod queries;
pub mod rebuild;
pub mod runner;
pub mod status;
pub mod workload;

use async_trait::async_trait;
use sqlx::PgConnection;

pub use envelope::{Decoded, Envelope};

/// The schema analysts and the API read.
pub const READ_SCHEMA: &str = "read";

/// A read model.
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Stable name: the checkpoint's key and the advisory lock's.
    fn name(&self) -> &'static str;

    /// The tables it owns, unqualified; a rebuild swaps exactly these.
    fn tables(&self) -> &'static [&'static str];

    /// Idempotent DDL creating its tables in `schema`, with the keys its writes rely on.
    fn schema_sql(&self, schema: &str) -> Vec<String>;

    /// Idempotent DDL for indexes its writes do not need. A rebuild creates them after the
    /// bulk load (much cheaper than maintaining them row by row); the live path creates them
    /// with the tables.
    fn index_sql(&self, _schema: &str) -> Vec<String> {
        Vec::new()
    }

    /// Applies `events` (in log order, after this projection's checkpoint) to its tables in
    /// `schema`, on `tx`. Must not commit. An error rolls the batch back.
    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError>;

    /// A rebuild's faster path for a model whose rows change many times over the log: the rows
    /// are folded in memory and written once. `None` (the default) rebuilds through [`apply`].
    ///
    /// [`apply`]: Projection::apply
    fn bulk(&self) -> Option<Box<dyn Bulk>> {
        None
    }

    /// True when `apply` only inserts rows and never reads its tables: a rebuild then applies
    /// several pages at once, in any order.
    fn insert_only(&self) -> bool {
        false
    }
}

/// A read model rebuilt in memory: events are folded into rows held here, and written to the
/// (empty) shadow tables in one go. Must produce exactly the rows [`Projection::apply`] would;
/// the randomised workload test compares a rebuild with the live tables row for row.
#[async_trait]
pub trait Bulk: Send {
    /// Folds events (in log order) into the rows held.
    fn fold(&mut self, events: &[Envelope]) -> Result<(), ProjectionError>;

    /// How many rows are held (the rebuild writes them out early above a limit, and applies
    /// the rest of the log through [`Projection::apply`]).
    fn rows(&self) -> usize;

    /// Writes the rows held into the tables in `schema`, which this transaction has just
    /// emptied (so rows may be copied into them with `COPY ... FREEZE`), and
    /// forgets them.
    async fn write(&mut self, tx: &mut PgConnection, schema: &str) -> Result<(), ProjectionError>;
}

/// A projection could not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The database refused a write.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] reachspark_store::StoreError),
    /// The event makes no sense for this model (a bug, or a corrupt log).
    #[error("event {event_id}: {reason}")]
    Event {
        /// The event.
        event_id: uuid::Uuid,
        /// Why.
        reason: String,
    },
}

/// Every read model, in the order the runner starts them.
pub fn all() -> Vec<std::sync::Arc<dyn Projection>> {
    models::all()
}
