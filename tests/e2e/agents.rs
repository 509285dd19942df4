//! The three agents as GraphQL clients of a real `reachspark serve` over a real socket: import
//! → classify → score → allocate → draft → approve (an operator, through the API) → reserve →
//! send (sandbox channel) → reply → analyse → qualify or opt out. Outreach is dropped mid-run
//! and restarted from its checkpoint file: no message is sent twice and no lead is lost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{TimeDelta, Utc};
use reachspark_agents::bandit::Bandit;
use reachspark_agents::channels::{Channel, Clock as _, ManualClock, SandboxLinkedIn};
use reachspark_agents::client::ApiClient;
use reachspark_agents::lead_finder::LeadFinder;
use reachspark_agents::outreach::Outreach;
use reachspark_agents::runtime::{Agent, CheckpointFile, RetryPolicy, Worker};
use reachspark_agents::sales_manager::SalesManager;
use reachspark_agents::sandbox::World;
use reachspark_api::auth::{issue_hs256, AgentName, Claims, Role};
use reachspark_store::testing::TestDb;
use reachspark_store::MasterKey;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::support::{reachspark, serve, terminate};

pub(crate) const SECRET: &str = "an-e2e-test-secret-that-is-long-enough-0123456789";
const LEADS: usize = 12;

pub(crate) fn token(role: Role, agent: Option<AgentName>, sub: &str) -> SecretString {
    let iat = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let claims = Claims { sub: sub.into(), role, agent, scope: vec!["pii".into()], exp: iat + 3600, iat };
    SecretString::from(issue_hs256(&claims, &SecretString::from(SECRET)).unwrap())
}

pub(crate) async fn gql(base: &str, token: &SecretString, query: &str, variables: Value) -> Value {
    use secrecy::ExposeSecret as _;
    let body: Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token.expose_secret())
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// Every event of these types, oldest first.
pub(crate) async fn events(base: &str, admin: &SecretString, types: &[&str]) -> Vec<Value> {
    let q = "query($a: String, $f: EventFilter) { events(after: $a, first: 100, filter: $f) {
        endCursor events { eventId streamId eventType payload } } }";
    let (mut all, mut after) = (Vec::new(), Value::Null);
    loop {
        let data = gql(base, admin, q, json!({ "a": after, "f": { "eventTypes": types } })).await;
        let page = data["events"]["events"].as_array().unwrap().clone();
        after = data["events"]["endCursor"].clone();
        let done = page.len() < 100;
        all.extend(page);
        if done {
            return all;
        }
    }
}

