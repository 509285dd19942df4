//! Given/when/then tests of the Lead aggregate, with fixtures shared by the rule groups.

mod compliance;
mod lifecycle;
mod messaging;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::*;
use crate::decision::DecisionKind;
use crate::event::Actor;
use crate::pii::Pii;
use crate::sender_account::{ActionType, Channel};
use crate::testing::{self, approval, at, decision};

const CAMPAIGN: Uuid = Uuid::from_u128(0xC);
const ACCOUNT: Uuid = Uuid::from_u128(0xA1);
const OTHER_ACCOUNT: Uuid = Uuid::from_u128(0xA2);
const MSG: Uuid = Uuid::from_u128(0x31);
const MSG2: Uuid = Uuid::from_u128(0x32);
const RESERVATION: Uuid = Uuid::from_u128(0x51);
const RESPONSE: Uuid = Uuid::from_u128(0x71);

fn given(events: impl IntoIterator<Item = LeadEvent>) -> testing::Given<Lead> {
    testing::given::<Lead>(events)
}

fn pii(text: &str) -> Pii<String> {
    Pii::new(text.to_owned())
}

fn discover() -> DiscoverLead {
    DiscoverLead {
        source: LeadSource::Csv,
        source_ref: pii("speakers.csv#12"),
        campaign_id: CAMPAIGN,
        name: pii("Ada Lovelace"),
        profile_url: Some(pii("https://linkedin.com/in/ada-lovelace")),
        email: Some(pii("ada@example.com")),
        position: "CTO".to_owned(),
        company: "Analytical Engines".to_owned(),
        at: at(3, 9, 0),
    }
}

fn discovered() -> LeadEvent {
    let c = discover();
    LeadEvent::LeadDiscovered {
        source: c.source,
        source_ref: c.source_ref,
        campaign_id: c.campaign_id,
        name: c.name,
        profile_url: c.profile_url,
        email: c.email,
        position: c.position,
        company: c.company,
        at: c.at,
    }
}

fn allocated() -> LeadEvent {
    LeadEvent::LeadAllocated {
        account_id: ACCOUNT,
        priority: 5,
        decision: decision(DecisionKind::Allocation),
        at: at(3, 9, 5),
    }
}

fn draft(message_id: Uuid, step: Step, requires_approval: bool) -> DraftMessage {
    DraftMessage {
        message_id,
        channel: Channel::LinkedIn,
        template_id: Some("speaker-first-v1".to_owned()),
        step,
        body: pii("Hello Ada, ..."),
        ai_generated: true,
        model: Some("sandbox-llm".to_owned()),
        prompt_hash: Some("ab12".to_owned()),
        requires_approval,
        decision: decision(DecisionKind::Draft),
        at: at(3, 9, 10),
    }
}

fn drafted(message_id: Uuid, step: Step, requires_approval: bool) -> LeadEvent {
    let c = draft(message_id, step, requires_approval);
    LeadEvent::MessageDrafted {
        message_id: c.message_id,
        channel: c.channel,
        template_id: c.template_id,
        step: c.step,
        body: c.body,
        ai_generated: c.ai_generated,
        model: c.model,
        prompt_hash: c.prompt_hash,
        requires_approval: c.requires_approval,
        decision: c.decision,
        at: c.at,
    }
}

fn reviewer() -> Actor {
    Actor::person("reviewer")
}

fn approved(message_id: Uuid) -> LeadEvent {
    LeadEvent::MessageApproved {
        message_id,
        by: reviewer(),
        edited: false,
        edited_body: None,
        decision: approval(&reviewer(), "approved"),
        at: at(3, 9, 20),
    }
}

fn scheduled(message_id: Uuid) -> LeadEvent {
    LeadEvent::MessageScheduled {
        message_id,
        account_id: ACCOUNT,
        reservation_id: RESERVATION,
        action_type: ActionType::ConnectionInvitation,
        at: at(3, 10, 0),
    }
}

fn sent(message_id: Uuid) -> LeadEvent {
    LeadEvent::MessageSent {
        message_id,
        account_id: ACCOUNT,
        channel: Channel::LinkedIn,
        provider_message_id: "prov-1".to_owned(),
        at: at(3, 10, 0),
    }
}

fn responded() -> LeadEvent {
    LeadEvent::ResponseReceived {
        response_id: RESPONSE,
        message_id: Some(MSG),
        text: pii("Thanks, tell me more"),
        at: at(4, 8, 0),
    }
}

fn opted_out() -> LeadEvent {
    LeadEvent::LeadOptedOut {
        source: OptOutSource::Reply,
        honour_by: add_business_days(at(4, 8, 30), OPT_OUT_BUSINESS_DAYS),
        at: at(4, 8, 30),
    }
}

fn erased() -> LeadEvent {
    LeadEvent::PersonalDataErased { requested_by: Actor::person("dpo"), at: at(5, 12, 0) }
}

/// A lead whose first message went out.
fn after_first_send() -> Vec<LeadEvent> {
    vec![discovered(), allocated(), drafted(MSG, Step::First, false), scheduled(MSG), sent(MSG)]
}

fn when_at(day: u32) -> DateTime<Utc> {
    at(day, 12, 0)
}
