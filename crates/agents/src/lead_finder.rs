//! The Lead Finder as a client of the API: every discovered lead is classified (Speaker /
//! Sponsor / Other) and scored 1–10 by the rules engine, each with its decision and factors.
//! Discovery itself comes in through `importLeads`/`discoverLead` (CSV, web, sandbox sources).

use std::collections::HashMap;

use reachspark_domain::campaign::Targeting;
use reachspark_domain::lead::{LeadClass, Person};
use uuid::Uuid;

use crate::client::ops::{self, ClassifyLead, ScoreLead};
use crate::client::{ApiClient, ClientError};
use crate::profile::{Profile, ProfileFact};
use crate::rules;
use crate::runtime::{decision_input, key, log, Agent, LogEvent};

/// Classifies and scores leads as they are discovered.
#[derive(Debug, Default)]
pub struct LeadFinder {
    targeting: HashMap<Uuid, Targeting>,
}

impl LeadFinder {
    /// A Lead Finder with nothing cached.
    pub fn new() -> Self {
        Self::default()
    }

    async fn targeting(&mut self, api: &ApiClient, campaign_id: Uuid) -> Result<Targeting, ClientError> {
        if let Some(t) = self.targeting.get(&campaign_id) {
            return Ok(t.clone());
        }
        let campaign = log::campaign(api, campaign_id).await?;
        let targeting = campaign.settings().map(|s| s.targeting.clone()).unwrap_or_default();
        self.targeting.insert(campaign_id, targeting.clone());
        Ok(targeting)
    }
}

/// What the rules engine may look at (personal data stays in memory, never in a decision).
pub(crate) fn profile(person: &Person) -> Profile {
    let open = |p: &reachspark_domain::Pii<String>| p.known().cloned().unwrap_or_default();
    Profile {
        name: open(&person.name),
        position: person.position.clone(),
        company: person.company.clone(),
        profile_url: person.profile_url.as_ref().map(open),
        email: person.email.as_ref().map(open),
        facts: person
            .facts
            .iter()
            .map(|f| ProfileFact {
                attribute: f.attribute.clone(),
                value: open(&f.value),
                evidence_url: f.evidence_url.known().cloned(),
            })
            .collect(),
        ..Profile::default()
    }
}

fn class_input(class: LeadClass) -> ops::classify_lead::LeadClass {
    match class {
        LeadClass::Speaker => ops::classify_lead::LeadClass::SPEAKER,
        LeadClass::Sponsor => ops::classify_lead::LeadClass::SPONSOR,
        LeadClass::Other => ops::classify_lead::LeadClass::OTHER,
    }
}

impl Agent for LeadFinder {
    fn name(&self) -> &'static str {
        crate::actors::LEAD_FINDER
    }

    fn kind(&self) -> ops::raise_agent_error::AgentKind {
        ops::raise_agent_error::AgentKind::LEAD_FINDER
    }

    fn event_types(&self) -> Vec<String> {
        vec!["LeadDiscovered".to_owned()]
    }

    async fn handle(&mut self, api: &ApiClient, event: &LogEvent) -> Result<(), ClientError> {
        let lead = log::lead(api, event.stream_id).await?;
        let (Some(person), Some(campaign_id)) = (lead.person(), lead.campaign_id()) else { return Ok(()) };
        let profile = profile(person);
        let lead_id = event.stream_id.to_string();

        let (class, decision) = rules::classify(&profile);
        let decision = decision.based_on([event.event_id]);
        api.run::<ClassifyLead>(ops::classify_lead::Variables {
            lead_id: lead_id.clone(),
            class: class_input(class),
            decision: decision_input!(classify_lead, &decision),
            key: Some(key(self.name(), event, "classify")),
        })
        .await?;

        let targeting = self.targeting(api, campaign_id).await?;
        let (score, decision) = rules::score(&profile, class, &targeting);
        let decision = decision.based_on([event.event_id]);
        api.run::<ScoreLead>(ops::score_lead::Variables {
            lead_id,
            score: i64::from(score),
            decision: decision_input!(score_lead, &decision),
            key: Some(key(self.name(), event, "score")),
        })
        .await?;
        tracing::info!(agent = self.name(), lead_id = %event.stream_id, score, "lead classified and scored");
        Ok(())
    }
}
