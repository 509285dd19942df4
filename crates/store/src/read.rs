//! Reading the log: one stream in version order, or everything in a gap-free global order.
//!
//! The global reader returns only events whose transaction is older than the oldest one still
//! running (`pg_snapshot_xmin(pg_current_snapshot())`) and pages on
//! `(transaction_id, global_position)`. Identity values are handed out before commit, so a
//! plain `global_position > last` reader can pass over an event whose transaction commits late;
//! this one cannot, because every transaction it has not yet seen has an id at or above the
//! barrier, and so above its cursor.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use foldhash::{HashMap, HashMapExt as _, HashSet};
use reachspark_domain::DomainEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgConnection, PgRow};
use sqlx::Row;
use uuid::Uuid;

use crate::crypto::{self, SubjectKey};
use crate::{Store, StoreError};

/// A cursor in the global order. Compare and persist both parts; the global position alone
/// is not a safe cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    /// The writing transaction's id (`xid8`).
    pub transaction_id: i64,
    /// The event's global position.
    pub global_position: i64,
}

impl Position {
    /// Before the first event.
    pub const START: Self = Self { transaction_id: 0, global_position: 0 };
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.transaction_id, self.global_position)
    }
}

impl FromStr for Position {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || StoreError::Config(format!("not a position (expected TRANSACTION:POSITION): {s}"));
        let (tx, pos) = s.split_once(':').ok_or_else(bad)?;
        Ok(Self { transaction_id: tx.parse().map_err(|_| bad())?, global_position: pos.parse().map_err(|_| bad())? })
    }
}

/// An event as stored, with its personal data opened (or `{"$pii": null}` after erasure).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedEvent {
    /// Global position.
    pub global_position: i64,
    /// Writing transaction id.
    pub transaction_id: i64,
    /// Event id.
    pub event_id: Uuid,
    /// Stream type.
    pub stream_type: String,
    /// Stream id.
    pub stream_id: Uuid,
    /// Version within the stream.
    pub stream_version: i64,
    /// Persisted type name.
    pub event_type: String,
    /// Schema version it was stored at.
    pub schema_version: i32,
    /// The payload, opened.
    pub payload: Value,
    /// The command context it was written with.
    pub metadata: Value,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl RecordedEvent {
    /// Its cursor in the global order.
    pub fn position(&self) -> Position {
        Position { transaction_id: self.transaction_id, global_position: self.global_position }
    }

    /// The domain event, upcast from its stored schema version.
    pub fn decode<E: DomainEvent>(&self) -> Result<E, StoreError> {
        let decode_err = |reason: String| StoreError::Decode {
            event_id: self.event_id,
            event_type: self.event_type.clone(),
            schema_version: self.schema_version,
            reason,
        };
        // A payload at the current version is read in place; an older one is upcast first.
        let upcast;
        let payload = if self.schema_version == E::schema_version(&self.event_type) {
            &self.payload
        } else {
            upcast = E::upcast(&self.event_type, self.schema_version, self.payload.clone())
                .map_err(|e| decode_err(e.to_string()))?;
            &upcast
        };
        // `type` first: read from a JSON object (keys sorted, so `data` would come first) the
        // adjacently tagged enum would have to buffer the whole payload before picking a variant.
        let type_name = Value::from(self.event_type.as_str());
        let (type_key, data_key) = (Value::from("type"), Value::from("data"));
        let fields = [(&type_key, &type_name), (&data_key, payload)];
        E::deserialize(serde::de::value::MapDeserializer::<_, serde_json::Error>::new(fields.into_iter()))
            .map_err(|e| decode_err(e.to_string()))
    }
}

