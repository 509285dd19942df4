//! The deterministic rules engine: the default "model" of every agent, so the system runs
//! offline and every decision replays to the same output on the same inputs.
//!
//! Each function is additive and explainable: it sums the weights of the rules that fire and
//! records each as a [`Factor`](reachspark_domain::Factor) with a signed contribution. Factor
//! names and values come from the rules' own vocabulary (`title_contains:devrel`) or from
//! bucketed numbers (`company_size:500+`), never from the free text being judged, so a decision
//! holds no personal data. A change to any weight or phrase list bumps [`POLICY_VERSION`].

mod classify;
mod reply;
mod score;
mod text;

pub use classify::classify;
pub use reply::analyze_reply;
pub(crate) use reply::own_words;
pub use score::{score, seniority, Seniority};

use reachspark_domain::decision::Engine;

/// The version of the rules policy, recorded in every rules decision.
pub const POLICY_VERSION: &str = "rules-2026.11";

/// The engine tag of every decision made here.
pub fn engine() -> Engine {
    Engine::rules(POLICY_VERSION)
}

/// `x` rounded to two decimals, for factor contributions and rationales that read cleanly and
/// compare exactly across replays.
pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
