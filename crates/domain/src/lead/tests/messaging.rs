//! Drafts, approval, sends, replies and follow-ups.

use super::*;
use crate::decision::{Decision, DecisionError, Engine};

fn approve(message_id: Uuid, edited_body: Option<Pii<String>>) -> ApproveMessage {
    ApproveMessage {
        message_id,
        by: reviewer(),
        edited_body,
        decision: approval(&reviewer(), "approved"),
        at: at(3, 9, 20),
    }
}

fn reject(message_id: Uuid) -> RejectMessage {
    RejectMessage {
        message_id,
        by: reviewer(),
        reason: pii("too pushy"),
        decision: approval(&reviewer(), "rejected"),
        at: at(3, 9, 20),
    }
}

fn rejected(message_id: Uuid) -> LeadEvent {
    let c = reject(message_id);
    LeadEvent::MessageRejected { message_id: c.message_id, by: c.by, reason: c.reason, decision: c.decision, at: c.at }
}

fn record_sent(message_id: Uuid) -> RecordSent {
    RecordSent { message_id, provider_message_id: "prov-1".to_owned(), at: at(3, 10, 0) }
}

fn failed(kind: FailureKind) -> RecordSendFailed {
    RecordSendFailed { message_id: MSG, kind, reason: "rate_limited".to_owned(), at: at(3, 10, 0) }
}

fn follow_up(step: u32) -> ScheduleFollowUp {
    ScheduleFollowUp { step, due_at: at(6, 10, 0), at: at(3, 10, 1) }
}

#[test]
fn a_first_message_is_drafted_for_an_allocated_lead() {
    let state =
        given([discovered(), allocated()]).when(draft(MSG, Step::First, true)).then([drafted(MSG, Step::First, true)]);
    let message = state.message(MSG).expect("drafted");
    assert_eq!(message.status, MessageStatus::Drafted);
    assert!(message.requires_approval && message.ai_generated);
    given([discovered()]).when(draft(MSG, Step::First, false)).then_error(LeadError::NotAllocated);
    given([discovered(), allocated(), drafted(MSG, Step::First, false)])
        .when(draft(MSG, Step::First, false))
        .then_error(LeadError::DuplicateMessage(MSG));
}

#[test]
fn a_draft_needs_an_address_and_ai_provenance() {
    let no_email = DiscoverLead { email: None, ..discover() };
    let events = given([]).when(no_email).events();
    let email_draft = DraftMessage { channel: Channel::Email, ..draft(MSG, Step::First, false) };
    given(events.into_iter().chain([allocated()]))
        .when(email_draft)
        .then_error(LeadError::MissingAddress { channel: Channel::Email });
    let anonymous_ai = DraftMessage { model: None, ..draft(MSG, Step::First, false) };
    given([discovered(), allocated()]).when(anonymous_ai).then_error(LeadError::MissingAiProvenance);
    let by_hand =
        DraftMessage { ai_generated: false, model: None, prompt_hash: None, ..draft(MSG, Step::First, false) };
    assert_eq!(given([discovered(), allocated()]).when(by_hand).events().len(), 1);
}

#[test]
fn approval_is_requested_then_given_with_the_edit_recorded() {
    let draft_needing_approval = [discovered(), allocated(), drafted(MSG, Step::First, true)];
    let state = given(draft_needing_approval.clone())
        .when(RequestApproval { message_id: MSG, at: at(3, 9, 15) })
        .then([LeadEvent::MessageApprovalRequested { message_id: MSG, at: at(3, 9, 15) }]);
    assert_eq!(state.message(MSG).map(|m| m.status), Some(MessageStatus::AwaitingApproval));

    let state = given(draft_needing_approval).when(approve(MSG, Some(pii("Dear Ada, ...")))).then([
        LeadEvent::MessageApproved {
            message_id: MSG,
            by: reviewer(),
            edited: true,
            edited_body: Some(pii("Dear Ada, ...")),
            decision: approval(&reviewer(), "approved"),
            at: at(3, 9, 20),
        },
    ]);
    let message = state.message(MSG).expect("drafted");
    assert!(message.approved && message.edited);
    assert_eq!(message.body, pii("Dear Ada, ..."));
}

#[test]
fn an_approval_records_the_reviewers_decision() {
    let events = given([discovered(), allocated(), drafted(MSG, Step::First, true)]).when(approve(MSG, None)).events();
    let [LeadEvent::MessageApproved { decision, by, .. }] = &events[..] else {
        panic!("expected one MessageApproved, got {events:?}");
    };
    assert_eq!(decision.kind, DecisionKind::Approval);
    assert_eq!(decision.output, "approved");
    assert_eq!(decision.engine, Engine::Human);
    assert_eq!(&decision.decided_by, by);
}

