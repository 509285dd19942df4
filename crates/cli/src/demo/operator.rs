//! The demo's human operator, speaking plain GraphQL over HTTP with an operator token: sets up
//! the campaign and the sender accounts, and approves the drafts that wait for a person.

use anyhow::{bail, Context as _};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{json, Value};

/// First-contact templates: one per angle (the sandbox's people answer each angle differently)
/// and a second speaker style, so the template policy has something to learn per segment.
pub(super) const FIRST_TEMPLATES: [(&str, &str); 4] = [
    (
        "speaker-first-v1",
        "Hi {first_name}, we would love to hear you speak at our conference on what {company} builds.",
    ),
    ("speaker-first-v2", "Hello {first_name} — as {position} you would make a great speaker at our event."),
    ("sponsor-first-v1", "Hi {first_name}, {company} could meet our 3,000 attendees as a sponsor this year."),
    ("generic-first-v1", "Hi {first_name}, we run a conference your team at {company} might enjoy."),
];

/// Days between the messages of the sequence, and the follow-up templates.
pub(super) const FOLLOW_UP_DAYS: [u32; 2] = [3, 4];
const FOLLOW_UPS: [(&str, i32, &str); 2] = [
    ("generic-follow-up-1", 1, "Hi {first_name}, just bringing my earlier note back to the top of your inbox."),
    ("generic-follow-up-2", 2, "Hi {first_name}, last note from me: happy to send details whenever suits."),
];

/// Drafts of a campaign's first contacts that wait for a person.
pub(super) const FIRST_N_APPROVALS: i32 = 5;

/// Each sender account's budgets (DOMAIN.md, "Sending limits").
pub(super) const DAILY_INVITATIONS: i64 = 20;
pub(super) const WEEKLY_INVITATIONS: i64 = 100;
pub(super) const DAILY_MESSAGES: i64 = 45;
pub(super) const DAILY_TOTAL: i64 = 45;
pub(super) const MIN_SPACING_SECONDS: i64 = 300;

pub(super) struct Operator {
    http: reqwest::Client,
    url: String,
    token: SecretString,
    /// How far the operator has read the approval requests.
    approvals_cursor: Option<String>,
    pub(super) approved: usize,
}

impl Operator {
    pub(super) fn new(base: &str, token: SecretString) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: format!("{base}/graphql"),
            token,
            approvals_cursor: None,
            approved: 0,
        }
    }

    async fn gql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let body: Value = self
            .http
            .post(&self.url)
            .bearer_auth(self.token.expose_secret())
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        if let Some(errors) = body.get("errors") {
            bail!("the API refused the operator's request: {errors}");
        }
        Ok(body["data"].clone())
    }

    /// Creates the campaign; returns its id.
    pub(super) async fn create_campaign(&self) -> anyhow::Result<String> {
        let mut templates: Vec<Value> = FIRST_TEMPLATES
            .iter()
            .map(|(id, body)| json!({ "id": id, "channel": "LINKEDIN", "stepNumber": 0, "body": body }))
            .collect();
        templates.extend(
            FOLLOW_UPS
                .iter()
                .map(|(id, step, body)| json!({ "id": id, "channel": "LINKEDIN", "stepNumber": step, "body": body })),
        );
        let input = json!({
            "name": "Conference 2026: speakers and sponsors",
            "targeting": { "classes": ["SPEAKER", "SPONSOR"], "minScore": 3 },
            "templates": templates,
            "allocationStrategy": "LEAST_LOADED",
            "approvalPolicy": { "mode": "FIRST_N", "firstN": FIRST_N_APPROVALS },
            "aiDisclosure": "This message was prepared with the help of an AI assistant.",
            "firstContactNotice": "We found your public profile while preparing our conference; reply STOP and we will not contact you again.",
            "followUpDays": FOLLOW_UP_DAYS,
        });
        let q = "mutation($i: CreateCampaignInput!) { createCampaign(input: $i, idempotencyKey: \"demo:campaign\") { createdId } }";
        let data = self.gql(q, json!({ "i": input })).await?;
        data["createCampaign"]["createdId"].as_str().map(str::to_owned).context("createCampaign returned no id")
    }

    /// Registers `n` sandbox LinkedIn accounts; returns their ids.
    pub(super) async fn register_accounts(&self, n: usize) -> anyhow::Result<Vec<String>> {
        let q = "mutation($l: SendingLimitsInput!, $k: String) { registerSenderAccount(channel: LINKEDIN,
            provider: \"sandbox\", limits: $l, idempotencyKey: $k) { createdId } }";
        let limits = json!({
            "dailyInvitations": DAILY_INVITATIONS, "weeklyInvitations": WEEKLY_INVITATIONS,
            "dailyMessages": DAILY_MESSAGES, "dailyTotal": DAILY_TOTAL,
            "minSpacingSeconds": MIN_SPACING_SECONDS, "rampUpDays": 0,
        });
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let data = self.gql(q, json!({ "l": limits, "k": format!("demo:account:{i}") })).await?;
            ids.push(data["registerSenderAccount"]["createdId"].as_str().context("no account id")?.to_owned());
        }
        Ok(ids)
    }

    /// Approves every draft that asked for a person since the last call. Returns how many.
    pub(super) async fn approve_waiting(&mut self) -> anyhow::Result<usize> {
        let page = "query($a: String) { events(after: $a, first: 100,
            filter: { eventTypes: [\"MessageApprovalRequested\"] }) { endCursor events { streamId payload } } }";
        let approve = "mutation($l: ID!, $m: ID!, $k: String) { approveMessage(leadId: $l, messageId: $m,
            rationale: \"read and approved by the demo operator\", idempotencyKey: $k) { replayed } }";
        let mut approved = 0;
        loop {
            let data = self.gql(page, json!({ "a": self.approvals_cursor })).await?;
            let events = data["events"]["events"].as_array().cloned().unwrap_or_default();
            for e in &events {
                let (lead, message) = (&e["streamId"], &e["payload"]["message_id"]);
                self.gql(approve, json!({ "l": lead, "m": message, "k": format!("demo:approve:{message}") })).await?;
                approved += 1;
            }
            self.approvals_cursor = data["events"]["endCursor"].as_str().map(str::to_owned);
            if events.len() < 100 {
                self.approved += approved;
                return Ok(approved);
            }
        }
    }
}
