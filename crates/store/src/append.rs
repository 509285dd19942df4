//! The append path: one statement per command, also across streams.
//!
//! Event ids derive from the command id, so a retried command collides on `event_id` and gets
//! the first result back instead of writing again. A concurrent writer collides on
//! `(stream_id, stream_version)` and gets [`StoreError::Conflict`]. Nothing takes a global lock:
//! the global order comes from the identity column and the transaction id, see `read.rs`.

use chrono::{DateTime, Utc};
use reachspark_domain::{Actor, DomainEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::postgres::PgDatabaseError;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::crypto::{self, SubjectKey};
use crate::hash::{canonical, event_hash, HashInput, GENESIS};
use crate::{Store, StoreError, EVENTS_CHANNEL};

/// Who issued a command and why: stored as every event's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandContext {
    /// The command's id; event ids derive from it.
    pub command_id: Uuid,
    /// Who issued it.
    pub actor: Actor,
    /// The conversation this command belongs to.
    pub correlation_id: Uuid,
    /// The event or command that caused this one.
    pub causation_id: Option<Uuid>,
    /// When the command was issued.
    pub occurred_at: DateTime<Utc>,
}

impl CommandContext {
    /// A new command by `actor` at `occurred_at`, with a fresh id that is its own correlation.
    pub fn new(actor: Actor, occurred_at: DateTime<Utc>) -> Self {
        let command_id = Uuid::new_v4();
        Self { command_id, actor, correlation_id: command_id, causation_id: None, occurred_at }
    }

    /// The same command with a caller-chosen id (an idempotency key).
    #[must_use]
    pub fn with_command_id(mut self, command_id: Uuid) -> Self {
        if self.correlation_id == self.command_id {
            self.correlation_id = command_id;
        }
        self.command_id = command_id;
        self
    }

    /// The id of the `index`-th event this command writes.
    pub fn event_id(&self, index: usize) -> Uuid {
        Uuid::new_v5(&self.command_id, index.to_string().as_bytes())
    }
}

/// An event to append, already serialised.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Persisted type name.
    pub event_type: String,
    /// Schema version of the payload.
    pub schema_version: i32,
    /// The payload; `{"$pii": ..}` objects are sealed before they are stored.
    pub payload: Value,
}

impl NewEvent {
    /// Serialises a domain event (adjacently tagged `{"type", "data"}`) into type and payload.
    pub fn from_domain<E: DomainEvent>(event: &E) -> Result<Self, StoreError> {
        let event_type = event.event_type();
        let mut value = serde_json::to_value(event)
            .map_err(|e| StoreError::Config(format!("event {event_type} does not serialise: {e}")))?;
        let payload = value.get_mut("data").map(Value::take).unwrap_or(Value::Null);
        Ok(Self { event_type: event_type.to_owned(), schema_version: E::schema_version(event_type), payload })
    }
}

/// Events for one stream, with the version the stream must be at (0: the stream is new).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamAppend {
    /// Stream type (the aggregate's name).
    pub stream_type: String,
    /// Stream id.
    pub stream_id: Uuid,
    /// The stream's current version as the writer knows it.
    pub expected_version: i64,
    /// The events, in order.
    pub events: Vec<NewEvent>,
}

/// Where an appended event landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AppendedEvent {
    /// Its id.
    pub event_id: Uuid,
    /// Its stream.
    pub stream_id: Uuid,
    /// Its version within the stream.
    pub stream_version: i64,
    /// Its global position.
    pub global_position: i64,
    /// The transaction that wrote it.
    pub transaction_id: i64,
}

/// The result of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The events, in append order.
    pub events: Vec<AppendedEvent>,
    /// True when the command had already been applied and nothing new was written.
    pub replayed: bool,
}

struct Prepared {
    rows: Vec<Row_>,
    /// Keys created by this append for subjects that had none: (subject, wrapped, key).
    new_keys: Vec<(Uuid, Vec<u8>, SubjectKey)>,
}

struct Row_ {
    event_id: Uuid,
    stream_type: String,
    stream_id: Uuid,
    stream_version: i64,
    event_type: String,
    schema_version: i32,
    /// The sealed payload as stored: JSON text.
    payload: String,
    prev_hash: [u8; 32],
    hash: [u8; 32],
}