pub(crate) fn per_lead(events: &[Value], event_type: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for e in events.iter().filter(|e| e["eventType"] == event_type) {
        *counts.entry(e["streamId"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    counts
}

struct Setup {
    base: String,
    admin: SecretString,
}

async fn campaign_and_account(s: &Setup, world: &World) {
    let input = json!({
        "name": "Sandbox speakers",
        "targeting": { "minScore": 0 },
        "templates": [
            { "id": "short", "channel": "LINKEDIN", "stepNumber": 0, "body": "Hi {first_name}, quick idea for {company}." },
            { "id": "long", "channel": "LINKEDIN", "stepNumber": 0,
              "body": "Hello {first_name}, we run a conference and thought of you as {position}." }],
        "allocationStrategy": "LEAST_LOADED",
        "approvalPolicy": { "mode": "FIRST_N", "firstN": 2 },
        "aiDisclosure": "Written with the help of an AI.",
        "firstContactNotice": "We found your profile on a public page; reply STOP to object.",
    });
    let q = "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { createdId } }";
    let campaign = gql(&s.base, &s.admin, q, json!({ "i": input })).await["createCampaign"]["createdId"].clone();
    let register = "mutation { registerSenderAccount(channel: LINKEDIN, provider: \"sandbox\",
        limits: { rampUpDays: 0, minSpacingSeconds: 0, dailyInvitations: 100, weeklyInvitations: 500,
        dailyTotal: 200 }) { createdId } }";
    gql(&s.base, &s.admin, register, json!({})).await;
    let mut csv = String::from("Name,Position,Company,LinkedIn URL\n");
    for p in world.people().iter().take(LEADS) {
        let pr = p.public();
        let url = pr.profile_url.clone().unwrap();
        csv.push_str(&format!("\"{}\",\"{}\",\"{}\",{url}\n", pr.name, pr.position, pr.company));
    }
    let q = "mutation($c: ID!, $csv: String) { importLeads(campaignId: $c, csv: $csv) { imported rejected } }";
    let data = gql(&s.base, &s.admin, q, json!({ "c": campaign, "csv": csv })).await;
    assert_eq!(data["importLeads"]["imported"], LEADS, "{data}");
}

/// An operator approves every draft waiting for approval.
async fn approve_all(s: &Setup) -> usize {
    let waiting = events(&s.base, &s.admin, &["MessageApprovalRequested"]).await;
    let q = "mutation($l: ID!, $m: ID!, $k: String) { approveMessage(leadId: $l, messageId: $m,
        rationale: \"reads well\", idempotencyKey: $k) { replayed } }";
    for e in &waiting {
        let (lead, message) = (e["streamId"].clone(), e["payload"]["message_id"].clone());
        gql(&s.base, &s.admin, q, json!({ "l": lead, "m": message, "k": format!("approve:{message}") })).await;
    }
    waiting.len()
}

/// Drains `worker` until it has been idle a few times in a row. The server's gap-free reader
/// shows a committed event only once every older transaction has finished (projections run
/// beside the agents), so a just-written event may be invisible for some milliseconds: an idle
/// step is not yet proof that there is no work.
pub(crate) async fn settle<A: Agent>(worker: &mut Worker<A>) -> usize {
    let (mut processed, mut quiet) = (0, 0);
    while quiet < 5 {
        let outcome = worker.drain().await.unwrap();
        processed += outcome.processed + outcome.polled;
        if outcome.processed + outcome.polled == 0 {
            quiet += 1;
            tokio::time::sleep(Duration::from_millis(40)).await;
        } else {
            quiet = 0;
        }
    }
    processed
}

fn client(base: &str, agent: AgentName) -> ApiClient {
    ApiClient::new(base, token(Role::Agent, Some(agent), agent.as_str())).unwrap()
}

#[tokio::test]
async fn the_agents_take_imported_leads_to_sent_replies_qualified_and_opted_out() {
    let db = TestDb::new().await;
    let mut cmd = reachspark();
    cmd.env("DATABASE_URL", db.url())
        .env("REACHSPARK_MASTER_KEY", MasterKey::generate().to_base64())
        .env("REACHSPARK_JWT_SECRET", SECRET);
    let mut server = serve(cmd).await;
    let s = Setup { base: server.base.clone(), admin: token(Role::Admin, None, "operator-e2e") };
    let world = Arc::new(World::generate(11, 60));
    campaign_and_account(&s, &world).await;

    let dir = tempfile::tempdir().unwrap();
    let retry = RetryPolicy { attempts: 3, base_delay: Duration::from_millis(10), batch: 4 };
    // Before the Sales Manager's report time (09:15 UTC), so its daily operations do not run
    // during the first settle and the counts below do not depend on the hour the test runs.
    let early = Utc::now().date_naive().and_hms_opt(6, 0, 0).unwrap().and_utc();
    let clock = Arc::new(ManualClock::new(early));
    let channel: Arc<dyn Channel> = Arc::new(SandboxLinkedIn::new(world.clone(), clock.clone()));
    let outreach = |since| Outreach::new(channel.clone(), Bandit::default(), 0.5, since);
    let file = |name: &str| CheckpointFile::new(dir.path().join(format!("{name}.json")));

    let mut finder = Worker::new(LeadFinder::new(), client(&s.base, AgentName::LeadFinder), file("lf"), retry).unwrap();
    let mut manager = Worker::new(
        SalesManager::new(Default::default(), clock.clone()),
        client(&s.base, AgentName::SalesManager),
        file("sm"),
        retry,
    )
    .unwrap();
    assert_eq!(settle(&mut finder).await, LEADS);
    assert_eq!(settle(&mut manager).await, LEADS);
    assert!(finder.checkpoint().dead_letters.is_empty() && manager.checkpoint().dead_letters.is_empty());

    // Outreach handles one page, is dropped (a crash after its checkpoint), and a new one
    // resumes from the same file.
    let since = clock.now();
    let mut out = Worker::new(outreach(since), client(&s.base, AgentName::Outreach), file("out"), retry).unwrap();
    let mut first = 0;
    for _ in 0..250 {
        first = out.step().await.unwrap().processed;
        if first > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!((1..=4).contains(&first), "one page of at most 4 events, then the crash: {first}");
    drop(out);
    let mut out = Worker::new(outreach(since), client(&s.base, AgentName::Outreach), file("out"), retry).unwrap();
    settle(&mut out).await;
    assert_eq!(approve_all(&s).await, 2, "the campaign's first two drafts wait for a person");
    settle(&mut out).await;
    // A second restart, now from an older checkpoint: everything is handled again, idempotently.
    let mut old = Worker::new(outreach(since), client(&s.base, AgentName::Outreach), file("never"), retry).unwrap();
    settle(&mut old).await;

    clock.advance(TimeDelta::days(30));
    settle(&mut out).await;
    settle(&mut out).await;
    assert!(out.checkpoint().dead_letters.is_empty(), "{:?}", out.checkpoint().dead_letters);

    let all = events(
        &s.base,
        &s.admin,
        &["LeadDiscovered", "MessageSent", "ResponseReceived", "ResponseAnalyzed", "LeadQualified", "LeadOptedOut"],
    )
    .await;
    let leads = per_lead(&all, "LeadDiscovered");
    let sent = per_lead(&all, "MessageSent");
    assert_eq!(leads.len(), LEADS);
    assert_eq!(sent.keys().collect::<Vec<_>>(), leads.keys().collect::<Vec<_>>(), "no lead lost");
    assert!(sent.values().all(|n| *n == 1), "no duplicate send: {sent:?}");

    let analysed: Vec<&Value> = all.iter().filter(|e| e["eventType"] == "ResponseAnalyzed").collect();
    assert_eq!(analysed.len(), per_lead(&all, "ResponseReceived").values().sum::<usize>());
    let qualified = per_lead(&all, "LeadQualified");
    let opted = per_lead(&all, "LeadOptedOut");
    for a in &analysed {
        let lead = a["streamId"].as_str().unwrap();
        let (sentiment, intent) =
            (a["payload"]["sentiment"].as_str().unwrap(), a["payload"]["intent"].as_str().unwrap());
        if intent == "opt_out" {
            assert_eq!(opted.get(lead), Some(&1), "opt-out honoured at once");
        } else if sentiment == "positive" || intent == "interested" || intent == "info_request" {
            assert_eq!(qualified.get(lead), Some(&1), "positive reply qualified");
        } else {
            assert!(!qualified.contains_key(lead) && !opted.contains_key(lead));
        }
    }
    assert!(!qualified.is_empty(), "the sandbox world answers some leads positively: {analysed:?}");

    // The opt-out path: a reply that asks to be left alone (read from the inbox by another
    // process and recorded through the API) is analysed and honoured at once.
    let silent = sent.keys().find(|l| !qualified.contains_key(*l) && !opted.contains_key(*l)).unwrap().clone();
    let message = all
        .iter()
        .find(|e| e["eventType"] == "MessageSent" && e["streamId"] == silent.as_str())
        .map(|e| e["payload"]["message_id"].clone())
        .unwrap();
    let q = "mutation($l: ID!, $m: ID, $t: String!) { recordResponse(leadId: $l, messageId: $m, text: $t,
        idempotencyKey: \"inbox:1\") { createdId } }";
    let outreach_token = token(Role::Agent, Some(AgentName::Outreach), "outreach");
    let text = "Please unsubscribe me, not interested.";
    gql(&s.base, &outreach_token, q, json!({ "l": silent, "m": message, "t": text })).await;
    settle(&mut out).await;
    let after = events(&s.base, &s.admin, &["LeadOptedOut", "ResponseAnalyzed"]).await;
    let opted = per_lead(&after, "LeadOptedOut");
    assert_eq!(opted.get(&silent), Some(&1), "opted out at once: {after:?}");
    let sent_after = per_lead(&events(&s.base, &s.admin, &["MessageSent"]).await, "MessageSent");
    assert_eq!(sent_after, sent, "nothing more was sent");

    terminate(&server.child);
    tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
}
