//! A valid answer becomes LLM decisions with hashes and usage; an identical prompt is served
//! from the cache.

use reachspark_domain::campaign::Targeting;
use reachspark_domain::decision::{DecisionKind, Engine};
use reachspark_domain::lead::LeadClass;
use reachspark_domain::LlmUsage;
use sha2::{Digest, Sha256};

use super::server::{Reply, COMPLETION_TOKENS, PROMPT_TOKENS};
use super::support::{fixture, profile_answer, speaker, MODEL, ONE_ANSWER_NANO_USD};

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn a_valid_answer_is_an_llm_decision_with_hashes_and_usage() {
    let f = fixture(Reply::Content(profile_answer()), |_| {}).await;
    let targeting = Targeting { classes: vec![LeadClass::Speaker], ..Targeting::default() };

    let judged = f.reasoner.judge_profile(&speaker("Developer Advocate"), &targeting).await;

    assert_eq!(f.server.requests(), 1);
    assert_eq!((judged.class, judged.quality, judged.fallback.clone()), (LeadClass::Speaker, 8, None));
    let c = &judged.classification;
    c.validate(DecisionKind::Classification).unwrap();
    judged.score.validate(DecisionKind::Score).unwrap();
    assert_eq!((c.output.as_str(), c.confidence), ("Speaker", 0.86));
    assert_eq!((judged.score.output.as_str(), judged.score.confidence), ("8", 0.8));
    let Engine::Llm { provider, model, prompt_hash, response_hash } = &c.engine else {
        panic!("expected an LLM decision, got {:?}", c.engine)
    };
    assert_eq!(
        provider,
        &format!("openai-compatible:{}", f.server.url.trim_start_matches("http://").trim_end_matches("/v1"))
    );
    assert_eq!(model, MODEL);
    assert_eq!(prompt_hash.len(), 64);
    assert_eq!(response_hash, &sha256(&profile_answer()), "the hash of exactly what the model answered");
    assert_eq!(judged.score.engine, c.engine, "one answer served both decisions");
    assert_eq!(
        c.usage,
        Some(LlmUsage {
            prompt_tokens: PROMPT_TOKENS,
            completion_tokens: COMPLETION_TOKENS,
            cost_nano_usd: ONE_ANSWER_NANO_USD,
            cached: false
        })
    );
    assert_eq!(judged.score.usage, None, "tokens are counted once, on the classification");

    let factors: Vec<(&str, &str, f64)> =
        c.factors.iter().map(|f| (f.name.as_str(), f.value.as_str(), f.contribution)).collect();
    assert_eq!(
        factors,
        [("llm:title", "Speaker", 3.0), ("llm:recent_talk", "Speaker", 2.5), ("llm:company_size", "Sponsor", -0.5)]
    );
    assert!(c.rationale.starts_with("Speaker by language model, confidence 0.86"), "{}", c.rationale);
    assert!(judged.score.factors.iter().any(|f| f.name == "llm:targeting_class" && f.contribution == 2.0));
    assert!(!judged.needs_review(0.6) && judged.needs_review(0.9));

    // What went over the wire: strict JSON Schema output, the model, no name, email or URL.
    let body = &f.server.bodies()[0];
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(body["response_format"]["json_schema"]["schema"]["properties"]["score"]["maximum"], 10);
    let sent = body.to_string();
    assert!(sent.contains("Developer Advocate") && sent.contains("RustConf 2026"));
    for personal in ["Ada", "ada@engines.example", "linkedin.com/in", "rustconf.example/ada"] {
        assert!(!sent.contains(personal), "{personal} was sent");
    }
}

#[tokio::test]
async fn an_identical_prompt_is_answered_from_the_cache() {
    let f = fixture(Reply::Content(profile_answer()), |_| {}).await;
    let first = f.reasoner.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;
    let again = f.reasoner.judge_profile(&speaker("Developer Advocate"), &Targeting::default()).await;

    assert_eq!(f.server.requests(), 1, "no second request");
    assert_eq!(again.classification.engine, first.classification.engine, "same prompt and response hashes");
    assert_eq!(again.classification.usage, Some(LlmUsage { cached: true, ..LlmUsage::default() }));
    assert_eq!((again.class, again.quality), (first.class, first.quality));

    // A different case is a different prompt.
    let other = f.reasoner.judge_profile(&speaker("Keynote Speaker"), &Targeting::default()).await;
    assert_eq!(f.server.requests(), 2);
    assert_ne!(other.classification.engine, first.classification.engine);
}