#[test]
fn an_approval_needs_a_valid_decision_of_the_approval_kind() {
    let draft_needing_approval = [discovered(), allocated(), drafted(MSG, Step::First, true)];
    let wrong_kind = ApproveMessage {
        decision: Decision { decided_by: reviewer(), ..decision(DecisionKind::Draft) },
        ..approve(MSG, None)
    };
    given(draft_needing_approval.clone()).when(wrong_kind).then_error(LeadError::InvalidDecision(
        DecisionError::WrongKind { expected: DecisionKind::Approval, actual: DecisionKind::Draft },
    ));
    let no_rationale = ApproveMessage {
        decision: Decision { rationale: " ".to_owned(), ..approval(&reviewer(), "approved") },
        ..approve(MSG, None)
    };
    given(draft_needing_approval)
        .when(no_rationale)
        .then_error(LeadError::InvalidDecision(DecisionError::MissingRationale));
}

#[test]
fn an_approval_must_be_decided_by_the_approving_actor() {
    let someone_else = Actor::person("someone-else");
    let impersonated = ApproveMessage { decision: approval(&someone_else, "approved"), ..approve(MSG, None) };
    given([discovered(), allocated(), drafted(MSG, Step::First, true)])
        .when(impersonated)
        .then_error(LeadError::DecisionActorMismatch { by: reviewer(), decided_by: someone_else });
    // The same person as an agent is another actor.
    let agent = Actor::agent("reviewer");
    let as_agent = ApproveMessage { decision: approval(&agent, "approved"), ..approve(MSG, None) };
    given([discovered(), allocated(), drafted(MSG, Step::First, true)])
        .when(as_agent)
        .then_error(LeadError::DecisionActorMismatch { by: reviewer(), decided_by: agent });
}

#[test]
fn an_approval_whose_decision_says_rejected_is_refused_and_vice_versa() {
    let contradicting = ApproveMessage { decision: approval(&reviewer(), "rejected"), ..approve(MSG, None) };
    given([discovered(), allocated(), drafted(MSG, Step::First, true)])
        .when(contradicting)
        .then_error(LeadError::DecisionOutputMismatch { expected: "approved", actual: "rejected".to_owned() });
    let contradicting = RejectMessage { decision: approval(&reviewer(), "approved"), ..reject(MSG) };
    given([discovered(), allocated(), drafted(MSG, Step::First, true)])
        .when(contradicting)
        .then_error(LeadError::DecisionOutputMismatch { expected: "rejected", actual: "approved".to_owned() });
}

#[test]
fn a_rejection_records_the_reviewers_decision_and_checks_it() {
    let draft_needing_approval = [discovered(), allocated(), drafted(MSG, Step::First, true)];
    let state = given(draft_needing_approval.clone()).when(reject(MSG)).then([rejected(MSG)]);
    assert_eq!(state.message(MSG).map(|m| m.status), Some(MessageStatus::Rejected));
    let wrong_kind =
        RejectMessage { decision: Decision { decided_by: reviewer(), ..decision(DecisionKind::Draft) }, ..reject(MSG) };
    given(draft_needing_approval.clone()).when(wrong_kind).then_error(LeadError::InvalidDecision(
        DecisionError::WrongKind { expected: DecisionKind::Approval, actual: DecisionKind::Draft },
    ));
    let someone_else = Actor::person("someone-else");
    let impersonated = RejectMessage { decision: approval(&someone_else, "rejected"), ..reject(MSG) };
    given(draft_needing_approval)
        .when(impersonated)
        .then_error(LeadError::DecisionActorMismatch { by: reviewer(), decided_by: someone_else });
}

#[test]
fn rejected_drafts_cannot_be_approved() {
    given([discovered(), allocated(), drafted(MSG, Step::First, true), rejected(MSG)])
        .when(approve(MSG, None))
        .then_error(LeadError::InvalidMessageState {
            message_id: MSG,
            status: MessageStatus::Rejected,
            command: "ApproveMessage",
        });
    given([discovered(), allocated()]).when(approve(MSG, None)).then_error(LeadError::UnknownMessage(MSG));
}

#[test]
fn only_a_scheduled_message_is_recorded_as_sent() {
    let state = given([discovered(), allocated(), drafted(MSG, Step::First, false), scheduled(MSG)])
        .when(record_sent(MSG))
        .then([sent(MSG)]);
    assert_eq!(state.status(), Some(ContactStatus::Sent));
    assert_eq!(state.message(MSG).map(|m| m.status), Some(MessageStatus::Sent));
    given([discovered(), allocated(), drafted(MSG, Step::First, false)])
        .when(record_sent(MSG))
        .then_error(LeadError::NotScheduled(MSG));
    given(after_first_send()).when(record_sent(MSG)).then_error(LeadError::NotScheduled(MSG));
}

