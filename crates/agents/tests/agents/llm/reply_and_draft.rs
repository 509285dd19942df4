//! Reply analysis and draft personalisation through the model, and their fallbacks.

use reachspark_agents::draft::{Recipient, OPT_OUT_LINE};
use reachspark_agents::llm::FallbackReason;
use reachspark_domain::campaign::{
    AllocationStrategy, ApprovalPolicy, CampaignSettings, SenderIdentity, Targeting, Template,
};
use reachspark_domain::decision::{DecisionKind, Engine};
use reachspark_domain::lead::{Intent, Sentiment, Step};
use reachspark_domain::sender_account::Channel;
use serde_json::json;

use super::server::Reply;
use super::support::{fixture, speaker};

fn reply_answer() -> String {
    json!({
        "sentiment": "positive",
        "intent": "info_request",
        "confidence": 0.72,
        "evidence": [{"signal": "question", "weight": 2.0}, {"signal": "warm_tone", "weight": 1.0}]
    })
    .to_string()
}

#[tokio::test]
async fn a_reply_is_read_by_the_model_but_an_objection_by_the_rules_alone() {
    let f = fixture(Reply::Content(reply_answer()), |_| {}).await;

    let read = f.reasoner.analyze_reply("Could be interesting for our team. Who else is on the program?").await;
    assert_eq!((read.sentiment, read.intent, read.fallback.clone()), (Sentiment::Positive, Intent::InfoRequest, None));
    read.decision.validate(DecisionKind::ReplyAnalysis).unwrap();
    assert_eq!((read.decision.output.as_str(), read.decision.confidence), ("InfoRequest", 0.72));
    assert!(matches!(read.decision.engine, Engine::Llm { .. }) && read.decision.usage.is_some());
    assert!(read.needs_review(0.8) && !read.needs_review(0.6), "the caller routes low confidence to a person");
    assert_eq!(f.server.bodies()[0]["response_format"]["json_schema"]["name"], "reply_analysis");

    let objection = f.reasoner.analyze_reply("Please remove me from your list.").await;
    assert_eq!(f.server.requests(), 1, "an objection is honoured without asking");
    assert_eq!(objection.intent, Intent::OptOut);
    assert_eq!((objection.decision.engine.clone(), objection.fallback), (reachspark_agents::rules::engine(), None));
}

#[tokio::test]
async fn a_contradictory_reading_falls_back_to_the_rules() {
    let contradictory = json!({"sentiment": "positive", "intent": "not_interested", "confidence": 0.9, "evidence": []});
    let f = fixture(Reply::Content(contradictory.to_string()), |_| {}).await;
    let read = f.reasoner.analyze_reply("Not interested, thanks.").await;
    assert_eq!(f.server.requests(), 2);
    assert_eq!(read.intent, Intent::NotInterested, "the rules' reading");
    assert!(matches!(read.fallback, Some(FallbackReason::InvalidOutput { .. })));
}

fn campaign() -> CampaignSettings {
    CampaignSettings {
        name: "DevSummit 2026".into(),
        targeting: Targeting::default(),
        allocation_strategy: AllocationStrategy::ByScore,
        approval_policy: ApprovalPolicy::FirstN(2),
        sender_identity: Some(SenderIdentity {
            organisation: "DevSummit GmbH".into(),
            sender_name: "Sam Organiser".into(),
            reply_to: None,
        }),
        postal_address: Some("Hauptstr. 1, 10115 Berlin".into()),
        ai_disclosure: "This message was prepared with the help of an AI assistant.".into(),
        first_contact_notice: "We found your public profile; we process it under legitimate interest.".into(),
        follow_up_days: vec![3, 7],
    }
}

fn template() -> Template {
    Template {
        id: "speaker-first-v1".into(),
        channel: Channel::LinkedIn,
        step: Step::First,
        body: "Hi {first_name}, would you speak at DevSummit?".into(),
        weight: 1.0,
    }
}

#[tokio::test]
async fn a_personalised_draft_is_machine_written_and_keeps_every_compliance_block() {
    let text = "Hi {first_name}, your RustConf talk on engines was great. Would you speak at DevSummit?";
    let answer = json!({"text": text, "confidence": 0.7}).to_string();
    let f = fixture(Reply::Content(answer), |_| {}).await;
    let profile = speaker("Developer Advocate");

    let made = f
        .reasoner
        .personalise(&template(), &Recipient::from_profile(&profile), Some(&profile), &campaign())
        .await
        .unwrap();
    let draft = &made.draft;
    assert_eq!(made.fallback, None);
    assert!(draft.body.starts_with("Hi Ada, your RustConf talk"), "{}", draft.body);
    assert!(draft.body.ends_with(OPT_OUT_LINE) && draft.body.contains("AI assistant"));
    assert!(draft.ai_generated && draft.model.as_deref() == Some(super::support::MODEL));
    let Engine::Llm { prompt_hash, .. } = &draft.decision.engine else { panic!("{:?}", draft.decision.engine) };
    assert_eq!(draft.prompt_hash.as_ref(), Some(prompt_hash));
    assert_eq!(draft.decision.confidence, 0.7, "the lower of the draft's 0.8 and the model's 0.7");
    assert!(draft.decision.usage.is_some());
    assert!(!f.server.bodies()[0].to_string().contains("Ada"), "the model sees placeholders, not the name");
}

#[tokio::test]
async fn a_text_with_an_unknown_placeholder_falls_back_to_the_template() {
    let answer = json!({"text": "Hi {frist_name}, speak at DevSummit?", "confidence": 0.9}).to_string();
    let f = fixture(Reply::Content(answer), |_| {}).await;
    let profile = speaker("Developer Advocate");

    let made = f
        .reasoner
        .personalise(&template(), &Recipient::from_profile(&profile), Some(&profile), &campaign())
        .await
        .unwrap();
    assert_eq!(f.server.requests(), 2);
    assert!(matches!(made.fallback, Some(FallbackReason::InvalidOutput { .. })));
    assert!(made.draft.body.starts_with("Hi Ada, would you speak at DevSummit?"));
    assert!(!made.draft.ai_generated);
    assert_eq!(made.draft.decision.engine, reachspark_agents::rules::engine());
    assert!(made.draft.decision.rationale.contains("language model not used"));
}
