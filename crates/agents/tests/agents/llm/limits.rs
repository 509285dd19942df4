//! The limits that protect the provider and the bill: the daily token budget, the circuit
//! breaker, and configuration that refuses to start without a key.

use std::sync::Arc;
use std::time::Duration;

use reachspark_agents::config::{ConfigError, LlmConfig, LlmProvider, ModelPrices};
use reachspark_agents::llm::{FallbackReason, ManualClock, Reasoner};
use reachspark_domain::campaign::Targeting;
use reachspark_domain::decision::Engine;

use super::server::Reply;
use super::support::{fixture, profile_answer, speaker, start};

#[tokio::test]
async fn a_spent_budget_falls_back_to_the_rules_until_the_next_utc_day() {
    // Each answer costs 120 tokens: the second one crosses 150.
    let f = fixture(Reply::Content(profile_answer()), |s| s.daily_token_budget = 150).await;
    let any = Targeting::default();

    let first = f.reasoner.judge_profile(&speaker("Developer Advocate"), &any).await;
    let second = f.reasoner.judge_profile(&speaker("Keynote Speaker"), &any).await;
    assert!(first.fallback.is_none() && second.fallback.is_none());
    assert_eq!(f.server.requests(), 2);

    let third = f.reasoner.judge_profile(&speaker("Technical Evangelist"), &any).await;
    assert_eq!(f.server.requests(), 2, "no request once the budget is spent");
    assert_eq!(third.fallback, Some(FallbackReason::BudgetSpent { limit: 150 }));
    assert_eq!(third.classification.engine, reachspark_agents::rules::engine());
    assert!(
        third
            .classification
            .rationale
            .ends_with("language model not used: the daily token budget of 150 tokens is spent"),
        "{}",
        third.classification.rationale
    );
    assert!(third.score.rationale.contains("daily token budget"));

    // A cached answer costs nothing, so it is still served.
    let cached = f.reasoner.judge_profile(&speaker("Developer Advocate"), &any).await;
    assert!(cached.fallback.is_none() && cached.classification.usage.is_some_and(|u| u.cached));

    f.clock.advance(Duration::from_secs(15 * 3600)); // Tuesday, 00:00 UTC
    let next_day = f.reasoner.judge_profile(&speaker("Technical Evangelist"), &any).await;
    assert!(next_day.fallback.is_none());
    assert_eq!(f.server.requests(), 3);
}

#[tokio::test]
async fn the_breaker_opens_after_n_failures_and_stops_requests_until_a_probe_succeeds() {
    let f = fixture(Reply::Status(503), |s| s.breaker.failures = 3).await;
    let any = Targeting::default();

    let first = f.reasoner.judge_profile(&speaker("Developer Advocate"), &any).await;
    assert_eq!(f.server.requests(), 3);
    assert!(matches!(first.fallback, Some(FallbackReason::ProviderUnavailable { .. })));
    assert!(f.reasoner.circuit_open());

    for title in ["Keynote Speaker", "Technical Evangelist", "Staff Engineer"] {
        let judged = f.reasoner.judge_profile(&speaker(title), &any).await;
        assert_eq!(judged.fallback, Some(FallbackReason::CircuitOpen));
        assert!(judged.classification.rationale.contains("circuit breaker is open"));
    }
    assert_eq!(f.server.requests(), 3, "no request while open");

    // After the cool-down (60 s by default) one probe goes out; the provider has recovered.
    f.server.otherwise(Reply::Content(profile_answer()));
    f.clock.advance(Duration::from_secs(60));
    let probe = f.reasoner.judge_profile(&speaker("Keynote Speaker"), &any).await;
    assert_eq!(f.server.requests(), 4);
    assert!(probe.fallback.is_none() && matches!(probe.classification.engine, Engine::Llm { .. }));
    assert!(!f.reasoner.circuit_open());
}

#[tokio::test]
async fn a_failed_probe_opens_the_breaker_again() {
    let f = fixture(Reply::Status(500), |s| {
        s.breaker.failures = 1;
        s.retry.max_attempts = 1;
    })
    .await;
    let any = Targeting::default();
    f.reasoner.judge_profile(&speaker("Developer Advocate"), &any).await;
    assert!(f.reasoner.circuit_open());
    f.clock.advance(Duration::from_secs(60));
    f.reasoner.judge_profile(&speaker("Developer Advocate"), &any).await;
    assert_eq!(f.server.requests(), 2, "one probe");
    let judged = f.reasoner.judge_profile(&speaker("Developer Advocate"), &any).await;
    assert_eq!((f.server.requests(), judged.fallback), (2, Some(FallbackReason::CircuitOpen)));
}

#[tokio::test]
async fn the_config_chooses_the_engine_and_an_unset_key_is_an_error() {
    let clock = Arc::new(ManualClock::new(start()));
    let prices = ModelPrices::default();
    let rules = Reasoner::from_config("lead_finder", &LlmConfig::default(), &prices, clock.clone()).unwrap();
    assert!(!rules.uses_llm());
    let judged = rules.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;
    assert_eq!((judged.classification.engine.clone(), judged.fallback), (reachspark_agents::rules::engine(), None));
    assert!(!judged.classification.rationale.contains("language model"));

    let llm = LlmConfig {
        provider: LlmProvider::Openai,
        api_key_env: "REACHSPARK_TEST_UNSET_KEY_9D2E".into(),
        ..LlmConfig::default()
    };
    match Reasoner::from_config("outreach", &llm, &prices, clock) {
        Err(ConfigError::MissingApiKey { field, var }) => {
            assert_eq!((field.as_str(), var.as_str()), ("outreach.llm.api_key_env", "REACHSPARK_TEST_UNSET_KEY_9D2E"));
        }
        other => panic!("expected a missing key, got {other:?}"),
    }
}
