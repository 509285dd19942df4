//! Given/when/then tests of the Agent aggregate: errors, one report a day, alerts.

use chrono::NaiveDate;

use super::*;
use crate::event::DomainEvent;
use crate::testing::{self, at};

fn given(events: impl IntoIterator<Item = AgentEvent>) -> testing::Given<Agent> {
    testing::given::<Agent>(events)
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, d).expect("a valid test day")
}

fn raise(kind: ErrorKind) -> RaiseError {
    RaiseError {
        kind,
        context: "ReserveSend: daily_limit_reached account=00000000-0000-0000-0000-0000000000a1".to_owned(),
        command: Some("ReserveSend".to_owned()),
        at: at(3, 10, 0),
    }
}

fn publish(d: u32) -> PublishDailyReport {
    PublishDailyReport {
        day: day(d),
        report_markdown: "# 2025-03-03\n\n12 sent, 3 replies".to_owned(),
        at: at(4, 7, 0),
    }
}

fn published(d: u32) -> AgentEvent {
    let c = publish(d);
    AgentEvent::DailyReportPublished { day: c.day, report_markdown: c.report_markdown, at: c.at }
}

#[test]
fn errors_of_every_kind_are_recorded_and_counted_apart() {
    let mut history = Vec::new();
    for kind in [ErrorKind::Transient, ErrorKind::Permanent, ErrorKind::Rejected] {
        let c = raise(kind);
        let expected =
            AgentEvent::AgentErrorRaised { kind, context: c.context.clone(), command: c.command.clone(), at: c.at };
        given(history.clone()).when(c).then([expected.clone()]);
        history.push(expected);
    }
    let state = given(history).state().clone();
    assert_eq!((state.errors(), state.rejections(), state.alerts()), (2, 1, 0));
}

#[test]
fn an_error_needs_a_short_context_and_a_plausible_command_name() {
    let blank = RaiseError { context: "  ".to_owned(), ..raise(ErrorKind::Transient) };
    given([]).when(blank).then_error(AgentError::Blank { field: "context" });
    let dump = RaiseError { context: "x".repeat(MAX_CONTEXT_CHARS + 1), ..raise(ErrorKind::Transient) };
    given([]).when(dump).then_error(AgentError::TooLong { field: "context", max: MAX_CONTEXT_CHARS });
    let unnamed = RaiseError { command: Some(String::new()), ..raise(ErrorKind::Permanent) };
    given([]).when(unnamed).then_error(AgentError::Blank { field: "command" });
    let without = RaiseError { command: None, ..raise(ErrorKind::Permanent) };
    assert_eq!(given([]).when(without).events().len(), 1);
}

#[test]
fn a_day_is_reported_once() {
    let state = given([]).when(publish(3)).then([published(3)]);
    assert!(state.has_report(day(3)));
    given([published(3)]).when(publish(3)).then_error(AgentError::ReportAlreadyPublished(day(3)));
    given([published(3)]).when(publish(2)).then([published(2)]);
}

#[test]
fn a_report_covers_a_day_that_has_begun_and_is_not_blank() {
    let ahead = PublishDailyReport { day: day(5), ..publish(3) };
    given([]).when(ahead).then_error(AgentError::ReportDayInFuture { day: day(5), today: day(4) });
    let today = PublishDailyReport { day: day(4), ..publish(3) };
    given([]).when(today).events();
    let blank = PublishDailyReport { report_markdown: "\n".to_owned(), ..publish(3) };
    given([]).when(blank).then_error(AgentError::Blank { field: "report_markdown" });
}

#[test]
fn alerts_are_recorded_with_their_numbers() {
    let c = RaiseAlert {
        alert: AlertKind::ReplyRateDrop,
        detail: "reply rate 2.1% vs 7.9% over 14 days".to_owned(),
        at: at(5, 8, 0),
    };
    let expected = AgentEvent::PerformanceAlertRaised { alert: c.alert, detail: c.detail.clone(), at: c.at };
    assert_eq!(given([]).when(c).then([expected]).alerts(), 1);
    let blank = RaiseAlert { alert: AlertKind::ErrorSpike, detail: String::new(), at: at(5, 8, 0) };
    given([]).when(blank).then_error(AgentError::Blank { field: "detail" });
}

#[test]
fn stream_ids_derive_from_the_agent_name() {
    assert_eq!(agent_stream_id("outreach"), agent_stream_id("outreach"));
    assert_ne!(agent_stream_id("outreach"), agent_stream_id("lead_finder"));
    assert_eq!(agent_stream_id("outreach").get_version_num(), 5);
    for name in AGENT_NAMES {
        assert_eq!(agent_of_stream(agent_stream_id(name)), Some(name));
    }
    assert_eq!(agent_of_stream(agent_stream_id("someone_else")), None);
}

#[test]
fn event_types_are_the_serialised_tags() {
    let events = [
        AgentEvent::AgentErrorRaised {
            kind: ErrorKind::Rejected,
            context: "c".to_owned(),
            command: None,
            at: at(3, 0, 0),
        },
        published(3),
        AgentEvent::PerformanceAlertRaised {
            alert: AlertKind::BudgetExhausted,
            detail: "d".to_owned(),
            at: at(3, 0, 0),
        },
    ];
    for event in events {
        let json = serde_json::to_value(&event).expect("serialisable");
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<AgentEvent>(json).expect("deserialisable"), event);
    }
    let kinds = serde_json::to_value([ErrorKind::Transient, ErrorKind::Permanent, ErrorKind::Rejected]).unwrap();
    assert_eq!(kinds, serde_json::json!(["transient", "permanent", "rejected"]));
    assert_eq!(serde_json::to_value(AlertKind::ReplyRateDrop).unwrap(), "reply_rate_drop");
}

#[test]
fn an_operator_asks_once_for_a_retry_of_an_error() {
    let error_event_id = uuid::Uuid::from_u128(0xe1);
    let ask = || RequestRetry { error_event_id, requested_by: "operator-1".to_owned(), at: at(5, 9, 0) };
    let expected =
        AgentEvent::AgentErrorRetryRequested { error_event_id, requested_by: "operator-1".to_owned(), at: at(5, 9, 0) };
    let state = given([]).when(ask()).then([expected.clone()]);
    assert!(state.retry_requested(error_event_id));
    assert!(!state.retry_requested(uuid::Uuid::from_u128(0xe2)));
    given([expected.clone()]).when(ask()).then_error(AgentError::RetryAlreadyRequested(error_event_id));
    let other = RequestRetry { error_event_id: uuid::Uuid::from_u128(0xe2), ..ask() };
    assert_eq!(given([expected]).when(other).events().len(), 1);
    let anonymous = RequestRetry { requested_by: " ".to_owned(), ..ask() };
    given([]).when(anonymous).then_error(AgentError::Blank { field: "requested_by" });

    let json = serde_json::to_value(AgentEvent::AgentErrorRetryRequested {
        error_event_id,
        requested_by: "o".to_owned(),
        at: at(5, 9, 0),
    })
    .unwrap();
    assert_eq!(json["type"], "AgentErrorRetryRequested");
    assert_eq!(json["data"]["error_event_id"], error_event_id.to_string());
}

#[test]
fn the_failed_event_is_read_from_an_error_context() {
    let id = uuid::Uuid::from_u128(0xabc);
    assert_eq!(context_event(&format!("event={id} type=LeadScored code=VALIDATION")), Some(id));
    assert_eq!(context_event(&format!("code=x event={id}")), Some(id));
    assert_eq!(context_event("ReserveSend: daily_limit_reached"), None);
    assert_eq!(context_event("event=not-a-uuid"), None);
}
