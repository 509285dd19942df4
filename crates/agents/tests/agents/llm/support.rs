//! Fixtures: a reasoner wired to a fresh local server and a manual clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use reachspark_agents::config::{LlmConfig, LlmProvider, ModelPrice, ModelPrices};
use reachspark_agents::llm::{LlmSettings, ManualClock, Reasoner};
use reachspark_agents::{Profile, ProfileFact};
use secrecy::SecretString;
use serde_json::json;

use super::server::{Reply, Server, KEY};

pub(crate) const MODEL: &str = "local-model";

/// Monday 2026-11-02, 09:00 UTC.
pub(crate) fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).single().unwrap()
}

/// Lead Finder settings for `url`, at gpt-4o-mini's price.
pub(crate) fn settings(url: &str) -> LlmSettings {
    let llm = LlmConfig {
        provider: LlmProvider::Openai,
        base_url: url.to_owned(),
        model: MODEL.to_owned(),
        timeout_seconds: 5,
        ..LlmConfig::default()
    };
    let price = ModelPrice { prompt_per_1k_usd: 0.000_15, completion_per_1k_usd: 0.000_6 };
    LlmSettings::from_config("lead_finder", &llm, &ModelPrices(BTreeMap::from([(MODEL.to_owned(), price)])))
}

/// Cost of one answer at that price: 100 × 150 + 20 × 600 nano-dollars.
pub(crate) const ONE_ANSWER_NANO_USD: u64 = 27_000;

pub(crate) struct Fixture {
    pub(crate) server: Server,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) reasoner: Reasoner,
}

/// A server answering `otherwise`, and a reasoner for it with `tweak`ed settings.
pub(crate) async fn fixture(otherwise: Reply, tweak: impl FnOnce(&mut LlmSettings)) -> Fixture {
    let server = Server::start(otherwise).await;
    let clock = Arc::new(ManualClock::new(start()));
    let mut settings = settings(&server.url);
    tweak(&mut settings);
    let reasoner = Reasoner::openai(settings, &SecretString::from(KEY), clock.clone()).unwrap();
    Fixture { server, clock, reasoner }
}

/// A developer advocate who spoke recently, with name, email and URL (personal data).
pub(crate) fn speaker(position: &str) -> Profile {
    Profile {
        name: "Ada Lovelace".into(),
        position: position.into(),
        company: "Engines Ltd".into(),
        industry: Some("Developer tools".into()),
        company_size: Some(120),
        location: Some("Germany".into()),
        headline: "Speaker on compilers".into(),
        bio: "I speak at conferences about analytical engines.".into(),
        profile_url: Some("https://www.linkedin.com/in/ada-lovelace-1815".into()),
        email: Some("ada@engines.example".into()),
        facts: vec![ProfileFact {
            attribute: ProfileFact::RECENT_TALK.into(),
            value: "RustConf 2026".into(),
            evidence_url: Some("https://rustconf.example/ada".into()),
        }],
    }
}

/// A valid profile answer: Speaker, 8/10.
pub(crate) fn profile_answer() -> String {
    json!({
        "class": "speaker",
        "class_confidence": 0.86,
        "class_evidence": [
            {"signal": "title", "supports": "speaker", "weight": 3.0},
            {"signal": "recent_talk", "supports": "speaker", "weight": 2.5},
            {"signal": "company_size", "supports": "sponsor", "weight": 0.5}
        ],
        "score": 8,
        "score_confidence": 0.8,
        "score_factors": [
            {"signal": "targeting_class", "points": 2},
            {"signal": "seniority", "points": 1},
            {"signal": "recent_talk", "points": 1}
        ]
    })
    .to_string()
}
