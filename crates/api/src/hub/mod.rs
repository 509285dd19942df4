//! The subscription hub: one task per server follows the log in the gap-free order and hands
//! each batch of events to the subscribers that want it, so ten thousand subscribers cost one
//! reader of the database, not ten thousand.
//!
//! Subscribers register a [`Route`]: everything, or one stream. Stream routes are indexed, so
//! an event wakes only the subscribers of its own stream (`leadChanged(id)`, `events` filtered
//! on a `streamId`), not every open socket. Each subscriber has a bounded channel; one that does
//! not keep up is dropped from the routes rather than slowing the others or losing events in
//! silence: its [`Follower`] notices the closed channel, reads what it missed from the store
//! and registers again (see `follow.rs` for the seam).

mod follow;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use reachspark_store::{Position, RecordedEvent, Store, StoreError};
use tokio::sync::{mpsc, OnceCell};
use uuid::Uuid;

pub use follow::Follower;

/// Consecutive events of the log, in order, as the hub hands them out (personal data opened:
/// each subscription masks for its own caller).
pub type Batch = Arc<[Arc<RecordedEvent>]>;

/// How long the hub waits for a wake-up before it looks at the log anyway.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// After a wake-up that found nothing visible yet (an older transaction still running holds
/// the gap-free barrier), look again this soon rather than after [`IDLE_POLL`].
const BARRIER_RETRY: Duration = Duration::from_millis(5);
/// How many quick looks follow a wake-up before the hub falls back to [`IDLE_POLL`].
const BARRIER_RETRIES: u32 = 20;

/// Which events a subscriber receives from the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// Every event.
    All,
    /// The events of one stream.
    Stream(Uuid),
}

impl Route {
    /// Whether `event` travels on this route.
    pub fn carries(self, event: &RecordedEvent) -> bool {
        match self {
            Self::All => true,
            Self::Stream(id) => event.stream_id == id,
        }
    }
}

/// Sizes of the hub's work. A subscriber holds at most `buffer` batches of at most `batch`
/// events; batches are shared, so all subscribers together hold at most that much history
/// (live batches are a few events each; full ones only come with bulk appends).
#[derive(Debug, Clone, Copy)]
pub struct HubConfig {
    /// Events per read of the log (the hub's and a catching-up subscriber's).
    pub batch: i64,
    /// Batches a subscriber may have waiting before it is dropped to catch up from the store.
    pub buffer: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self { batch: 500, buffer: 128 }
    }
}

/// A handle to the hub; cheap to clone. The reading task starts with the first subscriber and
/// stops once every handle is gone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

struct Inner {
    store: Store,
    config: HubConfig,
    started: OnceCell<()>,
    routes: Mutex<Routes>,
}

#[derive(Default)]
struct Routes {
    /// The last event handed out; a new subscriber receives everything after it.
    head: Position,
    next_id: u64,
    all: HashMap<u64, mpsc::Sender<Batch>>,
    streams: HashMap<Uuid, HashMap<u64, mpsc::Sender<Batch>>>,
}

/// A registration with the hub: the batches on one route after the head it was registered at.
/// Dropping it unregisters.
pub(crate) struct Tap {
    id: u64,
    route: Route,
    pub(crate) rx: mpsc::Receiver<Batch>,
    hub: Weak<Inner>,
}

impl Drop for Tap {
    fn drop(&mut self) {
        if let Some(inner) = self.hub.upgrade() {
            inner.routes().remove(self.id, self.route);
        }
    }
}

impl Hub {
    /// A hub over `store` with the default sizes.
    pub fn new(store: Store) -> Self {
        Self::with_config(store, HubConfig::default())
    }

    /// A hub over `store` with `config`.
    pub fn with_config(store: Store, config: HubConfig) -> Self {
        let inner = Inner { store, config, started: OnceCell::new(), routes: Mutex::new(Routes::default()) };
        Self { inner: Arc::new(inner) }
    }

    /// The store it reads.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Its sizes.
    pub fn config(&self) -> HubConfig {
        self.inner.config
    }

    /// How many subscribers are registered now (lagging ones catching up from the store are not).
    pub fn subscribers(&self) -> usize {
        let routes = self.inner.routes();
        routes.all.len() + routes.streams.values().map(HashMap::len).sum::<usize>()
    }

