//! Requests per caller per second: a GCRA token bucket (`governor`) per verified token
//! subject, or per client IP address for requests without a valid token.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// How many requests a caller may make: `per_second` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: NonZeroU32,
    /// Requests that may arrive at once after a quiet spell.
    pub burst: NonZeroU32,
}

/// The default sustained rate (`REACHSPARK_RATE_LIMIT_PER_SEC`).
pub const DEFAULT_PER_SECOND: NonZeroU32 = NonZeroU32::new(50).unwrap();
/// The default burst (`REACHSPARK_RATE_LIMIT_BURST`).
pub const DEFAULT_BURST: NonZeroU32 = NonZeroU32::new(100).unwrap();

impl Default for RateLimit {
    /// 50 per second with bursts of 100: far above what an agent's loop or a person's UI
    /// sends, so only a runaway client ever meets it.
    fn default() -> Self {
        Self { per_second: DEFAULT_PER_SECOND, burst: DEFAULT_BURST }
    }
}

/// Whose budget a request spends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    /// A verified token's subject: every token of one subject shares one budget.
    Subject(String),
    /// No valid token: the client's address (the peer of the TCP connection; behind a reverse
    /// proxy that is the proxy, so give such deployments tokens).
    Client(IpAddr),
    /// No valid token and no known address (requests that did not come over a socket).
    Unknown,
}

/// The limiter shared by every request. Cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    limiter: DefaultKeyedRateLimiter<RateKey>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("keys", &self.inner.limiter.len()).finish()
    }
}

/// Every this many checks, keys whose bucket has refilled are dropped, so the map holds only
/// callers seen recently.
const PRUNE_EVERY: u64 = 4096;

impl RateLimiter {
    /// A limiter enforcing `limit` for each key.
    pub fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_second(limit.per_second).allow_burst(limit.burst);
        let inner = Inner {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        };
        Self { inner: Arc::new(inner) }
    }

    /// Spends one request of `key`'s budget, or says how many whole seconds (at least 1) to
    /// wait before the next one would be allowed.
    pub fn check(&self, key: &RateKey) -> Result<(), u64> {
        if self.inner.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.inner.limiter.retain_recent();
            self.inner.limiter.shrink_to_fit();
        }
        self.inner.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.inner.clock.now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(per_second: u32, burst: u32) -> RateLimit {
        RateLimit { per_second: NonZeroU32::new(per_second).expect("> 0"), burst: NonZeroU32::new(burst).expect("> 0") }
    }

    #[test]
    fn a_burst_passes_and_the_next_request_waits_whole_seconds() {
        let limiter = RateLimiter::new(limit(1, 3));
        let alice = RateKey::Subject("alice".to_owned());
        for _ in 0..3 {
            assert_eq!(limiter.check(&alice), Ok(()));
        }
        assert_eq!(limiter.check(&alice), Err(1), "the fourth waits about a second, rounded up");
        // Another caller's budget is untouched.
        assert_eq!(limiter.check(&RateKey::Subject("bob".to_owned())), Ok(()));
        assert_eq!(limiter.check(&RateKey::Client(IpAddr::from([127, 0, 0, 1]))), Ok(()));
    }

    #[test]
    fn the_default_is_generous() {
        let limiter = RateLimiter::new(RateLimit::default());
        let agent = RateKey::Subject("outreach".to_owned());
        assert!((0..100).all(|_| limiter.check(&agent).is_ok()), "a burst of 100 passes");
        assert!(limiter.check(&agent).is_err(), "the 101st at once does not");
    }
}
