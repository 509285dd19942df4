//! The store's one error type.

use uuid::Uuid;

/// Everything that can go wrong in the event store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to the stream first (optimistic concurrency).
    #[error("version conflict on stream {stream_id}: expected version {expected}")]
    Conflict {
        /// The stream.
        stream_id: Uuid,
        /// The version the append expected the stream to be at.
        expected: i64,
    },
    /// The subject's personal data was erased; none may be written for it again.
    #[error("subject {subject} was erased: its personal data cannot be written again")]
    SubjectErased {
        /// The subject (lead) id.
        subject: Uuid,
    },
    /// The configured master key does not unwrap a stored subject key.
    #[error("the master key cannot unwrap the data key of subject {subject}: wrong REACHSPARK_MASTER_KEY?")]
    WrongMasterKey {
        /// The subject whose key failed.
        subject: Uuid,
    },
    /// A stored event could not be turned into its domain type.
    #[error("event {event_id} ({event_type} v{schema_version}) cannot be loaded: {reason}")]
    Decode {
        /// The event.
        event_id: Uuid,
        /// Its type.
        event_type: String,
        /// Its stored schema version.
        schema_version: i32,
        /// Why.
        reason: String,
    },
    /// A caller asked for something the append-only log never does.
    #[error("the event log is append-only: {0}")]
    AppendOnly(&'static str),
    /// An append with no events.
    #[error("an append needs at least one event")]
    EmptyAppend,
    /// Bad configuration.
    #[error("configuration: {0}")]
    Config(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether retrying the same call may succeed.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }
}