/// An event as stored, its payload and metadata still JSON text (personal data opened, or
/// `{"$pii": null}` after erasure). Readers that decode straight into domain types (the
/// projections, aggregates) use it and never build a `serde_json::Value`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    /// Global position.
    pub global_position: i64,
    /// Writing transaction id.
    pub transaction_id: i64,
    /// Event id.
    pub event_id: Uuid,
    /// Stream type.
    pub stream_type: String,
    /// Stream id.
    pub stream_id: Uuid,
    /// Version within the stream.
    pub stream_version: i64,
    /// Persisted type name.
    pub event_type: String,
    /// Schema version it was stored at.
    pub schema_version: i32,
    /// The payload as JSON text, opened.
    pub payload: String,
    /// The command context it was written with, as JSON text.
    pub metadata: String,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl RawEvent {
    /// Its cursor in the global order.
    pub fn position(&self) -> Position {
        Position { transaction_id: self.transaction_id, global_position: self.global_position }
    }

    fn decode_error(&self, reason: String) -> StoreError {
        StoreError::Decode {
            event_id: self.event_id,
            event_type: self.event_type.clone(),
            schema_version: self.schema_version,
            reason,
        }
    }

    /// The domain event, decoded from the text (upcast first when stored at an older version).
    pub fn decode<E: DomainEvent>(&self) -> Result<E, StoreError> {
        if self.schema_version != E::schema_version(&self.event_type) {
            return self.clone().parse()?.decode();
        }
        // Adjacently tagged, `type` first: the enum picks its variant before reading `data`,
        // which is parsed where it lies (no copy of the payload wrapped in a tagged object).
        let mut data = serde_json::Deserializer::from_str(&self.payload);
        let tagged = Tagged { event_type: &self.event_type, data: &mut data, next: 0 };
        let event = E::deserialize(serde::de::value::MapAccessDeserializer::new(tagged))
            .and_then(|event| data.end().map(|()| event))
            .map_err(|e| self.decode_error(e.to_string()))?;
        Ok(event)
    }

    /// The same event with its payload and metadata parsed.
    pub fn parse(self) -> Result<RecordedEvent, StoreError> {
        let payload = serde_json::from_str(&self.payload).map_err(|e| self.decode_error(format!("payload: {e}")))?;
        let metadata = serde_json::from_str(&self.metadata).map_err(|e| self.decode_error(format!("metadata: {e}")))?;
        Ok(RecordedEvent {
            global_position: self.global_position,
            transaction_id: self.transaction_id,
            event_id: self.event_id,
            stream_type: self.stream_type,
            stream_id: self.stream_id,
            stream_version: self.stream_version,
            event_type: self.event_type,
            schema_version: self.schema_version,
            payload,
            metadata,
            recorded_at: self.recorded_at,
        })
    }
}

/// An event as the map `{"type": event_type, "data": payload}` that its adjacently tagged enum
/// reads, with the payload deserialized in place.
struct Tagged<'a, 'de> {
    event_type: &'de str,
    data: &'a mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
    /// Entries given so far.
    next: u8,
}

impl<'de> serde::de::MapAccess<'de> for Tagged<'_, 'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Self::Error> {
        let key = match self.next {
            0 => "type",
            1 => "data",
            _ => return Ok(None),
        };
        seed.deserialize(serde::de::value::BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Self::Error> {
        self.next += 1;
        if self.next == 1 {
            seed.deserialize(serde::de::value::BorrowedStrDeserializer::new(self.event_type))
        } else {
            seed.deserialize(&mut *self.data)
        }
    }
}

pub(crate) const COLUMNS: &str = "events.global_position, events.transaction_id, event_id, stream_type, stream_id, \
     stream_version, event_type, schema_version, payload, metadata, recorded_at";

/// The gap-free global order after `$1` (a transaction id as text) and `$2`, `$3` events at
/// most. The order is the table's columns' (an output alias of the same name would sort on
/// the expression instead and lose the index), so the server walks
/// `events_transaction_order_idx` and returns rows as it finds them, with no sort.
static GLOBAL_ORDER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS} FROM events
         WHERE (events.transaction_id, events.global_position) > ($1::text::xid8, $2)
           AND events.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY events.transaction_id, events.global_position
         LIMIT $3"
    )
});

/// Up to `limit` events after `after`, in [`GLOBAL_ORDER`].
fn global_order(after: Position, limit: i64) -> sqlx::query::Query<'static, sqlx::Postgres, PgArguments> {
    sqlx::query(GLOBAL_ORDER.as_str()).bind(after.transaction_id.to_string()).bind(after.global_position).bind(limit)
}

