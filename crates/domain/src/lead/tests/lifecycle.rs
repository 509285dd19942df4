//! Discovery, classification, scoring, allocation and the end of a lead.

use super::*;
use crate::decision::DecisionError;

#[test]
fn a_person_is_discovered_once() {
    let state = given([]).when(discover()).then([discovered()]);
    assert_eq!(state.status(), Some(ContactStatus::New));
    assert_eq!(state.campaign_id(), Some(CAMPAIGN));
    given([discovered()]).when(discover()).then_error(LeadError::AlreadyDiscovered);
}

#[test]
fn rediscovery_never_undoes_an_objection_or_an_erasure() {
    given([discovered(), opted_out()]).when(discover()).then_error(LeadError::OptedOut);
    given([discovered(), erased()]).when(discover()).then_error(LeadError::Erased);
    given([discovered(), opted_out(), erased()]).when(discover()).then_error(LeadError::Erased);
}

#[test]
fn discovery_needs_a_profile_url_or_an_email() {
    let nameless = DiscoverLead { profile_url: None, email: None, ..discover() };
    given([]).when(nameless).then_error(LeadError::MissingIdentifier);
    let email_only = DiscoverLead { profile_url: None, ..discover() };
    assert_eq!(given([]).when(email_only).events().len(), 1);
}

#[test]
fn nothing_happens_before_discovery() {
    let commands: Vec<LeadCommand> = vec![
        ClassifyLead { class: LeadClass::Speaker, decision: decision(DecisionKind::Classification), at: when_at(3) }
            .into(),
        ScoreLead { score: 5, decision: decision(DecisionKind::Score) }.into(),
        draft(MSG, Step::First, false).into(),
        OptOut { source: OptOutSource::Link, at: when_at(3) }.into(),
        ErasePersonalData { requested_by: Actor::person("dpo"), at: when_at(3) }.into(),
        AddNote { text: pii("note"), author: Actor::person("sales"), at: when_at(3) }.into(),
        CloseLead { outcome: CloseOutcome::Lost, at: when_at(3) }.into(),
    ];
    for command in commands {
        given([]).when(command).then_error(LeadError::NotDiscovered);
    }
}

#[test]
fn classification_needs_a_valid_classification_decision() {
    let classify = |kind| ClassifyLead { class: LeadClass::Sponsor, decision: decision(kind), at: when_at(3) };
    let state = given([discovered()]).when(classify(DecisionKind::Classification)).then([LeadEvent::LeadClassified {
        class: LeadClass::Sponsor,
        decision: decision(DecisionKind::Classification),
        at: when_at(3),
    }]);
    assert_eq!(state.classification(), Some(LeadClass::Sponsor));
    given([discovered()]).when(classify(DecisionKind::Score)).then_error(LeadError::InvalidDecision(
        DecisionError::WrongKind { expected: DecisionKind::Classification, actual: DecisionKind::Score },
    ));
    let unexplained = ClassifyLead {
        decision: crate::Decision { rationale: " ".to_owned(), ..decision(DecisionKind::Classification) },
        ..classify(DecisionKind::Classification)
    };
    given([discovered()]).when(unexplained).then_error(LeadError::InvalidDecision(DecisionError::MissingRationale));
}

#[test]
fn scores_run_from_one_to_ten() {
    let score = |score| ScoreLead { score, decision: decision(DecisionKind::Score) };
    let state = given([discovered()])
        .when(score(10))
        .then([LeadEvent::LeadScored { quality_score: 10, decision: decision(DecisionKind::Score) }]);
    assert_eq!(state.score(), Some(10));
    given([discovered()]).when(score(0)).then_error(LeadError::ScoreOutOfRange(0));
    given([discovered()]).when(score(11)).then_error(LeadError::ScoreOutOfRange(11));
}

fn allocate(account_id: Uuid) -> AllocateLead {
    AllocateLead { account_id, priority: 5, decision: decision(DecisionKind::Allocation), at: at(3, 9, 5) }
}

