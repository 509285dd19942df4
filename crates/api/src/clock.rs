//! Where the API's "now" comes from. Commands take their time from the server, never from the
//! client, so no caller can backdate an event; the demo swaps in an accelerated clock.

use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// The current time as the server sees it.
pub trait Clock: Send + Sync + Debug {
    /// Now.
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

/// A shared clock, as the schema holds it.
pub type SharedClock = Arc<dyn Clock>;
