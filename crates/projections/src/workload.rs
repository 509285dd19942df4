//! A realistic mix of domain events for benchmarks and randomised tests: each lead's story from
//! discovery through classification, scoring, allocation, a draft, a reserved slot and a send,
//! then sometimes a reply, its analysis, a qualification, an opt-out or a follow-up.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::lead::{Intent, LeadClass, LeadEvent, LeadSource, OptOutSource, Sentiment, Step};
use reachspark_domain::sender_account::{ActionType, Channel, SenderAccountEvent, SendingLimits};
use reachspark_domain::{Actor, Pii};
use uuid::Uuid;

const TEMPLATES: [&str; 4] = ["intro-speaker", "intro-sponsor", "intro-generic", "follow-up"];

fn decision(kind: DecisionKind, output: impl Into<String>, confidence: f64) -> Decision {
    Decision::new(
        kind,
        output,
        "rules matched the lead's title and company",
        Actor::agent("lead_finder"),
        Engine::rules("rules-1"),
    )
    .with_confidence(confidence)
    .with_factor("title_mentions_speaker", "true", 2.5)
    .with_factor("company_size", "51-200", 0.5)
}

/// A sender account's registration.
pub fn account_registered(at: DateTime<Utc>) -> SenderAccountEvent {
    SenderAccountEvent::SenderAccountRegistered {
        channel: Channel::LinkedIn,
        provider: "sandbox".to_owned(),
        limits: SendingLimits::default(),
        registered_at: at,
    }
}

/// One lead's story and the account events it causes (its send slot).
pub fn lead_story(
    rng: &mut impl Rng,
    n: u64,
    campaign_id: Uuid,
    account_id: Uuid,
    at: DateTime<Utc>,
) -> (Vec<LeadEvent>, Vec<SenderAccountEvent>) {
    let class = [LeadClass::Speaker, LeadClass::Sponsor, LeadClass::Other][rng.gen_range(0..3)];
    let score: u8 = rng.gen_range(1..=10);
    let message_id = Uuid::new_v4();
    let reservation_id = Uuid::new_v4();
    let template = TEMPLATES[rng.gen_range(0..3)].to_owned();
    let t = |minutes: i64| at + Duration::minutes(minutes);
    let mut lead = vec![
        LeadEvent::LeadDiscovered {
            source: LeadSource::Sandbox,
            source_ref: Pii::new(format!("sandbox:{n}")),
            campaign_id,
            name: Pii::new(format!("Person {n}")),
            profile_url: Some(Pii::new(format!("https://linkedin.com/in/person-{n}"))),
            email: Some(Pii::new(format!("person{n}@example.com"))),
            position: "Head of Partnerships".to_owned(),
            company: format!("Company {}", n % 997),
            at: t(0),
        },
        LeadEvent::LeadClassified {
            class,
            decision: decision(DecisionKind::Classification, format!("{class:?}"), 0.9),
            at: t(1),
        },
        LeadEvent::LeadScored { quality_score: score, decision: decision(DecisionKind::Score, score.to_string(), 0.8) },
        LeadEvent::LeadAllocated {
            account_id,
            priority: score,
            decision: decision(DecisionKind::Allocation, account_id.to_string(), 0.7),
            at: t(2),
        },
        LeadEvent::MessageDrafted {
            message_id,
            channel: Channel::LinkedIn,
            template_id: Some(template),
            step: Step::First,
            body: Pii::new(format!("Hello Person {n}, we are organising a conference...")),
            ai_generated: false,
            model: None,
            prompt_hash: None,
            requires_approval: false,
            decision: decision(DecisionKind::Draft, "intro", 0.85),
            at: t(3),
        },
        LeadEvent::MessageScheduled {
            message_id,
            account_id,
            reservation_id,
            action_type: ActionType::Message,
            at: t(10),
        },
        LeadEvent::MessageSent {
            message_id,
            account_id,
            channel: Channel::LinkedIn,
            provider_message_id: format!("sandbox-{n}"),
            at: t(10),
        },
    ];
    let account = vec![SenderAccountEvent::SendSlotReserved {
        reservation_id,
        lead_id: Uuid::nil(),
        message_id: Some(message_id),
        action_type: ActionType::Message,
        at: t(10),
    }];
    if rng.gen_bool(0.35) {
        let response_id = Uuid::new_v4();
        let (sentiment, intent) = match rng.gen_range(0..10) {
            0..=3 => (Sentiment::Positive, Intent::Interested),
            4..=5 => (Sentiment::Neutral, Intent::InfoRequest),
            6 => (Sentiment::Negative, Intent::OptOut),
            _ => (Sentiment::Negative, Intent::NotInterested),
        };
        lead.push(LeadEvent::ResponseReceived {
            response_id,
            message_id: Some(message_id),
            text: Pii::new("Thanks, tell me more".to_owned()),
            at: t(600),
        });
        lead.push(LeadEvent::ResponseAnalyzed {
            response_id,
            sentiment,
            intent,
            decision: decision(DecisionKind::ReplyAnalysis, format!("{intent:?}"), 0.8),
            at: t(601),
        });
        match intent {
            Intent::Interested => {
                lead.push(LeadEvent::LeadQualified { by: Actor::agent("outreach"), note: None, at: t(602) })
            }
            Intent::OptOut => lead.push(LeadEvent::LeadOptedOut {
                source: OptOutSource::Reply,
                honour_by: t(602) + Duration::days(14),
                at: t(602),
            }),
            _ => {}
        }
    } else if rng.gen_bool(0.5) {
        lead.push(LeadEvent::FollowUpScheduled { step: 1, due_at: t(60 * 24 * 3), at: t(11) });
    }
    (lead, account)
}