#[test]
fn one_active_allocation_at_a_time() {
    let state = given([discovered()]).when(allocate(ACCOUNT)).then([allocated()]);
    assert_eq!(state.status(), Some(ContactStatus::Allocated));
    assert_eq!(state.allocated_account(), Some(ACCOUNT));
    given([discovered(), allocated()])
        .when(allocate(OTHER_ACCOUNT))
        .then_error(LeadError::AlreadyAllocated { account_id: ACCOUNT });
}

#[test]
fn reassignment_moves_an_allocated_lead() {
    let reassign = |to| ReassignLead { to, decision: decision(DecisionKind::Allocation), at: when_at(4) };
    let state = given([discovered(), allocated()]).when(reassign(OTHER_ACCOUNT)).then([LeadEvent::LeadReassigned {
        from: ACCOUNT,
        to: OTHER_ACCOUNT,
        decision: decision(DecisionKind::Allocation),
        at: when_at(4),
    }]);
    assert_eq!(state.allocated_account(), Some(OTHER_ACCOUNT));
    given([discovered()]).when(reassign(OTHER_ACCOUNT)).then_error(LeadError::NotAllocated);
    given([discovered(), allocated()])
        .when(reassign(ACCOUNT))
        .then_error(LeadError::AlreadyAllocated { account_id: ACCOUNT });
}

#[test]
fn the_status_follows_the_sheet() {
    let mut events = after_first_send();
    let state = given(events.clone()).state().clone();
    assert_eq!(state.status(), Some(ContactStatus::Sent));
    events.push(responded());
    assert_eq!(given(events.clone()).state().status(), Some(ContactStatus::Responded));
    let qualify = QualifyLead { by: Actor::person("sales"), note: None, at: when_at(4) };
    let state = given(events.clone()).when(qualify.clone()).then([LeadEvent::LeadQualified {
        by: Actor::person("sales"),
        note: None,
        at: when_at(4),
    }]);
    assert_eq!(state.status(), Some(ContactStatus::Qualified));
    events.push(LeadEvent::LeadQualified { by: Actor::person("sales"), note: None, at: when_at(4) });
    given(events.clone())
        .when(qualify)
        .then_error(LeadError::InvalidTransition { from: ContactStatus::Qualified, command: "QualifyLead" });
    let close = CloseLead { outcome: CloseOutcome::Won, at: when_at(5) };
    let state = given(events.clone())
        .when(close.clone())
        .then([LeadEvent::LeadClosed { outcome: CloseOutcome::Won, at: when_at(5) }]);
    assert_eq!(state.status(), Some(ContactStatus::Closed));
    events.push(LeadEvent::LeadClosed { outcome: CloseOutcome::Won, at: when_at(5) });
    given(events)
        .when(close)
        .then_error(LeadError::InvalidTransition { from: ContactStatus::Closed, command: "CloseLead" });
}

#[test]
fn closed_leads_take_notes_but_no_outreach() {
    let closed = [discovered(), allocated(), LeadEvent::LeadClosed { outcome: CloseOutcome::Lost, at: when_at(4) }];
    let note = AddNote { text: pii("met at a conference"), author: Actor::person("sales"), at: when_at(5) };
    assert!(matches!(given(closed.clone()).when(note).events()[..], [LeadEvent::NoteAdded { .. }]));
    given(closed.clone())
        .when(draft(MSG, Step::First, false))
        .then_error(LeadError::InvalidTransition { from: ContactStatus::Closed, command: "DraftMessage" });
    let reassign = ReassignLead { to: OTHER_ACCOUNT, decision: decision(DecisionKind::Allocation), at: when_at(5) };
    given(closed)
        .when(reassign)
        .then_error(LeadError::InvalidTransition { from: ContactStatus::Closed, command: "ReassignLead" });
}

#[test]
fn enrichment_adds_facts_with_evidence() {
    let fact = Fact {
        attribute: "recent_talk".to_owned(),
        value: pii("Keynote at RustConf"),
        evidence_url: pii("https://rustconf.example/speakers"),
    };
    let enrich = EnrichLead { facts: vec![fact.clone()], at: when_at(3) };
    let state = given([discovered()])
        .when(enrich)
        .then([LeadEvent::LeadEnriched { facts: vec![fact.clone()], at: when_at(3) }]);
    assert_eq!(state.person().map(|p| p.facts.clone()), Some(vec![fact]));
}
