//! Given/when/then tests of the SenderAccount aggregate: each budget, spacing, ramp-up.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::*;
use crate::event::DomainEvent;
use crate::testing::{self, at};

const LEAD: Uuid = Uuid::from_u128(0x1EAD);

fn given(events: impl IntoIterator<Item = SenderAccountEvent>) -> testing::Given<SenderAccount> {
    testing::given::<SenderAccount>(events)
}

/// LinkedIn defaults without ramp-up, so full budgets apply from day one.
fn flat() -> SendingLimits {
    SendingLimits { ramp_up_days: 0, ..SendingLimits::linkedin() }
}

fn registered(limits: SendingLimits) -> SenderAccountEvent {
    SenderAccountEvent::SenderAccountRegistered {
        channel: Channel::LinkedIn,
        provider: "sandbox".to_owned(),
        limits,
        registered_at: at(3, 0, 0),
    }
}

fn reserve(n: u128, action_type: ActionType, at: DateTime<Utc>) -> ReserveSlot {
    ReserveSlot {
        reservation_id: Uuid::from_u128(n),
        lead_id: LEAD,
        message_id: Some(Uuid::from_u128(0x100 + n)),
        action_type,
        at,
    }
}

fn reserved(n: u128, action_type: ActionType, at: DateTime<Utc>) -> SenderAccountEvent {
    let c = reserve(n, action_type, at);
    SenderAccountEvent::SendSlotReserved {
        reservation_id: c.reservation_id,
        lead_id: c.lead_id,
        message_id: c.message_id,
        action_type: c.action_type,
        at: c.at,
    }
}

fn invitation(n: u128, at: DateTime<Utc>) -> SenderAccountEvent {
    reserved(n, ActionType::ConnectionInvitation, at)
}

#[test]
fn an_account_is_registered_once_with_workable_limits() {
    let register = RegisterSenderAccount {
        channel: Channel::LinkedIn,
        provider: "sandbox".to_owned(),
        limits: flat(),
        at: at(3, 0, 0),
    };
    given([]).when(register.clone()).then([registered(flat())]);
    given([registered(flat())]).when(register.clone()).then_error(SenderAccountError::AlreadyRegistered);
    let broken = SendingLimits { ramp_up_start_percent: 0, ..flat() };
    given([])
        .when(RegisterSenderAccount { limits: broken, ..register })
        .then_error(SenderAccountError::InvalidLimits { reason: "ramp_up_start_percent must be between 1 and 100" });
}

#[test]
fn nothing_is_reserved_on_an_unregistered_account() {
    given([]).when(reserve(1, ActionType::Message, at(3, 10, 0))).then_error(SenderAccountError::NotRegistered);
    let release =
        ReleaseSlot { reservation_id: Uuid::from_u128(1), reason: ReleaseReason::Cancelled, at: at(3, 10, 0) };
    given([]).when(release).then_error(SenderAccountError::NotRegistered);
    given([]).when(ChangeLimits { limits: flat(), at: at(3, 10, 0) }).then_error(SenderAccountError::NotRegistered);
}

#[test]
fn a_slot_within_every_budget_is_reserved() {
    let state = given([registered(flat())])
        .when(reserve(1, ActionType::ConnectionInvitation, at(3, 10, 0)))
        .then([invitation(1, at(3, 10, 0))]);
    assert_eq!(state.remaining_today(ActionType::ConnectionInvitation, at(3, 18, 0)), 19);
    assert_eq!(state.remaining_today(ActionType::Message, at(3, 18, 0)), 44, "the total is shared");
    assert_eq!(state.remaining_today(ActionType::ConnectionInvitation, at(4, 9, 0)), 20, "a new UTC day");
    assert_eq!(state.remaining_today(ActionType::Email, at(3, 18, 0)), 0, "wrong channel");
}

