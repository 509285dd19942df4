//! Given/when/then tests of the Campaign aggregate.

use std::collections::BTreeMap;

use super::*;
use crate::decision::{DecisionError, DecisionKind};
use crate::event::{Actor, DomainEvent};
use crate::lead::{LeadClass, Step};
use crate::testing::{self, at, decision};

fn given(events: impl IntoIterator<Item = CampaignEvent>) -> testing::Given<Campaign> {
    testing::given::<Campaign>(events)
}

fn template(id: &str, channel: Channel) -> Template {
    Template { id: id.to_owned(), channel, step: Step::First, body: "Hello {first_name}, ...".to_owned(), weight: 1.0 }
}

fn create() -> CreateCampaign {
    CreateCampaign {
        name: "RustConf speakers".to_owned(),
        targeting: Targeting {
            classes: vec![LeadClass::Speaker],
            keywords: vec!["rust".to_owned()],
            locations: vec![],
            min_score: 6,
        },
        templates: vec![template("li-first", Channel::LinkedIn), template("li-follow", Channel::LinkedIn)],
        allocation_strategy: AllocationStrategy::LeastLoaded,
        approval_policy: ApprovalPolicy::FirstN(20),
        sender_identity: None,
        postal_address: None,
        ai_disclosure: "This message was written with the help of an AI.".to_owned(),
        first_contact_notice: "We are ..., we found your talk at ...; reply STOP to object.".to_owned(),
        follow_up_days: vec![3, 7],
        created_by: Actor::person("owner"),
        at: at(3, 9, 0),
    }
}

fn created() -> CampaignEvent {
    let c = create();
    CampaignEvent::CampaignCreated {
        name: c.name,
        targeting: c.targeting,
        templates: c.templates,
        allocation_strategy: c.allocation_strategy,
        approval_policy: c.approval_policy,
        sender_identity: c.sender_identity,
        postal_address: c.postal_address,
        ai_disclosure: c.ai_disclosure,
        first_contact_notice: c.first_contact_notice,
        follow_up_days: c.follow_up_days,
        created_by: c.created_by,
        at: c.at,
    }
}

fn identity() -> SenderIdentity {
    SenderIdentity { organisation: "ReachSpark Ltd".to_owned(), sender_name: "Sam".to_owned(), reply_to: None }
}

fn retired(id: &str) -> CampaignEvent {
    CampaignEvent::TemplateRetired { template_id: id.to_owned(), at: at(4, 9, 0) }
}

#[test]
fn a_campaign_is_created_once() {
    let state = given([]).when(create()).then([created()]);
    assert!(state.is_active());
    assert_eq!(state.active_templates().count(), 2);
    given([created()]).when(create()).then_error(CampaignError::AlreadyCreated);
}

#[test]
fn nothing_happens_to_a_campaign_that_does_not_exist() {
    given([])
        .when(RetireTemplate { template_id: "li-first".to_owned(), at: at(4, 9, 0) })
        .then_error(CampaignError::NotCreated);
    given([])
        .when(PauseCampaign { by: Actor::person("o"), reason: "x".to_owned(), at: at(4, 9, 0) })
        .then_error(CampaignError::NotCreated);
}

#[test]
fn a_campaign_needs_its_notice_texts_and_templates() {
    given([])
        .when(CreateCampaign { ai_disclosure: " ".to_owned(), ..create() })
        .then_error(CampaignError::MissingAiDisclosure);
    given([])
        .when(CreateCampaign { first_contact_notice: String::new(), ..create() })
        .then_error(CampaignError::MissingFirstContactNotice);
    given([]).when(CreateCampaign { templates: vec![], ..create() }).then_error(CampaignError::NoTemplates);
    let twice = vec![template("a", Channel::LinkedIn), template("a", Channel::LinkedIn)];
    given([])
        .when(CreateCampaign { templates: twice, ..create() })
        .then_error(CampaignError::DuplicateTemplate("a".to_owned()));
}

