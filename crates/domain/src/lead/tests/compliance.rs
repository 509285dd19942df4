//! Objection, erasure and the personal-data boundary of the event payloads.

use super::*;
use crate::event::DomainEvent;

fn opt_out(source: OptOutSource) -> OptOut {
    OptOut { source, at: at(4, 8, 30) }
}

fn erase() -> ErasePersonalData {
    ErasePersonalData { requested_by: Actor::person("dpo"), at: at(5, 12, 0) }
}

#[test]
fn an_opt_out_is_accepted_in_every_state_and_records_the_deadline() {
    let states: Vec<Vec<LeadEvent>> = vec![
        vec![discovered()],
        vec![discovered(), allocated()],
        after_first_send(),
        after_first_send().into_iter().chain([responded()]).collect(),
        vec![discovered(), LeadEvent::LeadClosed { outcome: CloseOutcome::Lost, at: when_at(4) }],
        vec![discovered(), erased()],
    ];
    for events in states {
        let state = given(events).when(opt_out(OptOutSource::Reply)).then([opted_out()]);
        assert!(state.is_opted_out());
        assert_eq!(state.status(), Some(ContactStatus::OptedOut));
        // Tuesday 4 March + 10 business days = Tuesday 18 March.
        assert_eq!(state.opt_out().map(|o| o.honour_by), Some(at(18, 8, 30)));
    }
    given([discovered(), opted_out()]).when(opt_out(OptOutSource::Link)).then_error(LeadError::AlreadyOptedOut);
}

#[test]
fn after_an_opt_out_nothing_reaches_the_person_on_any_channel() {
    let objected: Vec<_> = after_first_send().into_iter().chain([opted_out()]).collect();
    let email_draft = DraftMessage { channel: Channel::Email, ..draft(MSG2, Step::FollowUp(1), false) };
    let commands: Vec<LeadCommand> = vec![
        draft(MSG2, Step::FollowUp(1), false).into(),
        email_draft.into(),
        ScheduleFollowUp { step: 1, due_at: when_at(6), at: when_at(4) }.into(),
        AllocateLead {
            account_id: OTHER_ACCOUNT,
            priority: 1,
            decision: decision(DecisionKind::Allocation),
            at: when_at(4),
        }
        .into(),
        ReassignLead { to: OTHER_ACCOUNT, decision: decision(DecisionKind::Allocation), at: when_at(4) }.into(),
        ScoreLead { score: 9, decision: decision(DecisionKind::Score) }.into(),
        QualifyLead { by: Actor::person("sales"), note: None, at: when_at(4) }.into(),
    ];
    for command in commands {
        given(objected.clone()).when(command).then_error(LeadError::OptedOut);
    }
}

#[test]
fn a_message_scheduled_before_the_opt_out_is_not_sent() {
    let events = [discovered(), allocated(), drafted(MSG, Step::First, false), scheduled(MSG), opted_out()];
    let record = RecordSent { message_id: MSG, provider_message_id: "p".to_owned(), at: when_at(4) };
    given(events.clone()).when(record).then_error(LeadError::OptedOut);
    let state = given(events.clone()).state().clone();
    assert_eq!(
        state.scheduled_messages().map(|(id, s)| (id, s.reservation_id)).collect::<Vec<_>>(),
        [(MSG, RESERVATION)]
    );
    let failure = RecordSendFailed {
        message_id: MSG,
        kind: FailureKind::Permanent,
        reason: "cancelled".to_owned(),
        at: when_at(4),
    };
    assert_eq!(given(events).when(failure).events().len(), 1, "facts about the send stay recordable");
}

#[test]
fn erasure_is_allowed_once_in_any_discovered_state() {
    for events in [vec![discovered()], after_first_send(), vec![discovered(), opted_out()]] {
        given(events).when(erase()).then([erased()]);
    }
    given([discovered(), erased()]).when(erase()).then_error(LeadError::AlreadyErased);
}

#[test]
fn after_erasure_no_new_personal_data_and_no_contact() {
    let gone: Vec<_> = after_first_send().into_iter().chain([erased()]).collect();
    let commands: Vec<LeadCommand> = vec![
        AddNote { text: pii("called"), author: Actor::person("sales"), at: when_at(6) }.into(),
        RecordResponse { response_id: RESPONSE, message_id: None, text: pii("hi"), at: when_at(6) }.into(),
        EnrichLead { facts: vec![], at: when_at(6) }.into(),
        draft(MSG2, Step::FollowUp(1), false).into(),
        ScheduleFollowUp { step: 1, due_at: when_at(7), at: when_at(6) }.into(),
        QualifyLead { by: Actor::person("sales"), note: None, at: when_at(6) }.into(),
    ];
    for command in commands {
        given(gone.clone()).when(command).then_error(LeadError::Erased);
    }
    let close = CloseLead { outcome: CloseOutcome::Disqualified, at: when_at(6) };
    assert_eq!(given(gone).when(close).events().len(), 1);
}