    /// Registers on `route`: the tap receives every batch on it after the returned head.
    pub(crate) async fn tap(&self, route: Route) -> Result<(Tap, Position), StoreError> {
        self.inner
            .started
            .get_or_try_init(|| async {
                let head = self.inner.store.head_position().await?;
                self.inner.routes().head = head;
                let wake = self.inner.store.notifications();
                tokio::spawn(run(Arc::downgrade(&self.inner), self.inner.store.clone(), head, wake));
                Ok::<_, StoreError>(())
            })
            .await?;
        let (tx, rx) = mpsc::channel(self.inner.config.buffer.max(1));
        let mut routes = self.inner.routes();
        let id = routes.next_id;
        routes.next_id += 1;
        match route {
            Route::All => routes.all.insert(id, tx),
            Route::Stream(stream) => routes.streams.entry(stream).or_default().insert(id, tx),
        };
        let head = routes.head;
        drop(routes);
        Ok((Tap { id, route, rx, hub: Arc::downgrade(&self.inner) }, head))
    }
}

impl Inner {
    fn routes(&self) -> MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands a batch to every subscriber it concerns. A subscriber whose channel is full (or
    /// gone) is dropped from the routes; it catches up from the store on its own.
    fn publish(&self, events: Vec<RecordedEvent>) {
        let Some(last) = events.last().map(RecordedEvent::position) else { return };
        let events: Vec<Arc<RecordedEvent>> = events.into_iter().map(Arc::new).collect();
        let mut routes = self.routes();
        let mut dropped = 0_usize;
        if !routes.all.is_empty() {
            let batch: Batch = events.clone().into();
            let before = routes.all.len();
            routes.all.retain(|_, tx| tx.try_send(Arc::clone(&batch)).is_ok());
            dropped += before - routes.all.len();
        }
        if !routes.streams.is_empty() {
            let mut per_stream: HashMap<Uuid, Vec<Arc<RecordedEvent>>> = HashMap::new();
            for event in &events {
                if routes.streams.contains_key(&event.stream_id) {
                    per_stream.entry(event.stream_id).or_default().push(Arc::clone(event));
                }
            }
            for (stream, events) in per_stream {
                let batch: Batch = events.into();
                if let Some(subscribers) = routes.streams.get_mut(&stream) {
                    let before = subscribers.len();
                    subscribers.retain(|_, tx| tx.try_send(Arc::clone(&batch)).is_ok());
                    dropped += before - subscribers.len();
                    if subscribers.is_empty() {
                        routes.streams.remove(&stream);
                    }
                }
            }
        }
        routes.head = last;
        drop(routes);
        if dropped > 0 {
            tracing::debug!(subscribers = dropped, "subscribers fell behind the hub; they catch up from the store");
        }
    }
}

impl Routes {
    fn remove(&mut self, id: u64, route: Route) {
        match route {
            Route::All => {
                self.all.remove(&id);
            }
            Route::Stream(stream) => {
                if let Some(subscribers) = self.streams.get_mut(&stream) {
                    subscribers.remove(&id);
                    if subscribers.is_empty() {
                        self.streams.remove(&stream);
                    }
                }
            }
        }
    }
}

/// The hub's reader: the log after `cursor`, batch by batch, woken by the store's notifications
/// and polling as a fallback. Ends once the hub is dropped.
async fn run(hub: Weak<Inner>, store: Store, mut cursor: Position, mut wake: tokio::sync::watch::Receiver<u64>) {
    let mut failures = 0_u32;
    let mut retries = 0_u32;
    loop {
        let Some(inner) = hub.upgrade() else { return };
        wake.borrow_and_update();
        let wait = match store.read_all(cursor, inner.config.batch).await {
            Ok(events) if !events.is_empty() => {
                failures = 0;
                let full = i64::try_from(events.len()).unwrap_or(i64::MAX) >= inner.config.batch;
                cursor = events.last().map_or(cursor, RecordedEvent::position);
                inner.publish(events);
                if full {
                    continue;
                }
                IDLE_POLL
            }
            Ok(_) if retries > 0 => {
                retries -= 1;
                BARRIER_RETRY
            }
            Ok(_) => IDLE_POLL,
            Err(err) => {
                failures = failures.saturating_add(1);
                tracing::warn!(error = %err, failures, "the subscription hub could not read the log; retrying");
                Duration::from_millis(100 * u64::from(failures.min(50)))
            }
        };
        drop(inner);
        if tokio::time::timeout(wait, wake.changed()).await.is_ok_and(|changed| changed.is_ok()) {
            retries = BARRIER_RETRIES;
        }
    }
}