#[test]
fn email_needs_a_sender_identity_and_a_postal_address() {
    let email = vec![template("mail-first", Channel::Email)];
    given([])
        .when(CreateCampaign { templates: email.clone(), ..create() })
        .then_error(CampaignError::MissingSenderIdentity);
    given([])
        .when(CreateCampaign {
            templates: email.clone(),
            sender_identity: Some(identity()),
            postal_address: Some("  ".to_owned()),
            ..create()
        })
        .then_error(CampaignError::MissingPostalAddress);
    let lawful = CreateCampaign {
        templates: email,
        sender_identity: Some(identity()),
        postal_address: Some("1 Main St, Springfield".to_owned()),
        ..create()
    };
    assert_eq!(given([]).when(lawful).events().len(), 1);
    // Adding an email template later is held to the same rule.
    given([created()])
        .when(AddTemplate { template: template("mail-first", Channel::Email), at: at(4, 9, 0) })
        .then_error(CampaignError::MissingSenderIdentity);
}

#[test]
fn templates_are_added_and_retired_but_never_the_last_one() {
    let added = template("li-second", Channel::LinkedIn);
    given([created()])
        .when(AddTemplate { template: added.clone(), at: at(4, 9, 0) })
        .then([CampaignEvent::TemplateAdded { template: added, at: at(4, 9, 0) }]);
    given([created()])
        .when(AddTemplate { template: template("li-first", Channel::LinkedIn), at: at(4, 9, 0) })
        .then_error(CampaignError::DuplicateTemplate("li-first".to_owned()));
    let retire = |id: &str| RetireTemplate { template_id: id.to_owned(), at: at(4, 9, 0) };
    let state = given([created()]).when(retire("li-first")).then([retired("li-first")]);
    assert!(state.template("li-first").is_some_and(|t| t.retired));
    given([created(), retired("li-first")])
        .when(retire("li-first"))
        .then_error(CampaignError::TemplateAlreadyRetired("li-first".to_owned()));
    given([created(), retired("li-first")])
        .when(retire("li-follow"))
        .then_error(CampaignError::LastActiveTemplate("li-follow".to_owned()));
    given([created()]).when(retire("nope")).then_error(CampaignError::UnknownTemplate("nope".to_owned()));
}

#[test]
fn pause_only_when_active_and_resume_only_when_paused() {
    let pause = PauseCampaign { by: Actor::person("owner"), reason: "budget review".to_owned(), at: at(4, 9, 0) };
    let paused = CampaignEvent::CampaignPaused {
        by: Actor::person("owner"),
        reason: "budget review".to_owned(),
        at: at(4, 9, 0),
    };
    let state = given([created()]).when(pause.clone()).then([paused.clone()]);
    assert!(state.is_paused() && !state.is_active());
    given([created(), paused.clone()]).when(pause).then_error(CampaignError::AlreadyPaused);
    let resume = ResumeCampaign { by: Actor::person("owner"), at: at(5, 9, 0) };
    let state = given([created(), paused])
        .when(resume.clone())
        .then([CampaignEvent::CampaignResumed { by: Actor::person("owner"), at: at(5, 9, 0) }]);
    assert!(state.is_active());
    given([created()]).when(resume).then_error(CampaignError::NotPaused);
}

#[test]
fn strategy_updates_carry_a_strategy_decision() {
    let weights = StrategyChange::TemplateWeights { weights: BTreeMap::from([("li-first".to_owned(), 3.0)]) };
    let update = |change: StrategyChange, kind| UpdateStrategy { change, decision: decision(kind), at: at(5, 9, 0) };
    let state = given([created()]).when(update(weights.clone(), DecisionKind::StrategyChange)).then([
        CampaignEvent::StrategyUpdated {
            change: weights.clone(),
            decision: decision(DecisionKind::StrategyChange),
            at: at(5, 9, 0),
        },
    ]);
    assert_eq!(state.template("li-first").map(|t| t.template.weight), Some(3.0));
    given([created()]).when(update(weights, DecisionKind::Score)).then_error(CampaignError::InvalidDecision(
        DecisionError::WrongKind { expected: DecisionKind::StrategyChange, actual: DecisionKind::Score },
    ));
    let unknown = StrategyChange::TemplateWeights { weights: BTreeMap::from([("nope".to_owned(), 1.0)]) };
    given([created()])
        .when(update(unknown, DecisionKind::StrategyChange))
        .then_error(CampaignError::UnknownTemplate("nope".to_owned()));
    let negative = StrategyChange::TemplateWeights { weights: BTreeMap::from([("li-first".to_owned(), -1.0)]) };
    given([created()])
        .when(update(negative, DecisionKind::StrategyChange))
        .then_error(CampaignError::InvalidWeight { template_id: "li-first".to_owned() });
    let thresholds = StrategyChange::Thresholds { min_score: 8, approval_policy: ApprovalPolicy::BelowConfidence(0.9) };
    let state = given([created()]).when(update(thresholds.clone(), DecisionKind::StrategyChange)).then([
        CampaignEvent::StrategyUpdated {
            change: thresholds,
            decision: decision(DecisionKind::StrategyChange),
            at: at(5, 9, 0),
        },
    ]);
    assert!(state.requires_approval(1000, 0.5));
    assert_eq!(state.settings().map(|s| s.targeting.min_score), Some(8));
}

