//! Time as the language-model engine sees it: the UTC day of its token budget, the cool-down of
//! its circuit breaker and the pauses between retries. Injected, so that tests and simulations
//! run a day of budget or a minute of cool-down in microseconds, without sleeping.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A future the engine awaits while it backs off.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The current time and a way to wait.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The wall clock and tokio's timer: what production uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that moves only when told to, or when something sleeps on it (the sleep returns at
/// once and moves the clock by its length). It remembers every sleep, so a test can check the
/// backoff schedule.
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<ManualState>,
}

#[derive(Debug)]
struct ManualState {
    now: DateTime<Utc>,
    slept: Vec<Duration>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self { state: Mutex::new(ManualState { now: start, slept: Vec::new() }) }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }

    /// Every sleep so far, in order.
    pub fn slept(&self) -> Vec<Duration> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).slept.clone()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).now
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).slept.push(duration);
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }
}
