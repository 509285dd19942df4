//! A circuit breaker: after `threshold` transient failures in a row the agent stops calling
//! for `cooldown`, then lets one attempt through (half-open). It keeps a failing provider or
//! API from being hammered by every queued item.

use std::time::{Duration, Instant};

/// Closed, open until an instant, or half-open (the next call decides).
#[derive(Debug, Clone)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    /// Opens after `threshold` failures in a row, for `cooldown`.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self { threshold: threshold.max(1), cooldown, failures: 0, open_until: None }
    }

    /// Whether a call may go through now.
    pub fn allows(&self, now: Instant) -> bool {
        self.open_until.is_none_or(|until| now >= until)
    }

    /// A call succeeded: close.
    pub fn success(&mut self) {
        self.failures = 0;
        self.open_until = None;
    }

    /// A call failed transiently: count it, and open when the threshold is reached (a failure
    /// while half-open opens again at once).
    pub fn failure(&mut self, now: Instant) {
        self.failures += 1;
        if self.failures >= self.threshold {
            self.open_until = Some(now + self.cooldown);
        }
    }

    /// Whether it is open now.
    pub fn is_open(&self, now: Instant) -> bool {
        !self.allows(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_half_opens_after_the_cooldown() {
        let t0 = Instant::now();
        let mut b = Breaker::new(2, Duration::from_secs(10));
        b.failure(t0);
        assert!(b.allows(t0));
        b.failure(t0);
        assert!(b.is_open(t0 + Duration::from_secs(9)));
        assert!(b.allows(t0 + Duration::from_secs(10)));
        b.failure(t0 + Duration::from_secs(10));
        assert!(b.is_open(t0 + Duration::from_secs(11)), "a failed trial opens again");
        b.success();
        assert!(b.allows(t0 + Duration::from_secs(11)));
    }
}