#[test]
fn the_action_must_belong_to_the_account_channel() {
    given([registered(flat())])
        .when(reserve(1, ActionType::Email, at(3, 10, 0)))
        .then_error(SenderAccountError::ChannelMismatch { channel: Channel::LinkedIn, action: ActionType::Email });
}

#[test]
fn a_reservation_id_is_used_once() {
    given([registered(flat()), invitation(1, at(3, 10, 0))])
        .when(reserve(1, ActionType::ConnectionInvitation, at(3, 11, 0)))
        .then_error(SenderAccountError::DuplicateReservation(Uuid::from_u128(1)));
}

#[test]
fn each_action_has_its_own_daily_budget() {
    let limits = SendingLimits { daily_invitations: 2, ..flat() };
    let day = [registered(limits), invitation(1, at(3, 10, 0)), invitation(2, at(3, 10, 10))];
    given(day.clone())
        .when(reserve(3, ActionType::ConnectionInvitation, at(3, 10, 20)))
        .then_error(SenderAccountError::DailyLimitReached { action: ActionType::ConnectionInvitation, limit: 2 });
    given(day.clone()).when(reserve(3, ActionType::Message, at(3, 10, 20))).then([reserved(
        3,
        ActionType::Message,
        at(3, 10, 20),
    )]);
    given(day).when(reserve(3, ActionType::ConnectionInvitation, at(4, 0, 0))).then([invitation(3, at(4, 0, 0))]);
}

#[test]
fn invitations_are_capped_on_a_sliding_seven_day_window() {
    let limits = SendingLimits { daily_invitations: 2, weekly_invitations: 3, ..flat() };
    let week =
        [registered(limits), invitation(1, at(3, 10, 0)), invitation(2, at(3, 10, 10)), invitation(3, at(4, 10, 0))];
    let full = SenderAccountError::WeeklyLimitReached { action: ActionType::ConnectionInvitation, limit: 3 };
    given(week.clone()).when(reserve(4, ActionType::ConnectionInvitation, at(5, 10, 0))).then_error(full.clone());
    // Seven days after the first invitation, it has left the window.
    given(week).when(reserve(4, ActionType::ConnectionInvitation, at(10, 10, 0))).then([invitation(4, at(10, 10, 0))]);
    // Slots already held later in the week count too.
    let ahead =
        [registered(limits), invitation(1, at(3, 10, 0)), invitation(2, at(8, 10, 0)), invitation(3, at(9, 10, 0))];
    given(ahead).when(reserve(4, ActionType::ConnectionInvitation, at(5, 10, 0))).then_error(full);
}

#[test]
fn the_total_counts_contacts_but_not_profile_views() {
    let limits = SendingLimits { daily_total: 2, ..flat() };
    let day = [registered(limits), reserved(1, ActionType::Message, at(3, 10, 0)), invitation(2, at(3, 10, 10))];
    given(day.clone())
        .when(reserve(3, ActionType::Message, at(3, 10, 20)))
        .then_error(SenderAccountError::TotalDailyLimitReached { limit: 2 });
    // Views are budgeted apart and need no spacing.
    given(day).when(reserve(3, ActionType::ProfileView, at(3, 10, 11))).then([reserved(
        3,
        ActionType::ProfileView,
        at(3, 10, 11),
    )]);
}

#[test]
fn contacts_keep_the_minimum_spacing_on_both_sides() {
    let held = [registered(flat()), reserved(1, ActionType::Message, at(3, 10, 0))];
    let too_soon = SenderAccountError::TooSoon { earliest: at(3, 10, 5) };
    given(held.clone()).when(reserve(2, ActionType::Message, at(3, 10, 3))).then_error(too_soon.clone());
    given(held.clone()).when(reserve(2, ActionType::Message, at(3, 9, 57))).then_error(too_soon);
    given(held.clone()).when(reserve(2, ActionType::Message, at(3, 9, 55))).events();
    given(held).when(reserve(2, ActionType::Message, at(3, 10, 5))).events();
}