/// Inserts one command's rows. Appends inside a caller's transaction add a NOTIFY (delivered at
/// its commit); the pool path notifies after commit instead, through the coalescing notifier,
/// because a NOTIFY inside the transaction serialises every notifying commit of the database
/// on one lock and so defeats group commit.
const INSERT: &str = r"
WITH ins AS (
    INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type,
                        schema_version, payload, metadata, prev_hash, hash)
    SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::bigint[], $5::text[],
                         $6::int[], $7::text[]::json[], $8::text[]::json[], $9::bytea[], $10::bytea[])
    RETURNING event_id, stream_id, stream_version, global_position, transaction_id
)
SELECT ins.event_id, ins.stream_id, ins.stream_version, ins.global_position,
       ins.transaction_id::text::bigint AS transaction_id
FROM ins";

impl Store {
    /// Appends one command's events to one or more streams, atomically.
    ///
    /// Fails with [`StoreError::Conflict`] when a stream is not at its expected version. When
    /// events of this command id already exist, returns them with `replayed: true`.
    pub async fn append(&self, ctx: &CommandContext, appends: Vec<StreamAppend>) -> Result<AppendOutcome, StoreError> {
        let mut conn = self.pool().acquire().await?;
        self.append_on(&mut conn, ctx, appends, true).await
    }

    /// Like [`Store::append`], inside the caller's transaction: the events commit or roll back
    /// with it. The head cache is bypassed, since the transaction may still roll back.
    pub async fn append_in(
        &self,
        tx: &mut PgConnection,
        ctx: &CommandContext,
        appends: Vec<StreamAppend>,
    ) -> Result<AppendOutcome, StoreError> {
        self.append_on(tx, ctx, appends, false).await
    }

