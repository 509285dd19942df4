use reachspark_domain::campaign::{AllocationStrategy, ApprovalPolicy, SenderIdentity, Targeting};
use reachspark_domain::decision::DecisionKind;

use super::*;
use crate::rules::analyze_reply;

const NOTICE: &str = "We found your public profile on LinkedIn; we process it under legitimate interest.";
const DISCLOSURE: &str = "This message was prepared with the help of an AI assistant.";

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
        ai_disclosure: DISCLOSURE.into(),
        first_contact_notice: NOTICE.into(),
        follow_up_days: vec![3, 7],
    }
}

fn template(channel: Channel, step: Step, body: &str) -> Template {
    Template { id: "speaker-first-v1".into(), channel, step, body: body.into(), weight: 1.0 }
}

const ADA: Recipient<'static> = Recipient { name: "Ada Lovelace", position: "CTO", company: "Engines Ltd" };

#[test]
fn a_first_message_carries_every_required_block() {
    let t =
        template(Channel::LinkedIn, Step::First, "Hi {first_name}, as {position} at {company} you'd fit our stage.");
    let draft = render(&t, &ADA, &campaign(), Authorship::Template).unwrap();
    assert!(draft.body.starts_with("Hi Ada, as CTO at Engines Ltd you'd fit our stage."), "{}", draft.body);
    for block in ["Sam Organiser\nDevSummit GmbH\nHauptstr. 1, 10115 Berlin", DISCLOSURE, NOTICE, OPT_OUT_LINE] {
        assert!(draft.body.contains(block), "missing {block:?} in {}", draft.body);
    }
    assert!(draft.body.ends_with(OPT_OUT_LINE));
    assert!(!draft.ai_generated && draft.model.is_none() && draft.prompt_hash.is_none());
    assert_eq!(
        (draft.channel, draft.step, draft.template_id.as_str()),
        (Channel::LinkedIn, Step::First, "speaker-first-v1")
    );
    draft.decision.validate(DecisionKind::Draft).unwrap();
    assert_eq!(draft.decision.confidence, 1.0);
    assert!(draft.decision.factors.iter().any(|f| f.name == "block:first_contact_notice"));
}

#[test]
fn a_follow_up_skips_the_notice_but_keeps_the_disclosure_and_opt_out() {
    let t = template(Channel::LinkedIn, Step::FollowUp(1), "Just checking in, {first_name}.");
    let draft = render(&t, &ADA, &campaign(), Authorship::Template).unwrap();
    assert!(!draft.body.contains(NOTICE));
    assert!(draft.body.contains(DISCLOSURE) && draft.body.contains(OPT_OUT_LINE));
}

#[test]
fn email_needs_a_sender_and_a_postal_address() {
    let t = template(Channel::Email, Step::First, "Hi {first_name}");
    let mut c = campaign();
    c.postal_address = Some("  ".into());
    assert_eq!(render(&t, &ADA, &c, Authorship::Template), Err(DraftError::MissingPostalAddress));
    c.sender_identity = None;
    assert_eq!(render(&t, &ADA, &c, Authorship::Template), Err(DraftError::MissingSenderIdentity));
    // LinkedIn has the account holder as sender of record; the address is optional there.
    let linkedin = template(Channel::LinkedIn, Step::First, "Hi {first_name}");
    c.postal_address = None;
    assert!(render(&linkedin, &ADA, &c, Authorship::Template).is_ok());
}

#[test]
fn compliance_texts_cannot_be_blank() {
    let t = template(Channel::LinkedIn, Step::First, "Hi");
    let mut c = campaign();
    c.first_contact_notice = " ".into();
    assert_eq!(render(&t, &ADA, &c, Authorship::Template), Err(DraftError::MissingFirstContactNotice));
    c.ai_disclosure = String::new();
    assert_eq!(render(&t, &ADA, &c, Authorship::Template), Err(DraftError::MissingAiDisclosure));
}

