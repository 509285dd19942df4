//! One subscriber's view of the log: history from the store, then the hub's live batches, with
//! no gap and no duplicate at the seam.
//!
//! The seam: the follower registers with the hub first, which answers with its head `H` (the
//! last event it handed out). Everything after `H` will arrive on the tap; everything up to `H`
//! is already visible to gap-free readers, so the follower reads it from the store, stopping at
//! `H`. Every event handed out moves `delivered`, and nothing at or before it is handed out
//! again. A follower dropped by the hub for lagging (its tap closes) does the same again from
//! the last event it looked at.

use std::collections::VecDeque;
use std::sync::Arc;

use reachspark_store::{Position, RecordedEvent, StoreError};

use super::{Hub, Route, Tap};

/// Follows the log on one [`Route`] from a position. Cancel-safe: dropping a pending
/// [`Follower::next`] loses nothing.
pub struct Follower {
    hub: Hub,
    route: Route,
    /// Everything at or before this was looked at (handed out, queued or not on the route).
    scanned: Position,
    /// The last event handed out.
    delivered: Position,
    /// Read from the store up to here before taking batches from the tap.
    replay_to: Position,
    tap: Option<Tap>,
    ready: VecDeque<Arc<RecordedEvent>>,
}

impl std::fmt::Debug for Follower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follower")
            .field("route", &self.route)
            .field("delivered", &self.delivered)
            .field("replay_to", &self.replay_to)
            .finish_non_exhaustive()
    }
}

impl Follower {
    /// Follows `route` after `from`, or live from now when `from` is `None`. Registers with
    /// the hub at once, so nothing appended after this call returns can be missed.
    pub async fn new(hub: &Hub, route: Route, from: Option<Position>) -> Result<Self, StoreError> {
        let (tap, head) = hub.tap(route).await?;
        let from = from.unwrap_or(head);
        Ok(Self {
            hub: hub.clone(),
            route,
            scanned: from,
            delivered: from,
            replay_to: head,
            tap: Some(tap),
            ready: VecDeque::new(),
        })
    }

    /// The position of the last event handed out (the start position before the first).
    pub fn position(&self) -> Position {
        self.delivered
    }

    /// The next event on the route, waiting for it if need be.
    pub async fn next(&mut self) -> Result<Arc<RecordedEvent>, StoreError> {
        loop {
            if let Some(event) = self.pop() {
                return Ok(event);
            }
            if self.tap.is_none() {
                let (tap, head) = self.hub.tap(self.route).await?;
                self.tap = Some(tap);
                self.replay_to = head;
            }
            if self.scanned < self.replay_to {
                self.replay().await?;
                continue;
            }
            let Some(tap) = self.tap.as_mut() else { continue };
            match tap.rx.recv().await {
                Some(batch) => self.queue(&batch),
                // Dropped by the hub for lagging: catch up from the store and register again.
                None => self.tap = None,
            }
        }
    }

    /// The next event if one is at hand without waiting or reading the store.
    pub fn try_next(&mut self) -> Option<Arc<RecordedEvent>> {
        loop {
            if let Some(event) = self.pop() {
                return Some(event);
            }
            if self.scanned < self.replay_to {
                return None;
            }
            let batch = self.tap.as_mut()?.rx.try_recv().ok()?;
            self.queue(&batch);
        }
    }

    fn pop(&mut self) -> Option<Arc<RecordedEvent>> {
        while let Some(event) = self.ready.pop_front() {
            if event.position() > self.delivered {
                self.delivered = event.position();
                return Some(event);
            }
        }
        None
    }

    fn queue(&mut self, batch: &[Arc<RecordedEvent>]) {
        for event in batch {
            self.scanned = self.scanned.max(event.position());
            if self.route.carries(event) {
                self.ready.push_back(Arc::clone(event));
            }
        }
    }

    /// One batch of history from the store, up to `replay_to` (the tap has what follows).
    async fn replay(&mut self) -> Result<(), StoreError> {
        let batch = self.hub.store().read_all(self.scanned, self.hub.config().batch).await?;
        if batch.is_empty() {
            // `replay_to` was visible when the hub read it and visibility only grows, so an
            // empty read means nothing lies between (a cursor from before the log's start).
            self.scanned = self.replay_to;
            return Ok(());
        }
        for event in batch {
            let position = event.position();
            if position > self.replay_to {
                self.scanned = self.replay_to;
                break;
            }
            self.scanned = position;
            if self.route.carries(&event) {
                self.ready.push_back(Arc::new(event));
            }
        }
        Ok(())
    }
}
