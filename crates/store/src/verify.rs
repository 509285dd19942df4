//! Integrity: recompute every stream's hash chain, and every checkpoint's digest.
//!
//! The chain catches a changed or removed event inside a stream. It cannot see a removed tail
//! (the remaining prefix is self-consistent), so checkpoints record, per range of the global
//! order, a digest over every event hash in it and the head (version, hash) of every stream it
//! touched; a missing head or a different digest names what was removed.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use uuid::Uuid;

use crate::hash::{canonical, event_hash, HashInput, GENESIS};
use crate::read::Position;
use crate::{Store, StoreError};

const PAGE: i64 = 5_000;

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The stored bytes do not hash to the stored hash: the event was changed.
    HashMismatch,
    /// `prev_hash` is not the previous event's hash: an event before it was changed or removed.
    BrokenLink,
    /// A version is missing inside a stream.
    VersionGap,
    /// A checkpointed stream head is gone: the stream's tail was removed.
    MissingEvent,
    /// A checkpoint's range no longer hashes to its digest.
    CheckpointMismatch,
}

/// One integrity finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What.
    pub kind: ProblemKind,
    /// The stream, when one is known.
    pub stream_id: Option<Uuid>,
    /// The stream version.
    pub stream_version: Option<i64>,
    /// The global position, when the event still exists.
    pub global_position: Option<i64>,
    /// The checkpoint, for checkpoint findings.
    pub checkpoint_id: Option<i64>,
    /// A sentence for a person.
    pub detail: String,
}

/// The result of [`Store::verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Streams checked.
    pub streams: u64,
    /// Events checked.
    pub events: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// Findings; empty means intact.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// Whether nothing was found.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A recorded checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    /// Its id.
    pub checkpoint_id: i64,
    /// The last position it covers.
    pub upto: Position,
    /// Events in its range.
    pub event_count: i64,
}

struct Link {
    stream_id: Uuid,
    version: i64,
    hash: [u8; 32],
}