#[test]
fn unknown_placeholders_and_empty_text_are_refused() {
    let c = campaign();
    let bad = template(Channel::LinkedIn, Step::First, "Hi {frist_name}");
    assert_eq!(render(&bad, &ADA, &c, Authorship::Template), Err(DraftError::UnknownPlaceholder("frist_name".into())));
    let empty = template(Channel::LinkedIn, Step::First, "  {last_name} ");
    let nameless = Recipient { name: "", ..ADA };
    assert_eq!(render(&empty, &nameless, &c, Authorship::Template), Err(DraftError::EmptyText));
}

#[test]
fn a_missing_value_falls_back_and_costs_confidence() {
    let t = template(Channel::LinkedIn, Step::First, "Hi {first_name} at {company}");
    let unknown = Recipient { name: " ", position: "", company: "" };
    let draft = render(&t, &unknown, &campaign(), Authorship::Template).unwrap();
    assert!(draft.body.starts_with("Hi there at your company"), "{}", draft.body);
    assert_eq!(draft.decision.confidence, 0.5);
    let fallbacks: Vec<&str> =
        draft.decision.factors.iter().filter(|f| f.contribution < 0.0).map(|f| f.name.as_str()).collect();
    assert_eq!(fallbacks, ["placeholder_fallback:first_name", "placeholder_fallback:company"]);
    // With the agent's floor at 0.6, such a draft waits for a person even under `Never`.
    assert!(needs_approval(draft.decision.confidence, ApprovalPolicy::Never, 10, 0.6).required);
}

#[test]
fn a_model_written_text_is_flagged_and_traced() {
    let t = template(Channel::LinkedIn, Step::First, "ignored");
    let llm = Authorship::Llm {
        provider: "openai",
        model: "gpt-4o-mini",
        prompt_hash: "ab12",
        response_hash: "cd34",
        text: "Dear {first_name}, your talk on engines was superb.",
    };
    let draft = render(&t, &ADA, &campaign(), llm).unwrap();
    assert!(draft.body.starts_with("Dear Ada, your talk"));
    assert!(draft.ai_generated);
    assert_eq!((draft.model.as_deref(), draft.prompt_hash.as_deref()), (Some("gpt-4o-mini"), Some("ab12")));
    assert!(matches!(draft.decision.engine, Engine::Llm { ref response_hash, .. } if response_hash == "cd34"));
    assert_eq!(draft.decision.confidence, 0.8);
    // The campaign's first two drafts go to a person.
    let policy = campaign().approval_policy;
    assert!(needs_approval(draft.decision.confidence, policy, 1, 0.5).required);
    assert!(!needs_approval(draft.decision.confidence, policy, 2, 0.5).required);
}

#[test]
fn the_decision_holds_no_personal_data() {
    let t = template(Channel::Email, Step::First, "Hi {full_name} of {company}");
    let draft = render(&t, &ADA, &campaign(), Authorship::Template).unwrap();
    let json = serde_json::to_string(&draft.decision).unwrap();
    for personal in ["Ada", "Lovelace", "Engines Ltd"] {
        assert!(!json.contains(personal), "{personal} in {json}");
    }
}

#[test]
fn a_recipient_who_answers_the_opt_out_line_is_understood() {
    assert_eq!(analyze_reply("unsubscribe").1, reachspark_domain::lead::Intent::OptOut);
    // Our own line, quoted back in a positive reply, is not an objection.
    let reply = format!("Happy to chat!\n> {OPT_OUT_LINE}");
    assert_eq!(analyze_reply(&reply).1, reachspark_domain::lead::Intent::Interested);
}

#[test]
fn a_profile_gives_the_recipient() {
    let profile = crate::profile::Profile {
        name: "Ada Lovelace".into(),
        position: "CTO".into(),
        company: "Engines Ltd".into(),
        ..Default::default()
    };
    assert_eq!(Recipient::from_profile(&profile), ADA);
}
