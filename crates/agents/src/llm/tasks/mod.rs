//! The three things an agent asks a model: each a prompt with its JSON Schema, a parser that
//! checks the answer, and the decisions built from a valid answer in our own words.

pub(crate) mod draft;
pub(crate) mod profile;
pub(crate) mod reply;

pub(crate) use crate::rules::round2;

/// A weight as it counts for the chosen output: as given when the evidence supports it,
/// negated when it supports another.
pub(crate) fn signed(weight: f64, supports_chosen: bool) -> f64 {
    round2(if supports_chosen { weight } else { -weight })
}