/// [`global_order`]'s rows as the server sends them. (Boxed: inside a generator the executor's
/// lifetime would not be general enough for `Send`.)
fn global_order_rows(
    conn: &mut PgConnection,
    after: Position,
    limit: i64,
) -> futures::stream::BoxStream<'_, Result<PgRow, sqlx::Error>> {
    global_order(after, limit).fetch(conn)
}

/// A row selected with [`COLUMNS`] (by position), payload and metadata still sealed. The
/// columns' types are the table's, fixed by [`COLUMNS`], so they are decoded without checking
/// each one's type again (a decoder still refuses a value of the wrong size).
pub(crate) fn raw_from_row(row: &PgRow) -> Result<RawEvent, StoreError> {
    Ok(RawEvent {
        global_position: row.try_get_unchecked(0)?,
        transaction_id: xid8(row, 1)?,
        event_id: row.try_get_unchecked(2)?,
        stream_type: row.try_get_unchecked(3)?,
        stream_id: row.try_get_unchecked(4)?,
        stream_version: row.try_get_unchecked(5)?,
        event_type: row.try_get_unchecked(6)?,
        schema_version: row.try_get_unchecked(7)?,
        payload: json_text(row, 8)?,
        metadata: json_text(row, 9)?,
        recorded_at: row.try_get_unchecked(10)?,
    })
}

/// An `xid8` column, read in its binary form (eight bytes, big-endian) rather than converted
/// to text and back on the server for every row.
fn xid8(row: &PgRow, index: usize) -> Result<i64, StoreError> {
    let bytes = row.try_get_raw(index)?.as_bytes().map_err(|e| StoreError::Database(sqlx::Error::Decode(e)))?;
    let bytes = <[u8; 8]>::try_from(bytes)
        .map_err(|_| StoreError::Database(sqlx::Error::Decode(format!("xid8 of {} bytes", bytes.len()).into())))?;
    // Transaction ids stay far below 2^63 (a server would need to run ~300 years at 10^9 per second).
    Ok(i64::from_be_bytes(bytes))
}

/// A `json` column's text as it is stored: no parse. (`jsonb`, the format before migration 0003,
/// is sent as a version byte and its text.)
fn json_text(row: &PgRow, index: usize) -> Result<String, StoreError> {
    use sqlx::{TypeInfo as _, ValueRef as _};
    let value = row.try_get_raw(index)?;
    let jsonb = value.type_info().name() == "JSONB";
    let bytes = value.as_bytes().map_err(|e| StoreError::Database(sqlx::Error::Decode(e)))?;
    let text = if jsonb { bytes.get(1..).unwrap_or_default() } else { bytes };
    String::from_utf8(text.to_vec()).map_err(|e| StoreError::Database(sqlx::Error::Decode(e.into())))
}