#[test]
fn failures_count_their_attempts() {
    let events = [discovered(), allocated(), drafted(MSG, Step::First, false), scheduled(MSG)];
    let state = given(events.clone()).when(failed(FailureKind::Transient)).then([LeadEvent::MessageSendFailed {
        message_id: MSG,
        kind: FailureKind::Transient,
        attempt: 1,
        reason: "rate_limited".to_owned(),
        at: at(3, 10, 0),
    }]);
    assert_eq!(state.message(MSG).map(|m| m.status), Some(MessageStatus::Failed(FailureKind::Transient)));
    let first_failure = given(events.clone()).when(failed(FailureKind::Transient)).events();
    let retried = events.into_iter().chain(first_failure).chain([scheduled(MSG)]);
    let second = given(retried).when(failed(FailureKind::Permanent)).events();
    assert!(matches!(second[..], [LeadEvent::MessageSendFailed { attempt: 2, kind: FailureKind::Permanent, .. }]));
}

#[test]
fn follow_ups_are_scheduled_in_order_after_a_send() {
    let state = given(after_first_send()).when(follow_up(1)).then([LeadEvent::FollowUpScheduled {
        step: 1,
        due_at: at(6, 10, 0),
        at: at(3, 10, 1),
    }]);
    assert_eq!(state.follow_ups_scheduled(), 1);
    assert_eq!(state.next_follow_up_due(), Some(at(6, 10, 0)));
    given(after_first_send()).when(follow_up(2)).then_error(LeadError::FollowUpOutOfOrder { expected: 1, got: 2 });
    given([discovered(), allocated()])
        .when(follow_up(1))
        .then_error(LeadError::InvalidTransition { from: ContactStatus::Allocated, command: "ScheduleFollowUp" });
}

#[test]
fn follow_ups_stop_after_a_reply() {
    let replied: Vec<_> = after_first_send().into_iter().chain([responded()]).collect();
    given(replied.clone()).when(follow_up(1)).then_error(LeadError::AlreadyResponded);
    given(replied).when(draft(MSG2, Step::FollowUp(1), false)).then_error(LeadError::AlreadyResponded);
    let drafted_follow_up = drafted(MSG2, Step::FollowUp(1), false);
    assert_eq!(given(after_first_send()).when(draft(MSG2, Step::FollowUp(1), false)).events(), [drafted_follow_up]);
}

#[test]
fn a_follow_up_scheduled_before_the_reply_is_not_sent_after_it() {
    let follow_up_slot = LeadEvent::MessageScheduled {
        message_id: MSG2,
        account_id: ACCOUNT,
        reservation_id: Uuid::from_u128(0x52),
        action_type: ActionType::Message,
        at: at(6, 10, 0),
    };
    let events =
        after_first_send().into_iter().chain([drafted(MSG2, Step::FollowUp(1), false), follow_up_slot, responded()]);
    let state = given(events).state().clone();
    assert_eq!(state.check_send(MSG2).err(), Some(LeadError::AlreadyResponded));
    assert_eq!(state.scheduled_messages().map(|(id, _)| id).collect::<Vec<_>>(), [MSG2]);
}

#[test]
fn replies_are_recorded_and_analysed() {
    let receive = RecordResponse {
        response_id: RESPONSE,
        message_id: Some(MSG),
        text: pii("Thanks, tell me more"),
        at: at(4, 8, 0),
    };
    let state = given(after_first_send()).when(receive.clone()).then([responded()]);
    assert!(state.has_replied());
    assert_eq!(state.status(), Some(ContactStatus::Responded));
    let replied: Vec<_> = after_first_send().into_iter().chain([responded()]).collect();
    given(replied.clone()).when(receive.clone()).then_error(LeadError::DuplicateResponse(RESPONSE));
    let unknown_message = RecordResponse { response_id: Uuid::from_u128(0x72), message_id: Some(MSG2), ..receive };
    given(replied).when(unknown_message).then_error(LeadError::UnknownMessage(MSG2));
}

#[test]
fn an_opt_out_intent_does_not_opt_out_by_itself() {
    let replied: Vec<_> = after_first_send().into_iter().chain([responded()]).collect();
    let analyze = |response_id| AnalyzeResponse {
        response_id,
        sentiment: Sentiment::Negative,
        intent: Intent::OptOut,
        decision: decision(DecisionKind::ReplyAnalysis),
        at: at(4, 8, 1),
    };
    let state = given(replied.clone()).when(analyze(RESPONSE)).then([LeadEvent::ResponseAnalyzed {
        response_id: RESPONSE,
        sentiment: Sentiment::Negative,
        intent: Intent::OptOut,
        decision: decision(DecisionKind::ReplyAnalysis),
        at: at(4, 8, 1),
    }]);
    assert!(!state.is_opted_out());
    assert_eq!(state.responses()[&RESPONSE].analysis, Some((Sentiment::Negative, Intent::OptOut)));
    let unknown = Uuid::from_u128(0x99);
    given(replied).when(analyze(unknown)).then_error(LeadError::UnknownResponse(unknown));
}