#[test]
fn next_allowed_at_skips_past_a_run_of_held_slots() {
    let held = [
        registered(flat()),
        reserved(1, ActionType::Message, at(3, 10, 0)),
        reserved(2, ActionType::Message, at(3, 10, 7)),
        reserved(3, ActionType::Message, at(3, 10, 20)),
        reserved(4, ActionType::ProfileView, at(3, 10, 12)),
    ];
    let state = given(held).state().clone();
    assert_eq!(state.next_allowed_at(at(3, 10, 1)), at(3, 10, 12));
    assert_eq!(state.next_allowed_at(at(3, 10, 13)), at(3, 10, 13));
    assert_eq!(state.next_allowed_at(at(3, 10, 16)), at(3, 10, 25));
}

#[test]
fn new_accounts_ramp_up_from_a_quarter_of_their_budgets() {
    let first_day: Vec<_> = std::iter::once(registered(SendingLimits::linkedin()))
        .chain((0..5u8).map(|n| invitation(n.into(), at(3, 9, 0) + Duration::minutes(10 * i64::from(n)))))
        .collect();
    let state = given(first_day.clone()).state().clone();
    assert_eq!(state.daily_limit(ActionType::ConnectionInvitation, at(3, 12, 0)), 5);
    assert_eq!(state.daily_limit(ActionType::ConnectionInvitation, at(24, 12, 0)), 20);
    given(first_day)
        .when(reserve(9, ActionType::ConnectionInvitation, at(3, 12, 0)))
        .then_error(SenderAccountError::DailyLimitReached { action: ActionType::ConnectionInvitation, limit: 5 });
}

#[test]
fn released_slots_no_longer_count() {
    let limits = SendingLimits { daily_invitations: 2, ..flat() };
    let release =
        ReleaseSlot { reservation_id: Uuid::from_u128(1), reason: ReleaseReason::SendFailed, at: at(3, 10, 30) };
    let released = SenderAccountEvent::SendSlotReleased {
        reservation_id: Uuid::from_u128(1),
        reason: ReleaseReason::SendFailed,
        at: at(3, 10, 30),
    };
    let day = [registered(limits), invitation(1, at(3, 10, 0)), invitation(2, at(3, 10, 10))];
    given(day.clone()).when(release.clone()).then([released.clone()]);
    let after: Vec<_> = day.into_iter().chain([released]).collect();
    given(after.clone()).when(reserve(3, ActionType::ConnectionInvitation, at(3, 11, 0))).events();
    given(after).when(release).then_error(SenderAccountError::UnknownReservation(Uuid::from_u128(1)));
}

#[test]
fn limits_change_only_when_they_differ() {
    let tighter = SendingLimits { daily_messages: 10, ..flat() };
    given([registered(flat())])
        .when(ChangeLimits { limits: tighter, at: at(4, 0, 0) })
        .then([SenderAccountEvent::LimitsChanged { limits: tighter, at: at(4, 0, 0) }]);
    given([registered(flat())]).when(ChangeLimits { limits: flat(), at: at(4, 0, 0) }).then([]);
}

#[test]
fn only_the_last_seven_days_are_kept() {
    let state = given([registered(flat()), invitation(1, at(3, 10, 0)), invitation(2, at(10, 10, 0))]).state().clone();
    assert_eq!(state.reservations().keys().copied().collect::<Vec<_>>(), [Uuid::from_u128(2)]);
}

#[test]
fn event_types_are_the_serialised_tags() {
    let events = [
        registered(flat()),
        SenderAccountEvent::LimitsChanged { limits: flat(), at: at(3, 0, 0) },
        invitation(1, at(3, 10, 0)),
        SenderAccountEvent::SendSlotReleased {
            reservation_id: Uuid::from_u128(1),
            reason: ReleaseReason::Cancelled,
            at: at(3, 11, 0),
        },
    ];
    for event in events {
        let json = serde_json::to_value(&event).expect("serialisable");
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<SenderAccountEvent>(json).expect("deserialisable"), event);
    }
}
