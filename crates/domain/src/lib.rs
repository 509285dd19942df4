//! ReachSpark's domain model: value objects, the Lead, Sender-account, Campaign and Agent aggregates
//! (each an [`esrs::Aggregate`]), their commands and past-tense events, and the decision record
//! that explains every automated choice.
//!
//! This crate is pure: no I/O, no clock, no randomness. Anything a command needs from the
//! outside world (the current time, new ids, a campaign's approval policy) is put into the
//! command by the caller. It may depend on serde, chrono, uuid, url and hashing crates only;
//! never on tokio, sqlx, axum or reqwest (esrs itself pulls `bb8`, see `docs/adr/0001`).

/// Declares an aggregate's command enum with one public-field struct per command and a
/// `From` conversion for each, so a command is built as a plain struct and `.into()`'d.
macro_rules! commands {
    (
        $(#[$enum_doc:meta])* enum $enum:ident;
        $( $(#[$doc:meta])* $name:ident { $( $(#[$field_doc:meta])* $field:ident : $ty:ty ),* $(,)? } )*
    ) => {
        $(#[$enum_doc])*
        #[derive(Debug, Clone)]
        pub enum $enum {
            $( $(#[$doc])* $name($name), )*
        }

        impl $enum {
            /// The command's name, for errors and logs.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$name(_) => stringify!($name), )*
                }
            }
        }

        $(
            $(#[$doc])*
            #[derive(Debug, Clone)]
            pub struct $name {
                $( $(#[$field_doc])* pub $field: $ty, )*
            }

            impl From<$name> for $enum {
                fn from(command: $name) -> Self {
                    Self::$name(command)
                }
            }
        )*
    };
}
pub(crate) use commands;

pub mod agent;
pub mod campaign;
pub mod decision;
pub mod event;
pub mod identity;
pub mod lead;
pub mod outreach;
pub mod pii;
pub mod sender_account;

pub use agent::{Agent, AgentCommand, AgentError, AgentEvent, AgentState};
pub use campaign::{Campaign, CampaignCommand, CampaignError, CampaignEvent, CampaignState};
pub use decision::{Decision, DecisionError, DecisionKind, Engine, Factor, LlmUsage};
pub use event::{Actor, ActorKind, DomainEvent, UpcastError};
pub use lead::{Lead, LeadCommand, LeadError, LeadEvent, LeadState};
pub use outreach::{reserve_send, ReserveSend, ReserveSendError};
pub use pii::Pii;
pub use sender_account::{
    ActionType, Channel, SenderAccount, SenderAccountCommand, SenderAccountError, SenderAccountEvent,
    SenderAccountState, SendingLimits,
};

#[cfg(test)]
pub(crate) mod testing {
    //! Given/when/then for aggregate tests: fold the given events, handle the command, compare
    //! the outcome with expected events or an expected error value (never message text).

    use std::fmt::Debug;

    use chrono::{DateTime, TimeZone, Utc};
    use esrs::Aggregate;

    use crate::decision::{Decision, DecisionKind, Engine};
    use crate::event::Actor;

    pub(crate) struct Given<A: Aggregate> {
        state: A::State,
    }

    pub(crate) struct Then<A: Aggregate> {
        state: A::State,
        result: Result<Vec<A::Event>, A::Error>,
    }

    pub(crate) fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
        Given { state: events.into_iter().fold(A::State::default(), A::apply_event) }
    }

    impl<A: Aggregate> Given<A> {
        pub(crate) fn when(self, command: impl Into<A::Command>) -> Then<A> {
            let result = A::handle_command(&self.state, command.into());
            Then { state: self.state, result }
        }

        pub(crate) fn state(&self) -> &A::State {
            &self.state
        }
    }

    impl<A: Aggregate> Then<A>
    where
        A::Event: Debug + PartialEq + Clone,
        A::Error: Debug + PartialEq,
    {
        /// Asserts the events and returns the state after applying them.
        #[track_caller]
        pub(crate) fn then(self, expected: impl IntoIterator<Item = A::Event>) -> A::State {
            let expected: Vec<_> = expected.into_iter().collect();
            let events = self.result.expect("the command should be accepted");
            assert_eq!(events, expected);
            events.into_iter().fold(self.state, A::apply_event)
        }

        #[track_caller]
        pub(crate) fn then_error(self, expected: A::Error) {
            assert_eq!(self.result.expect_err("the command should be rejected"), expected);
        }

        /// The accepted events, for assertions by pattern.
        #[track_caller]
        pub(crate) fn events(self) -> Vec<A::Event> {
            self.result.expect("the command should be accepted")
        }
    }

    /// A valid decision of `kind`.
    pub(crate) fn decision(kind: DecisionKind) -> Decision {
        Decision::new(kind, "output", "fixture rationale", Actor::agent("test"), Engine::rules("v1"))
    }

    /// A valid human approval decision by `by` with `output` (`approved` or `rejected`).
    pub(crate) fn approval(by: &Actor, output: &str) -> Decision {
        Decision::new(DecisionKind::Approval, output, "reviewed against the campaign brief", by.clone(), Engine::Human)
    }

    /// A time in the week of Monday 2025-03-03 (UTC), e.g. `at(3, 9, 0)` is that Monday 9:00.
    pub(crate) fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, day, hour, minute, 0).single().expect("a valid test time")
    }
}