    async fn append_on(
        &self,
        conn: &mut PgConnection,
        ctx: &CommandContext,
        appends: Vec<StreamAppend>,
        cached: bool,
    ) -> Result<AppendOutcome, StoreError> {
        if appends.iter().all(|a| a.events.is_empty()) {
            return Err(StoreError::EmptyAppend);
        }
        let metadata = serde_json::to_value(ctx).expect("command context serialises");
        let metadata_text = metadata.to_string();
        // New subjects get their key inside the append statement itself; only when that
        // guess is wrong (the subject already has a key, or a tombstone) is it looked up.
        let mut speculative = cached;
        loop {
            let prepared = match self.prepare_rows(conn, ctx, &metadata, &appends, cached, speculative).await {
                Ok(prepared) => prepared,
                Err(err @ StoreError::Conflict { .. }) => {
                    return replay_on(conn, ctx).await?.ok_or(err);
                }
                Err(err) => return Err(err),
            };
            let rows = &prepared.rows;
            match insert(conn, rows, &metadata_text, !cached, &prepared.new_keys).await {
                Ok(events) => {
                    for (subject, _, key) in prepared.new_keys {
                        self.inner.keyring.remember(subject, key);
                    }
                    if cached {
                        for row in rows {
                            self.remember_head(row.stream_id, row.stream_version, row.hash);
                        }
                        self.appended();
                    }
                    return Ok(AppendOutcome { events, replayed: false });
                }
                Err(sqlx::Error::Database(db)) if speculative && db.constraint() == Some("subject_keys_pkey") => {
                    speculative = false;
                }
                Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23505") => {
                    // Inside a caller's transaction the failed statement aborted it: nothing more
                    // can be read on it, and the caller must roll back anyway.
                    if cached {
                        if let Some(outcome) = replay_on(conn, ctx).await? {
                            return Ok(outcome);
                        }
                    }
                    let (stream_id, expected) = conflicting_stream(db.try_downcast_ref::<PgDatabaseError>(), rows);
                    return Err(StoreError::Conflict { stream_id, expected });
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    async fn prepare_rows(
        &self,
        conn: &mut PgConnection,
        ctx: &CommandContext,
        metadata: &Value,
        appends: &[StreamAppend],
        cached: bool,
        speculative: bool,
    ) -> Result<Prepared, StoreError> {
        let prevs = self.prev_hashes(conn, appends, cached).await?;
        let metadata = canonical(metadata);
        let mut rows = Vec::new();
        let mut new_keys = Vec::new();
        for (append, mut prev) in appends.iter().zip(prevs) {
            let mut key: Option<SubjectKey> = None;
            for (offset, event) in append.events.iter().enumerate() {
                let stream_version = append.expected_version + i64::try_from(offset).expect("batch fits i64") + 1;
                let event_id = ctx.event_id(rows.len());
                let mut payload = event.payload.clone();
                if crypto::has_personal_data(&payload) {
                    if key.is_none() {
                        let subject = append.stream_id;
                        key = Some(match self.inner.keyring.cached(subject) {
                            Some(known) => known,
                            None if speculative && append.expected_version == 0 => {
                                let (fresh, wrapped) = self.inner.keyring.new_subject_key(subject);
                                new_keys.push((subject, wrapped, fresh.clone()));
                                fresh
                            }
                            None => self.subject_key(subject).await?,
                        });
                    }
                    crypto::seal(&mut payload, key.as_ref().expect("set above"), append.stream_id);
                }
                let hash = event_hash(
                    &prev,
                    &HashInput {
                        event_id,
                        stream_type: &append.stream_type,
                        stream_id: append.stream_id,
                        stream_version,
                        event_type: &event.event_type,
                        schema_version: event.schema_version,
                        payload: &payload,
                        metadata: &metadata,
                    },
                );
                rows.push(Row_ {
                    event_id,
                    stream_type: append.stream_type.clone(),
                    stream_id: append.stream_id,
                    stream_version,
                    event_type: event.event_type.clone(),
                    schema_version: event.schema_version,
                    payload: payload.to_string(),
                    prev_hash: prev,
                    hash,
                });
                prev = hash;
            }
        }
        Ok(Prepared { rows, new_keys })
    }

    /// The hash each append chains onto: from the head cache, else one query for all misses.
    async fn prev_hashes(
        &self,
        conn: &mut PgConnection,
        appends: &[StreamAppend],
        cached: bool,
    ) -> Result<Vec<[u8; 32]>, StoreError> {
        let mut out = vec![GENESIS; appends.len()];
        let mut missing = Vec::new();
        for (i, append) in appends.iter().enumerate() {
            if append.expected_version < 0 {
                return Err(StoreError::Conflict { stream_id: append.stream_id, expected: append.expected_version });
            }
            if append.expected_version == 0 {
                continue;
            }
            match self.head(append.stream_id).filter(|_| cached) {
                Some((version, hash)) if version == append.expected_version => out[i] = hash,
                _ => missing.push(i),
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let ids: Vec<Uuid> = missing.iter().map(|&i| appends[i].stream_id).collect();
        let versions: Vec<i64> = missing.iter().map(|&i| appends[i].expected_version).collect();
        let found = sqlx::query(
            "SELECT e.stream_id, e.hash FROM events e
             JOIN UNNEST($1::uuid[], $2::bigint[]) AS w(stream_id, stream_version)
               ON e.stream_id = w.stream_id AND e.stream_version = w.stream_version",
        )
        .bind(&ids)
        .bind(&versions)
        .fetch_all(&mut *conn)
        .await?;
        for i in missing {
            let append = &appends[i];
            let hash: Vec<u8> = found
                .iter()
                .find(|row| row.get::<Uuid, _>(0) == append.stream_id)
                .map(|row| row.get(1))
                .ok_or(StoreError::Conflict { stream_id: append.stream_id, expected: append.expected_version })?;
            out[i] = hash.try_into().expect("hash column holds 32 bytes (CHECK constraint)");
            // Outside a caller's transaction this is a committed event: safe to cache.
            if cached {
                self.remember_head(append.stream_id, append.expected_version, out[i]);
            }
        }
        Ok(out)
    }
}

async fn insert(
    conn: &mut PgConnection,
    rows: &[Row_],
    metadata: &str,
    notify_at_commit: bool,
    new_keys: &[(Uuid, Vec<u8>, SubjectKey)],
) -> Result<Vec<AppendedEvent>, sqlx::Error> {
    let mut sql = String::from(INSERT);
    let mut next_param = 11;
    if !new_keys.is_empty() {
        // A plain INSERT: a subject that already has a key fails the statement on
        // `subject_keys_pkey`, and the caller falls back to looking the key up.
        sql = sql.replacen(
            "WITH ins AS (",
            "WITH new_keys AS (INSERT INTO subject_keys (subject_id, wrapped_key) SELECT * FROM UNNEST($11::uuid[], $12::bytea[])), ins AS (",
            1,
        );
        next_param = 13;
    }
    if notify_at_commit {
        sql.push_str(&format!(", (SELECT pg_notify(${next_param}, '')) AS wake"));
    }
    let mut query = sqlx::query(&sql)
        .bind(rows.iter().map(|r| r.event_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.stream_type.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.stream_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.stream_version).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.event_type.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.schema_version).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.payload.as_str()).collect::<Vec<_>>())
        .bind(vec![metadata; rows.len()])
        .bind(rows.iter().map(|r| r.prev_hash.as_slice()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.hash.as_slice()).collect::<Vec<_>>());
    if !new_keys.is_empty() {
        query = query
            .bind(new_keys.iter().map(|k| k.0).collect::<Vec<_>>())
            .bind(new_keys.iter().map(|k| k.1.as_slice()).collect::<Vec<_>>());
    }
    if notify_at_commit {
        query = query.bind(EVENTS_CHANNEL);
    }
    let results = query.fetch_all(&mut *conn).await?;
    let mut events: Vec<AppendedEvent> = results.iter().map(appended_from_row).collect();
    // RETURNING does not promise input order.
    events.sort_by_key(|e| rows.iter().position(|r| r.event_id == e.event_id));
    Ok(events)
}

/// The events an earlier run of this command wrote, if any.
async fn replay_on(conn: &mut PgConnection, ctx: &CommandContext) -> Result<Option<AppendOutcome>, StoreError> {
    let rows = sqlx::query(
        "SELECT event_id, stream_id, stream_version, global_position,
                    transaction_id::text::bigint AS transaction_id
             FROM events
             WHERE transaction_id = (SELECT transaction_id FROM events WHERE event_id = $1)
               AND metadata->>'command_id' = $2
             ORDER BY global_position",
    )
    .bind(ctx.event_id(0))
    .bind(ctx.command_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(AppendOutcome { events: rows.iter().map(appended_from_row).collect(), replayed: true }))
}

impl Store {
    /// The events an earlier run of this command wrote, if any.
    pub async fn replay(&self, ctx: &CommandContext) -> Result<Option<AppendOutcome>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        replay_on(&mut conn, ctx).await
    }

    /// The subject's data key: cached, stored, or created now. Refused after erasure.
    pub(crate) async fn subject_key(&self, subject: Uuid) -> Result<SubjectKey, StoreError> {
        let keyring = &self.inner.keyring;
        if let Some(key) = keyring.cached(subject) {
            return Ok(key);
        }
        let (fresh, wrapped) = keyring.new_subject_key(subject);
        let stored: Option<Vec<u8>> = sqlx::query_scalar(
            "WITH ins AS (
                 INSERT INTO subject_keys (subject_id, wrapped_key) VALUES ($1, $2)
                 ON CONFLICT (subject_id) DO NOTHING RETURNING wrapped_key)
             SELECT wrapped_key FROM ins
             UNION ALL SELECT wrapped_key FROM subject_keys WHERE subject_id = $1
             LIMIT 1",
        )
        .bind(subject)
        .bind(&wrapped)
        .fetch_one(&self.inner.pool)
        .await?;
        let key = match stored {
            None => return Err(StoreError::SubjectErased { subject }),
            Some(stored) if stored == wrapped => fresh,
            Some(stored) => keyring.unwrap_key(subject, &stored)?,
        };
        keyring.remember(subject, key.clone());
        Ok(key)
    }
}

fn appended_from_row(row: &sqlx::postgres::PgRow) -> AppendedEvent {
    AppendedEvent {
        event_id: row.get("event_id"),
        stream_id: row.get("stream_id"),
        stream_version: row.get("stream_version"),
        global_position: row.get("global_position"),
        transaction_id: row.get("transaction_id"),
    }
}

/// Which stream lost the race: from the unique violation's detail, else the first stream.
fn conflicting_stream(db: Option<&PgDatabaseError>, rows: &[Row_]) -> (Uuid, i64) {
    let detail = db.and_then(PgDatabaseError::detail).unwrap_or_default();
    let stream = rows
        .iter()
        .find(|r| detail.contains(&r.stream_id.to_string()))
        .or_else(|| rows.first())
        .map_or(Uuid::nil(), |r| r.stream_id);
    // The first row of that stream sits right after the version the writer expected.
    let expected = rows.iter().find(|r| r.stream_id == stream).map_or(0, |r| r.stream_version - 1);
    (stream, expected)
}