impl Store {
    /// Recomputes every hash chain and checkpoint.
    pub async fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        self.verify_chains(&mut report).await?;
        self.verify_checkpoints(&mut report).await?;
        Ok(report)
    }

    async fn verify_chains(&self, report: &mut VerifyReport) -> Result<(), StoreError> {
        let mut last: Option<Link> = None;
        let mut after = (Uuid::nil(), 0_i64);
        loop {
            let rows = sqlx::query(
                "SELECT global_position, event_id, stream_type, stream_id, stream_version, event_type,
                        schema_version, payload, metadata, prev_hash, hash
                 FROM events WHERE (stream_id, stream_version) > ($1, $2)
                 ORDER BY stream_id, stream_version LIMIT $3",
            )
            .bind(after.0)
            .bind(after.1)
            .bind(PAGE)
            .fetch_all(self.pool())
            .await?;
            let Some(tail) = rows.last() else { break };
            after = (tail.get("stream_id"), tail.get("stream_version"));
            for row in &rows {
                let stream_id: Uuid = row.get("stream_id");
                let version: i64 = row.get("stream_version");
                let position: i64 = row.get("global_position");
                let stored: [u8; 32] = to_hash(row.get("hash"));
                let prev_stored: [u8; 32] = to_hash(row.get("prev_hash"));
                let (expected_version, expected_prev) = match &last {
                    Some(link) if link.stream_id == stream_id => (link.version + 1, link.hash),
                    _ => {
                        report.streams += 1;
                        (1, GENESIS)
                    }
                };
                report.events += 1;
                let problem = |kind, detail: String| Problem {
                    kind,
                    stream_id: Some(stream_id),
                    stream_version: Some(version),
                    global_position: Some(position),
                    checkpoint_id: None,
                    detail,
                };
                if version != expected_version {
                    report.problems.push(problem(
                        ProblemKind::VersionGap,
                        format!("stream {stream_id}: expected version {expected_version}, found {version} at position {position}"),
                    ));
                } else if prev_stored != expected_prev {
                    report.problems.push(problem(
                        ProblemKind::BrokenLink,
                        format!("stream {stream_id} version {version} (position {position}) does not link to the event before it"),
                    ));
                }
                let payload: serde_json::Value = row.get("payload");
                let metadata: serde_json::Value = row.get("metadata");
                let recomputed = event_hash(
                    &prev_stored,
                    &HashInput {
                        event_id: row.get("event_id"),
                        stream_type: row.get("stream_type"),
                        stream_id,
                        stream_version: version,
                        event_type: row.get("event_type"),
                        schema_version: row.get("schema_version"),
                        payload: &payload,
                        metadata: &canonical(&metadata),
                    },
                );
                if recomputed != stored {
                    report.problems.push(problem(
                        ProblemKind::HashMismatch,
                        format!("stream {stream_id} version {version} (position {position}) was altered: its content does not match its hash"),
                    ));
                }
                last = Some(Link { stream_id, version, hash: stored });
            }
        }
        Ok(())
    }

    async fn verify_checkpoints(&self, report: &mut VerifyReport) -> Result<(), StoreError> {
        let checkpoints = sqlx::query(
            "SELECT checkpoint_id, after_transaction_id::text::bigint AS after_tx, after_position,
                    upto_transaction_id::text::bigint AS upto_tx, upto_position, event_count, heads,
                    prev_digest, digest
             FROM audit_checkpoints ORDER BY checkpoint_id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut prev_digest = GENESIS;
        for cp in &checkpoints {
            report.checkpoints += 1;
            let id: i64 = cp.get("checkpoint_id");
            let after = Position { transaction_id: cp.get("after_tx"), global_position: cp.get("after_position") };
            let upto = Position { transaction_id: cp.get("upto_tx"), global_position: cp.get("upto_position") };
            let problem = |kind, stream_id, stream_version, detail| Problem {
                kind,
                stream_id,
                stream_version,
                global_position: None,
                checkpoint_id: Some(id),
                detail,
            };
            let stored_prev = to_hash(cp.get("prev_digest"));
            if stored_prev != prev_digest {
                report.problems.push(problem(
                    ProblemKind::CheckpointMismatch,
                    None,
                    None,
                    format!("checkpoint {id} does not chain to the checkpoint before it"),
                ));
            }
            let heads: BTreeMap<Uuid, (i64, String)> = serde_json::from_value(cp.get("heads")).unwrap_or_default();
            for (stream_id, (version, hash)) in &heads {
                let found: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT hash FROM events WHERE stream_id = $1 AND stream_version = $2")
                        .bind(stream_id)
                        .bind(version)
                        .fetch_optional(self.pool())
                        .await?;
                match found {
                    None => report.problems.push(problem(
                        ProblemKind::MissingEvent,
                        Some(*stream_id),
                        Some(*version),
                        format!("stream {stream_id} version {version}, recorded by checkpoint {id}, is missing: the stream's tail was removed"),
                    )),
                    Some(h) if hex::encode(&h) != *hash => report.problems.push(problem(
                        ProblemKind::CheckpointMismatch,
                        Some(*stream_id),
                        Some(*version),
                        format!("stream {stream_id} version {version} has another hash than checkpoint {id} recorded"),
                    )),
                    Some(_) => {}
                }
            }
            let (digest, count, _) = self.range_digest(prev_digest, after, Some(upto)).await?;
            let stored_digest = to_hash(cp.get("digest"));
            let stored_count: i64 = cp.get("event_count");
            if digest.0 != stored_digest || count != stored_count {
                report.problems.push(problem(
                    ProblemKind::CheckpointMismatch,
                    None,
                    None,
                    format!("checkpoint {id} covered {stored_count} events up to position {upto}; {count} remain and their digest differs"),
                ));
            }
            prev_digest = stored_digest;
        }
        Ok(())
    }

    /// Records a checkpoint over everything appended since the last one. Returns `None` when
    /// nothing new was appended. Concurrent callers serialise on an advisory lock.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('reachspark.audit_checkpoint'))").execute(&mut *tx).await?;
        let last = sqlx::query(
            "SELECT upto_transaction_id::text::bigint AS tx, upto_position, digest
             FROM audit_checkpoints ORDER BY checkpoint_id DESC LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let (after, prev_digest) = last.map_or((Position::START, GENESIS), |r| {
            (
                Position { transaction_id: r.get("tx"), global_position: r.get("upto_position") },
                to_hash(r.get("digest")),
            )
        });
        let ((digest, upto), count, heads) = self.range_digest(prev_digest, after, None).await?;
        if count == 0 {
            return Ok(None);
        }
        let heads: BTreeMap<Uuid, (i64, String)> =
            heads.into_iter().map(|(s, (v, h))| (s, (v, hex::encode(h)))).collect();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO audit_checkpoints (after_transaction_id, after_position, upto_transaction_id, upto_position,
                                            event_count, heads, prev_digest, digest)
             VALUES ($1::text::xid8, $2, $3::text::xid8, $4, $5, $6, $7, $8) RETURNING checkpoint_id",
        )
        .bind(after.transaction_id.to_string())
        .bind(after.global_position)
        .bind(upto.transaction_id.to_string())
        .bind(upto.global_position)
        .bind(count)
        .bind(serde_json::to_value(&heads).expect("heads serialise"))
        .bind(prev_digest.as_slice())
        .bind(digest.as_slice())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(Checkpoint { checkpoint_id: id, upto, event_count: count }))
    }

    /// Digest over (position, hash) of the events in `(after, upto]` in the gap-free order.
    #[allow(clippy::type_complexity)]
    async fn range_digest(
        &self,
        prev: [u8; 32],
        after: Position,
        upto: Option<Position>,
    ) -> Result<(([u8; 32], Position), i64, BTreeMap<Uuid, (i64, [u8; 32])>), StoreError> {
        let mut hasher = Sha256::new();
        hasher.update(prev);
        let mut cursor = after;
        let mut count = 0;
        let mut heads = BTreeMap::new();
        let bound = upto.unwrap_or(Position { transaction_id: i64::MAX, global_position: i64::MAX });
        loop {
            let rows = sqlx::query(
                "SELECT transaction_id::text::bigint AS tx, global_position, stream_id, stream_version, hash FROM events
                 WHERE (transaction_id, global_position) > ($1::text::xid8, $2)
                   AND (transaction_id, global_position) <= ($3::text::xid8, $4)
                   AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                 ORDER BY transaction_id, global_position LIMIT $5",
            )
            .bind(cursor.transaction_id.to_string())
            .bind(cursor.global_position)
            .bind(bound.transaction_id.to_string())
            .bind(bound.global_position)
            .bind(PAGE)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let hash = to_hash(row.get("hash"));
                cursor = Position { transaction_id: row.get("tx"), global_position: row.get("global_position") };
                hasher.update(cursor.global_position.to_be_bytes());
                hasher.update(hash);
                count += 1;
                let stream: Uuid = row.get("stream_id");
                let version: i64 = row.get("stream_version");
                let head = heads.entry(stream).or_insert((version, hash));
                if version >= head.0 {
                    *head = (version, hash);
                }
            }
        }
        Ok(((hasher.finalize().into(), cursor), count, heads))
    }
}

fn to_hash(bytes: Vec<u8>) -> [u8; 32] {
    bytes.try_into().unwrap_or([0xff; 32])
}
