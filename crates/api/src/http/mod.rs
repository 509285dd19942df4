//! HTTP hardening around the GraphQL endpoint: the guard every non-health route passes
//! (authentication, then the per-caller rate limit), the GraphQL-over-HTTP handler
//! (parameters, body size limit, content negotiation, status codes), and the limits' config.

mod graphql;
mod guard;
pub mod negotiate;
pub mod params;
pub mod rate_limit;
pub mod respond;

pub(crate) use graphql::graphql_handler;
pub(crate) use guard::guard;
pub use rate_limit::{RateKey, RateLimit, RateLimiter};

/// The default cap on a request body (`REACHSPARK_BODY_LIMIT_BYTES`): 8 MiB holds any query
/// and a CSV import of the largest sheet `importLeads` takes (50,000 rows, base64-encoded),
/// and bounds what one request can make us buffer.
pub const DEFAULT_BODY_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// The HTTP limits, set from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body accepted, in bytes; a larger one is a 413.
    pub body_bytes: usize,
    /// Requests per caller (token subject, or client address without a valid token).
    pub rate: RateLimit,
}

impl Default for Limits {
    fn default() -> Self {
        Self { body_bytes: DEFAULT_BODY_LIMIT_BYTES, rate: RateLimit::default() }
    }
}
