//! Builders shared by the store tests.

use chrono::Utc;
use reachspark_domain::Actor;
use reachspark_store::{CommandContext, NewEvent, StreamAppend};
use serde_json::json;
use uuid::Uuid;

pub(crate) fn ctx() -> CommandContext {
    CommandContext::new(Actor::agent("test"), Utc::now())
}

pub(crate) fn event(n: usize) -> NewEvent {
    NewEvent { event_type: "NoteAdded".to_owned(), schema_version: 1, payload: json!({ "n": n, "company": "Acme" }) }
}

pub(crate) fn personal(name: &str) -> NewEvent {
    NewEvent {
        event_type: "LeadDiscovered".to_owned(),
        schema_version: 1,
        payload: json!({ "name": { "$pii": name }, "company": "Analytical Engines Ltd" }),
    }
}

pub(crate) fn append(stream_id: Uuid, expected_version: i64, events: Vec<NewEvent>) -> StreamAppend {
    StreamAppend { stream_type: "lead".to_owned(), stream_id, expected_version, events }
}

pub(crate) use reachspark_store::testing::settle;

pub(crate) mod domain {
    //! Domain commands for the aggregate-level store tests.

    use chrono::{DateTime, Utc};
    use reachspark_domain::decision::{Decision, DecisionKind, Engine, Factor};
    use reachspark_domain::lead::{DiscoverLead, LeadSource};
    use reachspark_domain::{Actor, Pii};
    use uuid::Uuid;

    pub(crate) fn decision(kind: DecisionKind, output: &str) -> Decision {
        Decision {
            kind,
            based_on: vec![],
            output: output.to_owned(),
            factors: vec![Factor { name: "title_match".to_owned(), value: "true".to_owned(), contribution: 2.0 }],
            confidence: 0.9,
            rationale: "test rationale".to_owned(),
            decided_by: Actor::agent("lead_finder"),
            engine: Engine::Rules { policy_version: "rules-1".to_owned() },
            propensity: None,
            usage: None,
        }
    }

    pub(crate) fn discover(name: &str, url: &str, at: DateTime<Utc>) -> DiscoverLead {
        DiscoverLead {
            source: LeadSource::Csv,
            source_ref: Pii::new("import.csv:2".to_owned()),
            campaign_id: Uuid::from_u128(7),
            name: Pii::new(name.to_owned()),
            profile_url: Some(Pii::new(url.to_owned())),
            email: None,
            position: "Head of Partnerships".to_owned(),
            company: "Analytical Engines Ltd".to_owned(),
            at,
        }
    }
}