#[test]
fn the_approval_helper_follows_the_campaign_policy() {
    let state = given([created()]).state().clone();
    assert!(state.requires_approval(19, 1.0));
    assert!(!state.requires_approval(20, 0.1));
    assert!(CampaignState::default().requires_approval(1000, 1.0), "no campaign: be careful");
}

#[test]
fn event_types_are_the_serialised_tags() {
    let events = [
        created(),
        CampaignEvent::StrategyUpdated {
            change: StrategyChange::Thresholds { min_score: 5, approval_policy: ApprovalPolicy::Always },
            decision: decision(DecisionKind::StrategyChange),
            at: at(4, 9, 0),
        },
        CampaignEvent::TemplateAdded { template: template("x", Channel::LinkedIn), at: at(4, 9, 0) },
        retired("x"),
        CampaignEvent::CampaignPaused { by: Actor::system(), reason: "r".to_owned(), at: at(4, 9, 0) },
        CampaignEvent::CampaignResumed { by: Actor::system(), at: at(4, 9, 0) },
    ];
    for event in events {
        let json = serde_json::to_value(&event).expect("serialisable");
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<CampaignEvent>(json).expect("deserialisable"), event);
    }
}

#[test]
fn a_draft_carries_the_notice_the_disclosure_and_on_email_the_sender() {
    let state = given([created()]).state().clone();
    let c = create();
    let draft = |template_id, step, body: &'static str, ai_generated| DraftCheck {
        template_id,
        channel: Channel::LinkedIn,
        step,
        body,
        ai_generated,
    };
    let notice = "Hi. We are ..., we found your talk at ...; reply STOP to object.";
    assert_eq!(state.check_draft(draft(Some("li-first"), Step::First, notice, false)), Ok(()));
    assert_eq!(
        state.check_draft(draft(Some("li-first"), Step::First, "Hi, no notice", false)),
        Err(DraftError::MissingFirstContactNotice)
    );
    assert_eq!(state.check_draft(draft(None, Step::FollowUp(1), "Any news?", false)), Ok(()));
    assert_eq!(
        state.check_draft(draft(None, Step::FollowUp(1), "Any news?", true)),
        Err(DraftError::MissingAiDisclosure)
    );
    assert_eq!(
        state.check_draft(draft(Some("nope"), Step::First, notice, false)),
        Err(DraftError::UnknownTemplate("nope".to_owned()))
    );
    let paused =
        given([created(), CampaignEvent::CampaignPaused { by: Actor::person("o"), reason: "x".into(), at: c.at }]);
    assert_eq!(paused.state().check_draft(draft(None, Step::FollowUp(1), "x", false)), Err(DraftError::CampaignPaused));
    assert_eq!(
        CampaignState::default().check_draft(draft(None, Step::First, notice, false)),
        Err(DraftError::NotCreated)
    );

    let mut email = create();
    email.templates.push(template("mail-first", Channel::Email));
    email.sender_identity = Some(identity());
    email.postal_address = Some("1 Main St, Springfield".to_owned());
    let state = given([]).when(email).events().into_iter().fold(CampaignState::default(), CampaignState::apply);
    let mail = |body: &'static str| DraftCheck {
        template_id: Some("mail-first"),
        channel: Channel::Email,
        step: Step::First,
        body,
        ai_generated: false,
    };
    let full = "We are ..., we found your talk at ...; reply STOP to object. ReachSpark Ltd, 1 Main St, Springfield";
    assert_eq!(state.check_draft(mail(full)), Ok(()));
    assert_eq!(
        state.check_draft(mail("We are ..., we found your talk at ...; reply STOP to object.")),
        Err(DraftError::MissingSenderIdentity)
    );
}
