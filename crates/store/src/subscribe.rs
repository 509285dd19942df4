//! Waking readers and forgetting erased keys: one LISTEN connection per [`Store`].
//!
//! The append statement NOTIFYs [`EVENTS_CHANNEL`] at commit; readers wait on a watch channel
//! that the listener bumps, and poll every [`POLL_INTERVAL`] as a fallback (a NOTIFY can be
//! lost while the listener reconnects, and a reader held back by the snapshot barrier needs
//! another look once the older transaction ends).

use std::collections::VecDeque;
use std::sync::Weak;
use std::time::Duration;

use futures::Stream;
use sqlx::postgres::PgListener;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::read::{Position, RecordedEvent};
use crate::{Inner, Store, StoreError, ERASURE_CHANNEL, EVENTS_CHANNEL};

/// How often a waiting reader looks again without a notification.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// At most one cross-process NOTIFY per this interval: readers in other processes learn of an
/// append at most this much later, and a busy writer sends a few hundred NOTIFYs a second
/// instead of one per append.
const NOTIFY_INTERVAL: Duration = Duration::from_millis(5);

impl Store {
    pub(crate) async fn start_listener(&self) -> Result<(), StoreError> {
        let mut listener = PgListener::connect_with(self.pool()).await?;
        listener.listen_all([EVENTS_CHANNEL, ERASURE_CHANNEL]).await?;
        let weak = std::sync::Arc::downgrade(&self.inner);
        tokio::spawn(listen(listener, weak.clone()));
        tokio::spawn(notify_after_commit(weak));
        Ok(())
    }

    /// Called after a committed append on the pool path: wakes this process's readers at once,
    /// and asks the notifier to tell the other processes.
    pub(crate) fn appended(&self) {
        self.inner.wake.send_modify(|n| *n = n.wrapping_add(1));
        self.inner.notify_pending.notify_one();
    }

    /// Erases a subject's personal data everywhere: destroys its data key (keeping a tombstone
    /// so none can be written again) and tells every process to drop its cached copy.
    pub async fn shred_subject_key(&self, subject: Uuid) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        self.shred_subject_key_in(&mut conn, subject).await
    }

    /// [`Store::shred_subject_key`] inside the caller's transaction, so the erasure event and
    /// the key's destruction commit together. Other processes forget the key at commit.
    pub async fn shred_subject_key_in(&self, tx: &mut PgConnection, subject: Uuid) -> Result<(), StoreError> {
        sqlx::query(
            "WITH shred AS (
                 INSERT INTO subject_keys (subject_id, wrapped_key, erased_at) VALUES ($1, NULL, now())
                 ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL, erased_at = coalesce(subject_keys.erased_at, now())
                 RETURNING subject_id)
             SELECT pg_notify($2, $1::text) FROM shred",
        )
        .bind(subject)
        .bind(ERASURE_CHANNEL)
        .execute(&mut *tx)
        .await?;
        self.inner.keyring.forget(subject);
        Ok(())
    }

    /// Whether a subject's data key was destroyed.
    pub async fn is_erased(&self, subject: Uuid) -> Result<bool, StoreError> {
        let erased: Option<bool> =
            sqlx::query_scalar("SELECT erased_at IS NOT NULL FROM subject_keys WHERE subject_id = $1")
                .bind(subject)
                .fetch_optional(self.pool())
                .await?;
        Ok(erased.unwrap_or(false))
    }

    /// A signal that changes whenever a NOTIFY from the append path arrives.
    pub fn notifications(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.wake.subscribe()
    }

    /// Every event after `from`, in the gap-free global order, then live as new ones commit.
    /// Resuming from the position of the last event received gives no gap and no duplicate.
    pub fn subscribe(
        &self,
        from: Position,
        batch: i64,
    ) -> impl Stream<Item = Result<RecordedEvent, StoreError>> + Send + 'static {
        struct State {
            store: Store,
            cursor: Position,
            buffer: VecDeque<RecordedEvent>,
            wake: tokio::sync::watch::Receiver<u64>,
        }
        let wake = self.inner.wake.subscribe();
        let state = State { store: self.clone(), cursor: from, buffer: VecDeque::new(), wake };
        futures::stream::unfold(state, move |mut state| async move {
            loop {
                if let Some(event) = state.buffer.pop_front() {
                    state.cursor = event.position();
                    return Some((Ok(event), state));
                }
                // Mark the current signal seen before reading, so a commit after the read wakes us.
                state.wake.borrow_and_update();
                match state.store.read_all(state.cursor, batch).await {
                    Ok(events) if !events.is_empty() => state.buffer.extend(events),
                    Ok(_) => {
                        let _ = tokio::time::timeout(POLL_INTERVAL, state.wake.changed()).await;
                    }
                    Err(err) => return Some((Err(err), state)),
                }
            }
        })
    }
}

/// Sends one NOTIFY for any number of appends that committed while the previous one was on
/// its way: under load that is one small statement per few appends, not one per append.
async fn notify_after_commit(store: Weak<Inner>) {
    loop {
        let pending = {
            let Some(inner) = store.upgrade() else { return };
            let notified = inner.notify_pending.clone();
            drop(inner);
            notified
        };
        if tokio::time::timeout(Duration::from_secs(5), pending.notified()).await.is_err() {
            continue;
        }
        let Some(inner) = store.upgrade() else { return };
        if inner.pool.is_closed() {
            return;
        }
        if let Err(err) = sqlx::query("SELECT pg_notify($1, '')").bind(EVENTS_CHANNEL).execute(&inner.pool).await {
            // Other processes' readers fall back to polling until the next NOTIFY goes through.
            tracing::warn!(error = %err, "could not NOTIFY other processes of an append");
        }
        drop(inner);
        tokio::time::sleep(NOTIFY_INTERVAL).await;
    }
}

async fn listen(mut listener: PgListener, store: Weak<Inner>) {
    loop {
        let received = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await;
        let Some(inner) = store.upgrade() else { return };
        match received {
            Err(_elapsed) => {}
            Ok(Ok(notification)) if notification.channel() == ERASURE_CHANNEL => {
                if let Ok(subject) = notification.payload().parse::<Uuid>() {
                    inner.keyring.forget(subject);
                }
            }
            Ok(Ok(_)) => {
                inner.wake.send_modify(|n| *n = n.wrapping_add(1));
            }
            Ok(Err(_)) if inner.pool.is_closed() => return,
            Ok(Err(err)) => {
                // PgListener reconnects on the next recv; notifications in between are lost,
                // so wake every reader to look again.
                tracing::warn!(error = %err, "event listener lost its connection; reconnecting");
                inner.wake.send_modify(|n| *n = n.wrapping_add(1));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}