#[test]
fn erasure_blanks_the_personal_data_held_in_state() {
    let state = given(after_first_send()).when(erase()).then([erased()]);
    let person = state.person().expect("still discovered");
    assert!(person.name.is_erased() && person.source_ref.is_erased());
    assert_eq!(person.email, Some(Pii::Erased));
    assert_eq!(person.company, "Analytical Engines", "not personal data in our model");
    assert!(state.message(MSG).is_some_and(|m| m.body.is_erased()));
    assert!(state.is_erased());
}

/// Every variant, for checks that must cover the whole vocabulary.
fn one_of_each() -> Vec<LeadEvent> {
    let d = decision;
    vec![
        discovered(),
        LeadEvent::LeadEnriched { facts: vec![], at: when_at(3) },
        LeadEvent::LeadClassified {
            class: LeadClass::Speaker,
            decision: d(DecisionKind::Classification),
            at: when_at(3),
        },
        LeadEvent::LeadScored { quality_score: 8, decision: d(DecisionKind::Score) },
        allocated(),
        drafted(MSG, Step::First, true),
        LeadEvent::MessageApprovalRequested { message_id: MSG, at: when_at(3) },
        approved(MSG),
        LeadEvent::MessageRejected {
            message_id: MSG,
            by: Actor::person("r"),
            reason: pii("no"),
            decision: approval(&Actor::person("r"), "rejected"),
            at: when_at(3),
        },
        scheduled(MSG),
        sent(MSG),
        LeadEvent::MessageSendFailed {
            message_id: MSG,
            kind: FailureKind::Transient,
            attempt: 1,
            reason: "x".to_owned(),
            at: when_at(3),
        },
        responded(),
        LeadEvent::ResponseAnalyzed {
            response_id: RESPONSE,
            sentiment: Sentiment::Positive,
            intent: Intent::Interested,
            decision: d(DecisionKind::ReplyAnalysis),
            at: when_at(3),
        },
        LeadEvent::FollowUpScheduled { step: 1, due_at: when_at(6), at: when_at(3) },
        LeadEvent::LeadQualified { by: Actor::person("s"), note: Some(pii("warm")), at: when_at(3) },
        LeadEvent::LeadClosed { outcome: CloseOutcome::Won, at: when_at(3) },
        opted_out(),
        erased(),
        LeadEvent::NoteAdded { text: pii("note"), author: Actor::person("s"), at: when_at(3) },
        LeadEvent::LeadReassigned {
            from: ACCOUNT,
            to: OTHER_ACCOUNT,
            decision: d(DecisionKind::Allocation),
            at: when_at(3),
        },
    ]
}

#[test]
fn event_types_are_the_serialised_tags_and_payloads_round_trip() {
    let events = one_of_each();
    assert_eq!(events.len(), 21);
    for event in events {
        let json = serde_json::to_value(&event).expect("serialisable");
        assert_eq!(json["type"], event.event_type());
        assert!(json["data"].is_object(), "{} has a struct payload", event.event_type());
        assert_eq!(serde_json::from_value::<LeadEvent>(json).expect("deserialisable"), event);
    }
}

#[test]
fn personal_data_travels_only_as_pii_and_never_inside_decisions() {
    let personal = ["Ada Lovelace", "ada@example.com", "ada-lovelace", "Hello Ada", "speakers.csv", "tell me more"];
    for event in one_of_each() {
        let mut json = serde_json::to_value(&event).expect("serialisable");
        strip_pii(&mut json);
        let text = json.to_string();
        for needle in personal {
            assert!(!text.contains(needle), "{} leaks {needle} outside Pii", event.event_type());
        }
    }
}

/// Removes every `{"$pii": ..}` object, leaving what the store would keep in clear.
fn strip_pii(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) if map.contains_key(crate::pii::PII_MARKER) => {
            *value = serde_json::Value::Null;
        }
        serde_json::Value::Object(map) => map.values_mut().for_each(strip_pii),
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_pii),
        _ => {}
    }
}
