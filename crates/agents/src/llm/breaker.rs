//! A circuit breaker: after `failures` failed requests in a row the provider is left alone for
//! `cooldown` (the rules decide meanwhile), then one probe request is let through; its success
//! closes the breaker, its failure opens it for another cool-down. A provider that is down or
//! rejects our key is not hammered by every agent step.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// When to open and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failed requests that open the breaker (at least 1).
    pub failures: u32,
    /// How long it stays open before a probe.
    pub cooldown: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: DateTime<Utc>,
    },
    /// A probe went out at `since`; others wait for its answer.
    HalfOpen {
        since: DateTime<Utc>,
    },
}

/// The breaker's state machine; the caller keeps it behind a lock and passes the time in.
#[derive(Debug)]
pub(crate) struct Breaker {
    policy: BreakerPolicy,
    state: State,
}

impl Breaker {
    pub(crate) fn new(policy: BreakerPolicy) -> Self {
        Self { policy, state: State::Closed { failures: 0 } }
    }

    fn cooldown(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.policy.cooldown).unwrap_or(chrono::Duration::MAX)
    }

    /// Whether a request may go out now. Past the cool-down, the first caller becomes the probe.
    pub(crate) fn allow(&mut self, now: DateTime<Utc>) -> bool {
        match self.state {
            State::Closed { .. } => true,
            State::Open { until } if now >= until => {
                self.state = State::HalfOpen { since: now };
                true
            }
            State::Open { .. } => false,
            // A probe whose caller was cancelled never reports; after a cool-down, probe again.
            State::HalfOpen { since } if now >= since + self.cooldown() => {
                self.state = State::HalfOpen { since: now };
                true
            }
            State::HalfOpen { .. } => false,
        }
    }

    /// The provider answered (even with an answer we then rejected).
    pub(crate) fn success(&mut self) {
        self.state = State::Closed { failures: 0 };
    }

    /// A request failed.
    pub(crate) fn failure(&mut self, now: DateTime<Utc>) {
        self.state = match self.state {
            State::Closed { failures } if failures + 1 < self.policy.failures => {
                State::Closed { failures: failures + 1 }
            }
            _ => State::Open { until: now + self.cooldown() },
        };
    }

    /// Whether requests are currently refused (open, or a probe is out).
    pub(crate) fn is_open(&self) -> bool {
        !matches!(self.state, State::Closed { .. })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).single().unwrap() + chrono::Duration::seconds(seconds)
    }

    fn breaker() -> Breaker {
        Breaker::new(BreakerPolicy { failures: 3, cooldown: Duration::from_secs(60) })
    }

    #[test]
    fn opens_after_n_consecutive_failures_only() {
        let mut b = breaker();
        b.failure(t(0));
        b.failure(t(0));
        b.success();
        b.failure(t(1));
        b.failure(t(1));
        assert!(b.allow(t(1)), "two failures after a success do not open it");
        b.failure(t(1));
        assert!(!b.allow(t(2)) && b.is_open());
        assert!(!b.allow(t(60)), "still cooling down");
    }

    #[test]
    fn after_the_cooldown_one_probe_decides() {
        let mut b = breaker();
        for _ in 0..3 {
            b.failure(t(0));
        }
        assert!(b.allow(t(60)), "the first caller after the cool-down probes");
        assert!(!b.allow(t(61)), "others wait for the probe");
        b.failure(t(62));
        assert!(!b.allow(t(100)), "a failed probe opens it again for a full cool-down");
        assert!(b.allow(t(122)));
        b.success();
        assert!(b.allow(t(123)) && !b.is_open());
    }

    #[test]
    fn a_probe_that_never_reports_is_replaced_after_a_cooldown() {
        let mut b = breaker();
        for _ in 0..3 {
            b.failure(t(0));
        }
        assert!(b.allow(t(60)));
        assert!(!b.allow(t(119)));
        assert!(b.allow(t(120)));
    }
}