impl Store {
    /// One stream's events from `after_version` on, in version order.
    pub async fn read_stream(&self, stream_id: Uuid, after_version: i64) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_stream_raw(stream_id, after_version).await?.into_iter().map(RawEvent::parse).collect()
    }

    /// Like [`Store::read_stream`], the payloads left as text (for decoding into domain types).
    pub async fn read_stream_raw(&self, stream_id: Uuid, after_version: i64) -> Result<Vec<RawEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, hash FROM events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version"
        ))
        .bind(stream_id)
        .bind(after_version)
        .fetch_all(self.pool())
        .await?;
        if let Some(last) = rows.last() {
            let hash: Vec<u8> = last.get("hash");
            if let Ok(hash) = <[u8; 32]>::try_from(hash) {
                self.remember_head(stream_id, last.get("stream_version"), hash);
            }
        }
        let events = rows.iter().map(raw_from_row).collect::<Result<_, _>>()?;
        self.open_personal_data(events).await
    }

    /// The event with this id, opened; `None` when there is none.
    pub async fn read_event(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM events WHERE event_id = $1"))
            .bind(event_id)
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(row) => {
                self.open_personal_data(vec![raw_from_row(&row)?]).await?.pop().map(RawEvent::parse).transpose()
            }
            None => Ok(None),
        }
    }

    /// Up to `limit` events after `after` in the gap-free global order, opened.
    pub async fn read_all(&self, after: Position, limit: i64) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_all_raw(after, limit).await?.into_iter().map(RawEvent::parse).collect()
    }

    /// Like [`Store::read_all`], the payloads left as text (for decoding into domain types).
    pub async fn read_all_raw(&self, after: Position, limit: i64) -> Result<Vec<RawEvent>, StoreError> {
        let sealed = self.read_all_sealed(after, limit).await?;
        self.open_personal_data(sealed).await
    }

    /// Like [`Store::read_all_raw`] but leaves personal data sealed (for integrity checks and copies).
    pub async fn read_all_sealed(&self, after: Position, limit: i64) -> Result<Vec<RawEvent>, StoreError> {
        let rows = global_order(after, limit).fetch_all(self.pool()).await?;
        rows.iter().map(raw_from_row).collect()
    }

    /// Like [`Store::read_all_sealed`], the events handed over as the server produces them
    /// rather than collected first: one statement (one snapshot) for up to `limit` events, so
    /// a long read such as a rebuild costs one walk of the index instead of a query per page.
    pub fn stream_all_sealed(
        &self,
        after: Position,
        limit: i64,
    ) -> impl futures::Stream<Item = Result<RawEvent, StoreError>> + Send + '_ {
        async_stream::try_stream! {
            use futures::StreamExt as _;
            let mut tx = self.pool().begin().await?;
            // With a large limit the planner prefers a bitmap scan of every event after the
            // cursor and a sort of them all (on disk), then keeps `limit`: each run of a rebuild
            // read the rest of the log again. The index is already in this order.
            sqlx::query(
                "SELECT set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true),
                        set_config('jit', 'off', true)",
            )
            .execute(&mut *tx)
            .await?;
            let mut rows = global_order_rows(&mut tx, after, limit);
            while let Some(row) = rows.next().await {
                yield raw_from_row(&row?)?;
            }
            drop(rows);
            tx.commit().await?;
        }
    }

    /// The last position a gap-free reader can reach now (the head of the log).
    pub async fn head_position(&self) -> Result<Position, StoreError> {
        let row = sqlx::query(
            "SELECT transaction_id::text::bigint AS tx, global_position FROM events
             WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map_or(Position::START, |r| Position {
            transaction_id: r.get("tx"),
            global_position: r.get("global_position"),
        }))
    }

    /// Opens the personal data of events read with [`Store::read_all_sealed`], fetching the
    /// keys the batch needs in one query.
    pub async fn open_personal_data(&self, mut events: Vec<RawEvent>) -> Result<Vec<RawEvent>, StoreError> {
        let subjects: HashSet<Uuid> =
            events.iter().filter(|e| crypto::has_sealed_text(&e.payload)).map(|e| e.stream_id).collect();
        if subjects.is_empty() {
            return Ok(events);
        }
        let keys = self.subject_keys(subjects).await?;
        for event in &mut events {
            if let Some(opened) = crypto::open_text(&event.payload, keys.get(&event.stream_id), event.stream_id) {
                event.payload = opened;
            }
        }
        Ok(events)
    }

    /// The live keys of these subjects; erased subjects are absent.
    async fn subject_keys(&self, subjects: HashSet<Uuid>) -> Result<HashMap<Uuid, SubjectKey>, StoreError> {
        let keyring = &self.inner.keyring;
        let mut keys = HashMap::new();
        let mut missing = Vec::new();
        for subject in subjects {
            match keyring.cached(subject) {
                Some(key) => {
                    keys.insert(subject, key);
                }
                None => missing.push(subject),
            }
        }
        if !missing.is_empty() {
            let rows = sqlx::query(
                "SELECT subject_id, wrapped_key FROM subject_keys
                 WHERE subject_id = ANY($1) AND wrapped_key IS NOT NULL",
            )
            .bind(&missing)
            .fetch_all(self.pool())
            .await?;
            for row in rows {
                let subject: Uuid = row.get(0);
                let wrapped: Vec<u8> = row.get(1);
                let key = keyring.unwrap_key(subject, &wrapped)?;
                keyring.remember(subject, key.clone());
                keys.insert(subject, key);
            }
        }
        Ok(keys)
    }
}
