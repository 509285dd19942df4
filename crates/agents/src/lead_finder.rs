//! The Lead Finder as a client of the API: every discovered lead is classified (Speaker /
//! Sponsor / Other) and scored 1–10 by the rules engine, each with its decision and factors.
//! Discovery comes in through `importLeads` (CSV) and `discoverLead`; with a [`Discovery`] the
//! Lead Finder searches a source itself once a day: it discovers up to `per_day` new people and
//! enriches each with what their public profile shows, keyed by the source's reference, so a
//! restart never discovers anyone twice.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use reachspark_domain::campaign::Targeting;
use reachspark_domain::lead::{LeadClass, Person};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::channels::Clock;
use crate::client::ops::{self, ClassifyLead, DiscoverLead, EnrichLead, ImportLeads, ScoreLead};
use crate::client::{ApiClient, ClientError};
use crate::profile::{Profile, ProfileFact};
use crate::rules;
use crate::runtime::{decision_input, key, log, Agent, LogEvent};
use crate::sources::sandbox::SandboxSource;

/// Classifies and scores leads as they are discovered; with a [`Discovery`], also finds them.
#[derive(Debug, Default)]
pub struct LeadFinder {
    targeting: HashMap<Uuid, Targeting>,
    discovery: Option<Discovery>,
    state: State,
}

/// The Lead Finder's own search: a source, the campaign its finds go to, and a daily quota.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// Where people are found.
    pub source: SandboxSource,
    /// The campaign new leads join.
    pub campaign_id: Uuid,
    /// New people per day at most.
    pub per_day: usize,
    /// Whose days count.
    pub clock: Arc<dyn Clock>,
}

/// What the Lead Finder keeps across restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// People of the source handled so far (discovered, or refused as already known).
    searched: usize,
    /// The last day a search ran.
    last_search: Option<NaiveDate>,
}

impl LeadFinder {
    /// A Lead Finder with nothing cached that classifies and scores what others discover.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same Lead Finder, also searching `discovery` once a day.
    #[must_use]
    pub fn with_discovery(mut self, discovery: Discovery) -> Self {
        self.discovery = Some(discovery);
        self
    }

    /// Imports a CSV file in the seed sheet's columns into `campaign_id` through `importLeads`,
    /// as raw bytes: the API decodes and checks every row, keeps the good ones and reports
    /// each bad one by its line (bad encoding, missing cells, unsafe URLs); formula-like cells
    /// are stored neutralised, with a warning. The key is derived from the file's content, so
    /// importing the same file again writes nothing new. The imported leads are then classified
    /// and scored like any other discovered lead.
    pub async fn import_csv(
        api: &ApiClient,
        campaign_id: Uuid,
        filename: &str,
        bytes: &[u8],
    ) -> Result<ops::import_leads::ResponseData, ClientError> {
        use base64::Engine as _;
        use sha2::Digest as _;
        let digest = hex::encode(sha2::Sha256::digest(bytes));
        api.run::<ImportLeads>(ops::import_leads::Variables {
            campaign_id: campaign_id.to_string(),
            csv_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            filename: Some(filename.to_owned()),
            key: Some(format!("{}:csv:{campaign_id}:{digest}", crate::actors::LEAD_FINDER)),
        })
        .await
    }

    /// Today's search, when one is due: discovers and enriches up to `per_day` new people.
    async fn search(&mut self, api: &ApiClient) -> Result<usize, ClientError> {
        let Some(discovery) = &self.discovery else { return Ok(0) };
        let today = discovery.clock.now().date_naive();
        if self.state.last_search.is_some_and(|d| d >= today) || self.state.searched >= discovery.source.len() {
            return Ok(0);
        }
        let mut found = 0;
        for person in discovery.source.batch(self.state.searched, discovery.per_day) {
            let p = person.profile;
            let key = |action: &str| format!("{}:{}:{action}", crate::actors::LEAD_FINDER, person.source_ref);
            let discovered = api
                .run::<DiscoverLead>(ops::discover_lead::Variables {
                    campaign_id: discovery.campaign_id.to_string(),
                    name: p.name.clone(),
                    profile_url: p.profile_url.clone(),
                    email: p.email.clone(),
                    position: p.position.clone(),
                    company: p.company.clone(),
                    source_ref: Some(person.source_ref.clone()),
                    key: Some(key("discover")),
                })
                .await;
            let lead_id = match discovered {
                Ok(written) => written.discover_lead.stream_id,
                // Known already (an earlier import, an opt-out, an erasure): nothing to add.
                Err(ClientError::Graphql { code, reason }) if code == "VALIDATION" || code == "CONFLICT" => {
                    tracing::info!(agent = crate::actors::LEAD_FINDER, %reason, "source person not discovered");
                    self.state.searched += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let evidence = p.profile_url.clone().unwrap_or_else(|| person.source_ref.clone());
            let facts: Vec<ops::enrich_lead::FactInput> = p
                .enrichment(&evidence)
                .into_iter()
                .map(|f| ops::enrich_lead::FactInput {
                    attribute: f.attribute,
                    value: f.value,
                    evidence_url: f.evidence_url.unwrap_or_else(|| evidence.clone()),
                })
                .collect();
            if !facts.is_empty() {
                api.run::<EnrichLead>(ops::enrich_lead::Variables { lead_id, facts, key: Some(key("enrich")) }).await?;
            }
            self.state.searched += 1;
            found += 1;
        }
        self.state.last_search = Some(today);
        tracing::info!(agent = crate::actors::LEAD_FINDER, found, searched = self.state.searched, "daily search done");
        Ok(found.max(1))
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
    .absorb_facts()
}

fn class_input(class: LeadClass) -> ops::classify_lead::LeadClass {
    match class {
        LeadClass::Speaker => ops::classify_lead::LeadClass::SPEAKER,
        LeadClass::Sponsor => ops::classify_lead::LeadClass::SPONSOR,
        LeadClass::Other => ops::classify_lead::LeadClass::OTHER,
    }
}

impl Agent for LeadFinder {
    type State = State;

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

    fn state(&self) -> &Self::State {
        &self.state
    }

    fn state_mut(&mut self) -> &mut Self::State {
        &mut self.state
    }

    async fn poll(&mut self, api: &ApiClient) -> Result<usize, ClientError> {
        self.search(api).await
    }
}
