//! The agents' decision core and their adapters to the outside world.
//!
//! The core is pure, synchronous and deterministic per seed, so that every choice can be
//! replayed and tested in microseconds:
//!
//! - [`sandbox`] — a synthetic world of companies and people with hidden ground truth, so that
//!   classification accuracy and learning gains can be measured; the sandbox channel draws its
//!   replies from it.
//! - [`rules`] — the deterministic rules engine: classification, 1–10 scoring and reply analysis,
//!   each returning a [`Decision`](reachspark_domain::Decision) with signed factors.
//! - [`bandit`] — Thompson sampling over templates per segment, with the propensity of each
//!   choice, and a simulation that measures it against a uniform policy and an oracle.
//! - [`draft`] — renders a campaign template into a message with the compliance blocks the
//!   campaign requires, and decides whether a person must approve it.
//! - [`config`] — the agents' YAML configuration (`config/agents.yaml`), optional and validated.
//! - [`llm`] — the [`Reasoner`](llm::Reasoner) the agents call to classify and score, read
//!   replies and personalise drafts: the rules, or an OpenAI-compatible model that falls back to
//!   them (schema-checked answers, cache, daily token budget, retries, circuit breaker). The one
//!   async, networked part of the crate.
//!
//! The adapters do I/O, each behind a small interface the agent loops call:
//!
//! - [`channels`] — where messages go: the sandbox LinkedIn (default), SMTP, a LinkedIn
//!   automation provider's HTTP API. Real channels stay off unless explicitly enabled.
//! - [`llm`] — an OpenAI-compatible model behind our own retries, breaker, cache and budget.
//! - [`notify`] — hot-lead notifications to people, by webhook and email.
//! - [`sources`] — the Lead Finder's web source (speaker and team pages).
//!
//! It may depend on `reachspark-domain`, pure libraries (serde, rand, fake) and outbound I/O
//! clients (tokio, reqwest, async-openai, lettre, scraper). It must not depend on the store, the
//! API internals, sqlx, axum or async-graphql: the agents reach the system only as GraphQL
//! clients of the public API, through [`client`] (typed operations checked against schema.graphql).

pub mod bandit;
pub mod channels;
pub mod client;
pub mod config;
pub mod draft;
pub mod lead_finder;
pub mod llm;
pub mod notify;
pub mod outreach;
pub mod profile;
pub mod rules;
pub mod runtime;
pub mod sales_manager;
pub mod sandbox;
pub mod sources;

pub use profile::{Profile, ProfileFact};

/// Actor ids under which each agent records its decisions; an agent loop whose token names it
/// differently overwrites `decided_by`.
pub mod actors {
    /// Finds, classifies and scores leads.
    pub const LEAD_FINDER: &str = "lead_finder";
    /// Allocates leads, updates strategy, reports.
    pub const SALES_MANAGER: &str = "sales_manager";
    /// Drafts, sends, reads replies.
    pub const OUTREACH: &str = "outreach";
}
