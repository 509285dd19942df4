//! ReachSpark's PostgreSQL event store: the single source of truth.
//!
//! It appends events with optimistic concurrency and idempotent command ids, keeps a hash chain
//! per stream, seals personal data with a key per subject (crypto-shredding), reads the log in a
//! gap-free global order, wakes readers through LISTEN/NOTIFY, verifies integrity, and
//! implements [`esrs::store::EventStore`] so esrs's `AggregateManager` runs the domain's
//! commands. It also launches an embedded PostgreSQL when no server is configured.
//!
//! Depends on `reachspark-domain`, sqlx and tokio; nothing here knows HTTP or GraphQL.

mod aggregate;
mod append;
mod commands;
mod crypto;
pub mod embedded;
mod error;
mod flows;
mod hash;
mod read;
mod subscribe;
pub mod testing;
mod verify;

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

pub use aggregate::AggregateStore;
pub use append::{AppendOutcome, AppendedEvent, CommandContext, NewEvent, StreamAppend};
pub use commands::{CommandBus, CommandError, CommandOutcome};
pub use crypto::MasterKey;
pub use error::StoreError;
pub use flows::Reserved;
pub use read::{Position, RawEvent, RecordedEvent};
pub use verify::{Checkpoint, Problem, ProblemKind, VerifyReport};

use crypto::Keyring;

/// The migrations in `migrations/`, shared by the binary and the tests.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// The NOTIFY channel the append path signals on.
pub const EVENTS_CHANNEL: &str = "reachspark_events";
/// The NOTIFY channel that tells every process to drop a subject's cached key.
pub const ERASURE_CHANNEL: &str = "reachspark_erasure";

const HEAD_CACHE_SIZE: usize = 65_536;

/// A handle to the event store; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    keyring: Keyring,
    /// Last known (version, hash) per stream. An entry is never wrong, only possibly old: the
    /// event at that version is immutable, and an append on an old version hits the unique key.
    heads: Mutex<LruCache<Uuid, (i64, [u8; 32])>>,
    wake: watch::Sender<u64>,
    /// Set after a committed append; the notifier task turns it into one NOTIFY.
    notify_pending: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("pool", &self.pool).finish_non_exhaustive()
    }
}

impl Store {
    /// A store on an existing pool. Starts the LISTEN task that wakes readers and evicts
    /// erased subjects' keys; call from within a tokio runtime.
    pub async fn new(pool: PgPool, master: MasterKey) -> Result<Self, StoreError> {
        let size = NonZeroUsize::new(HEAD_CACHE_SIZE).expect("cache size is not zero");
        let store = Self {
            inner: Arc::new(Inner {
                pool,
                keyring: Keyring::new(master),
                heads: Mutex::new(LruCache::new(size)),
                wake: watch::Sender::new(0),
                notify_pending: Arc::new(tokio::sync::Notify::new()),
            }),
        };
        store.start_listener().await?;
        Ok(store)
    }

    /// Connects a pool of `max_connections` to `url`, then [`Store::new`].
    pub async fn connect(url: &str, max_connections: u32, master: MasterKey) -> Result<Self, StoreError> {
        let pool = connect_pool(url, max_connections).await?;
        Self::new(pool, master).await
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.inner.pool).await?;
        Ok(())
    }

    /// The connection pool (for read models and health checks).
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// The secret that keys lead stream ids ([`reachspark_domain::identity::SubjectKey::lead_id`]).
    pub fn lead_id_secret(&self) -> [u8; 32] {
        self.inner.keyring.master().derive("lead-id")
    }

    fn head(&self, stream_id: Uuid) -> Option<(i64, [u8; 32])> {
        self.heads().get(&stream_id).copied()
    }

    fn remember_head(&self, stream_id: Uuid, version: i64, hash: [u8; 32]) {
        let mut heads = self.heads();
        match heads.get(&stream_id) {
            Some((known, _)) if *known >= version => {}
            _ => {
                heads.put(stream_id, (version, hash));
            }
        }
    }

    fn heads(&self) -> std::sync::MutexGuard<'_, LruCache<Uuid, (i64, [u8; 32])>> {
        self.inner.heads.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A pool with the settings the store expects.
pub async fn connect_pool(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    let options: PgConnectOptions =
        url.parse().map_err(|e| StoreError::Config(format!("DATABASE_URL is not a PostgreSQL URL: {e}")))?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        // No ping round trip before every query (sqlx's default): with it, a small API read
        // cost three round trips (ping, query, and the ping sqlx always sends on release) instead
        // of two (docs/BENCHMARKS.md). A connection that broke while idle fails its next query,
        // and the check on release then discards it.
        .test_before_acquire(false)
        .connect_with(options.application_name("reachspark"))
        .await?;
    Ok(pool)
}
