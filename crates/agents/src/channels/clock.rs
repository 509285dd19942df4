//! Time as the sandbox channel sees it. Replies become visible after their drawn delay on this
//! clock, so tests move a [`ManualClock`] instead of sleeping and a demo runs a [`ScaledClock`]
//! that lives a day in minutes.

use std::fmt;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};

/// Tells the time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told: for tests and step-by-step simulations.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self { now: Mutex::new(start) }
    }

    /// Moves the clock forward (or back, with a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }

    /// Sets the time.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Simulated time running `scale` times faster than real time from an origin.
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    origin: DateTime<Utc>,
    started: Instant,
    scale: f64,
}

impl ScaledClock {
    /// Simulated time that reads `origin` at the real instant `started`.
    pub fn new(origin: DateTime<Utc>, started: Instant, scale: f64) -> Self {
        Self { origin, started, scale }
    }

    /// Simulated time starting at the current wall-clock time.
    pub fn starting_now(scale: f64) -> Self {
        Self::new(Utc::now(), Instant::now(), scale)
    }

    /// The simulated time at the real instant `at`.
    pub fn at(&self, at: Instant) -> DateTime<Utc> {
        let real = at.saturating_duration_since(self.started).as_secs_f64();
        let simulated_ms = (real * self.scale * 1000.0).round();
        // Saturate far in the future instead of overflowing (about 292 million years away).
        let delta = if simulated_ms.is_finite() && simulated_ms < 9.0e18 {
            #[expect(clippy::cast_possible_truncation, reason = "finite, rounded and below i64::MAX")]
            let ms = simulated_ms as i64;
            TimeDelta::try_milliseconds(ms).unwrap_or(TimeDelta::MAX)
        } else {
            TimeDelta::MAX
        };
        self.origin.checked_add_signed(delta).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        self.at(Instant::now())
    }
}
