//! What goes wrong between us and the provider: invalid answers, transient and permanent
//! failures, timeouts. Each ends in the rules deciding, with the reason on the decision.

use std::time::Duration;

use reachspark_agents::llm::FallbackReason;
use reachspark_domain::campaign::Targeting;
use reachspark_domain::decision::Engine;
use reachspark_domain::LlmUsage;
use secrecy::SecretString;

use super::server::{Reply, Server, COMPLETION_TOKENS, PROMPT_TOKENS};
use super::support::{fixture, profile_answer, settings, speaker, ONE_ANSWER_NANO_USD};

fn usage_of(answers: u64) -> Option<LlmUsage> {
    Some(LlmUsage {
        prompt_tokens: answers * PROMPT_TOKENS,
        completion_tokens: answers * COMPLETION_TOKENS,
        cost_nano_usd: answers * ONE_ANSWER_NANO_USD,
        cached: false,
    })
}

fn rules_engine() -> Engine {
    reachspark_agents::rules::engine()
}

#[tokio::test]
async fn an_invalid_answer_is_asked_again_then_the_rules_decide() {
    let f = fixture(Reply::Content("Sure! The person is a speaker, 8/10.".into()), |_| {}).await;
    let judged = f.reasoner.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;

    assert_eq!(f.server.requests(), 2, "one retry (the default), then the rules");
    assert!(
        matches!(judged.fallback, Some(FallbackReason::InvalidOutput { attempts: 2, .. })),
        "{:?}",
        judged.fallback
    );
    assert_eq!(judged.classification.engine, rules_engine());
    assert_eq!(judged.score.engine, rules_engine());
    assert!(
        judged.classification.rationale.ends_with("language model not used: its answer failed validation 2 time(s)"),
        "{}",
        judged.classification.rationale
    );
    assert_eq!(judged.classification.usage, usage_of(2), "the rejected answers' tokens are still recorded");
    assert!(!judged.classification.rationale.contains("Sure!"), "the model's text never enters a decision");
}

#[tokio::test]
async fn a_schema_violation_is_refused_and_the_second_answer_counts() {
    let out_of_range = profile_answer().replace("\"score\":8", "\"score\":11");
    assert_ne!(out_of_range, profile_answer());
    let f = fixture(Reply::Content(profile_answer()), |_| {}).await;
    f.server.then([Reply::Content(out_of_range)]);

    let judged = f.reasoner.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;
    assert_eq!(f.server.requests(), 2);
    assert_eq!((judged.quality, judged.fallback.clone()), (8, None));
    assert!(matches!(judged.classification.engine, Engine::Llm { .. }));
    assert_eq!(judged.classification.usage, usage_of(2), "both answers were paid for");
}

#[tokio::test]
async fn a_body_that_is_not_a_chat_completion_is_an_invalid_answer() {
    let f = fixture(Reply::NotACompletion, |s| s.invalid_output_retries = 0).await;
    let judged = f.reasoner.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;
    assert_eq!(f.server.requests(), 1);
    assert!(matches!(judged.fallback, Some(FallbackReason::InvalidOutput { attempts: 1, .. })));
}

#[tokio::test]
async fn server_errors_are_retried_with_exponential_backoff() {
    let f = fixture(Reply::Content(profile_answer()), |_| {}).await;
    f.server.then([Reply::Status(500), Reply::Status(500)]);

    let judged = f.reasoner.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;
    assert_eq!(f.server.requests(), 3, "two failures and the success");
    assert_eq!(judged.fallback, None);
    assert!(matches!(judged.classification.engine, Engine::Llm { .. }));
    assert_eq!(judged.classification.usage, usage_of(1), "failed requests return no tokens");
    assert_eq!(f.clock.slept(), [Duration::from_millis(500), Duration::from_millis(1000)]);
}

#[tokio::test]
async fn three_attempts_at_most_then_the_rules() {
    let f = fixture(Reply::Status(429), |_| {}).await;
    let judged = f.reasoner.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;

    assert_eq!(f.server.requests(), 3);
    assert_eq!(judged.fallback, Some(FallbackReason::ProviderUnavailable { attempts: 3, last: "HTTP 429".into() }));
    assert_eq!(judged.classification.engine, rules_engine());
    assert_eq!(judged.classification.usage, None, "nothing was spent");
    assert_eq!(f.clock.slept().len(), 2, "no pause after the last attempt");
}

#[tokio::test]
async fn a_rejected_key_is_not_retried() {
    let server = Server::start(Reply::Content(profile_answer())).await;
    let clock = std::sync::Arc::new(reachspark_agents::llm::ManualClock::new(super::support::start()));
    let wrong = SecretString::from("sk-wrong-key");
    let reasoner = reachspark_agents::llm::Reasoner::openai(settings(&server.url), &wrong, clock.clone()).unwrap();

    let judged = reasoner.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;
    assert_eq!(server.requests(), 1, "a 401 is permanent");
    assert_eq!(judged.fallback, Some(FallbackReason::ProviderRejected { reason: "HTTP 401".into() }));
    assert_eq!(judged.classification.engine, rules_engine());
    let rationale = &judged.classification.rationale;
    assert!(rationale.ends_with("the provider refused the request (HTTP 401)"), "{rationale}");
    assert!(!rationale.contains("sk-"), "nothing of the key or the provider's message: {rationale}");
    assert!(clock.slept().is_empty());
}

#[tokio::test]
async fn a_slow_provider_times_out_as_a_transient_failure() {
    let slow = Reply::Slow(Duration::from_secs(3), profile_answer());
    let f = fixture(slow, |s| s.timeout = Duration::from_millis(150)).await;
    let judged = f.reasoner.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;

    assert_eq!(f.server.requests(), 3);
    let Some(FallbackReason::ProviderUnavailable { attempts: 3, last }) = &judged.fallback else {
        panic!("expected three timeouts, got {:?}", judged.fallback)
    };
    assert!(last.starts_with("no answer within"), "{last}");
}

#[tokio::test]
async fn https_goes_through_rustls_and_a_failed_handshake_is_transient() {
    // The local server speaks plain HTTP, so the TLS handshake fails: the TLS stack must be
    // usable (no missing crypto provider) and the failure retried like any connection error.
    let plain = Server::start(Reply::Content(profile_answer())).await;
    let url = plain.url.replace("http://", "https://");
    let f = fixture(Reply::Content(profile_answer()), |s| s.base_url = url).await;
    let judged = f.reasoner.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;
    assert!(
        matches!(judged.fallback, Some(FallbackReason::ProviderUnavailable { attempts: 3, .. })),
        "{:?}",
        judged.fallback
    );
    assert_eq!(plain.requests(), 0, "nothing reached the handler");
}
