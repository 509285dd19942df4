//! The agents as they run in production: `reachspark agents --api URL` as its own process,
//! SIGKILLed mid-run and restarted (no lead lost, no message sent twice); `serve --agents`
//! woken by the event subscription alone; and an operator retrying a dead letter through
//! `retryAgentError`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reachspark_agents::bandit::Bandit;
use reachspark_agents::channels::{Channel, Clock as _, ManualClock, SandboxLinkedIn};
use reachspark_agents::client::ApiClient;
use reachspark_agents::lead_finder::LeadFinder;
use reachspark_agents::outreach::Outreach;
use reachspark_agents::runtime::{CheckpointFile, RetryPolicy, Worker};
use reachspark_agents::sales_manager::SalesManager;
use reachspark_agents::sandbox::World;
use reachspark_api::auth::{AgentName, Role};
use reachspark_store::testing::TestDb;
use reachspark_store::MasterKey;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::agents::{events, gql, per_lead, settle, token, SECRET};
use crate::support::{reachspark, serve, terminate, Server};

/// The sandbox world the agents' configuration names: the leads are its people, so the
/// sandbox channel knows every recipient.
const SEED: u64 = 5;
const PEOPLE: usize = 40;
const LEADS: usize = 10;
/// The spacing the killed run's account keeps between contacts.
const KILL_SPACING_SECS: u32 = 2;

fn world() -> World {
    World::generate(SEED, PEOPLE)
}

/// `config/agents.yaml` for the tests: the defaults but for the sandbox world's size.
fn config(dir: &Path) -> PathBuf {
    let path = dir.join("agents.yaml");
    let yaml = format!("lead_finder:\n  sandbox_seed: {SEED}\n  sandbox_people: {PEOPLE}\n");
    std::fs::write(&path, yaml).unwrap();
    path
}

async fn server(db: &TestDb, agents: Option<(&Path, &str)>) -> Server {
    let mut cmd = reachspark();
    cmd.env("DATABASE_URL", db.url())
        .env("REACHSPARK_MASTER_KEY", MasterKey::generate().to_base64())
        .env("REACHSPARK_JWT_SECRET", SECRET);
    if let Some((dir, poll_secs)) = agents {
        cmd.env("REACHSPARK_AGENTS", "1")
            .env("REACHSPARK_AGENTS_CONFIG", config(dir))
            .env("REACHSPARK_AGENTS_STATE_DIR", dir.join("state"))
            .env("REACHSPARK_AGENTS_POLL_SECS", poll_secs);
    }
    serve(cmd).await
}

/// A campaign whose drafts need no approval, one roomy sender account that keeps
/// `spacing_secs` between contacts, and `leads` of the world's people imported; answers the
/// campaign id.
async fn campaign_with_leads(base: &str, admin: &SecretString, leads: usize, spacing_secs: u32) -> String {
    let input = json!({
        "name": "Process test",
        "targeting": { "minScore": 0 },
        "templates": [{ "id": "short", "channel": "LINKEDIN", "stepNumber": 0,
                        "body": "Hi {first_name}, quick idea for {company}." }],
        "allocationStrategy": "LEAST_LOADED",
        "approvalPolicy": { "mode": "NEVER" },
        "aiDisclosure": "Written with the help of an AI.",
        "firstContactNotice": "We found your profile on a public page; reply STOP to object.",
    });
    let q = "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { createdId } }";
    let campaign = gql(base, admin, q, json!({ "i": input })).await["createCampaign"]["createdId"].clone();
    let register = "mutation($s: Int!) { registerSenderAccount(channel: LINKEDIN, provider: \"sandbox\",
        limits: { rampUpDays: 0, minSpacingSeconds: $s, dailyInvitations: 100, weeklyInvitations: 500,
        dailyTotal: 200 }) { createdId } }";
    gql(base, admin, register, json!({ "s": spacing_secs })).await;
    let mut csv = String::from("Name,Position,Company,LinkedIn URL\n");
    for p in world().people().iter().take(leads) {
        let pr = p.public();
        let url = pr.profile_url.clone().unwrap();
        csv.push_str(&format!("\"{}\",\"{}\",\"{}\",{url}\n", pr.name, pr.position, pr.company));
    }
    let q = "mutation($c: ID!, $csv: String) { importLeads(campaignId: $c, csv: $csv) { imported } }";
    let data = gql(base, admin, q, json!({ "c": campaign, "csv": csv })).await;
    assert_eq!(data["importLeads"]["imported"], leads, "{data}");
    campaign.as_str().unwrap().to_owned()
}

/// `MessageSent` per lead.
async fn sent(base: &str, admin: &SecretString, db: &str) -> std::collections::BTreeMap<String, usize> {
    per_lead(&events(base, admin, db, &["MessageSent"]).await, "MessageSent")
}

/// Polls `check` every 50 ms until it holds, for at most `secs` seconds.
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `reachspark agents --api base`, logging into `dir/agents-N.log`.
fn agents_process(base: &str, dir: &Path, run: usize) -> Child {
    let log = std::fs::File::create(dir.join(format!("agents-{run}.log"))).unwrap();
    let mut cmd: Command = reachspark();
    cmd.args(["agents", "--api", base, "--poll-secs", "1"])
        .arg("--config")
        .arg(config(dir))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .env("REACHSPARK_JWT_SECRET", SECRET)
        .stderr(Stdio::from(log));
    cmd.spawn().expect("start reachspark agents")
}

fn logs(dir: &Path) -> String {
    (1..=2).filter_map(|n| std::fs::read_to_string(dir.join(format!("agents-{n}.log"))).ok()).collect()
}

#[tokio::test]
async fn the_agents_process_killed_mid_run_resumes_with_no_lead_lost_and_nothing_sent_twice() {
    let db = TestDb::new().await;
    let mut server = server(&db, None).await;
    let (base, admin) = (server.base.clone(), token(Role::Admin, None, "operator-e2e"));
    // Two seconds between contacts keep the run going for ~20 s after its first send, however
    // late the gap-free reader shows that send under parallel tests: the kill lands mid-run.
    campaign_with_leads(&base, &admin, LEADS, KILL_SPACING_SECS).await;
    let dir = tempfile::tempdir().unwrap();

    let mut first = agents_process(&base, dir.path(), 1);
    eventually(90, "the first message is sent", || async { !sent(&base, &admin, db.url()).await.is_empty() }).await;
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let at_kill = sent(&base, &admin, db.url()).await.len();
    assert!(at_kill < LEADS, "killed mid-run: {at_kill} of {LEADS} leads had been sent to");

    let mut second = agents_process(&base, dir.path(), 2);
    let all_sent = || async { sent(&base, &admin, db.url()).await.len() == LEADS };
    if tokio::time::timeout(Duration::from_secs(120), async {
        while !all_sent().await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .is_err()
    {
        panic!("not every lead was sent to after the restart; logs:\n{}", logs(dir.path()));
    }
    // Let the restarted agents run on a little: nothing more may be sent.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let discovered = per_lead(&events(&base, &admin, db.url(), &["LeadDiscovered"]).await, "LeadDiscovered");
    let sent = sent(&base, &admin, db.url()).await;
    assert_eq!(sent.keys().collect::<Vec<_>>(), discovered.keys().collect::<Vec<_>>(), "no lead lost");
    assert!(sent.values().all(|n| *n == 1), "no message sent twice: {sent:?}");

    terminate(&second);
    let status = tokio::time::timeout(Duration::from_secs(30), second.wait()).await.unwrap().unwrap();
    assert!(status.success(), "a clean stop on SIGTERM: {status}; logs:\n{}", logs(dir.path()));
    for agent in ["lead_finder", "sales_manager", "outreach"] {
        let file = CheckpointFile::new(dir.path().join("state").join(format!("{agent}.json")));
        assert!(file.load().unwrap().cursor.is_some(), "{agent} saved its checkpoint");
    }
    terminate(&server.child);
    tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
}

/// With an hour between polls, only the event subscription can make the agents act on leads
/// imported after they started.
#[tokio::test]
async fn serve_with_agents_works_leads_imported_later_woken_by_the_subscription() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut server = server(&db, Some((dir.path(), "3600"))).await;
    let (base, admin) = (server.base.clone(), token(Role::Admin, None, "operator-e2e"));
    // Give the agents time to make their first (empty) step and go to sleep.
    tokio::time::sleep(Duration::from_millis(500)).await;
    campaign_with_leads(&base, &admin, 3, 0).await;
    eventually(60, "the three leads are sent to", || async { sent(&base, &admin, db.url()).await.len() == 3 }).await;
    assert!(sent(&base, &admin, db.url()).await.values().all(|n| *n == 1));

    terminate(&server.child);
    let status = tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "serve and its agents stop cleanly: {status}");
    assert!(dir.path().join("state/outreach.json").exists());
}

#[tokio::test]
async fn serve_with_agents_refuses_to_start_without_a_secret_to_mint_with() {
    let db = TestDb::new().await;
    let output = reachspark()
        .args(["serve", "--listen", "127.0.0.1:0", "--agents"])
        .env("DATABASE_URL", db.url())
        .env("REACHSPARK_MASTER_KEY", MasterKey::generate().to_base64())
        .env("REACHSPARK_JWT_PUBLIC_KEY_PEM", "-----BEGIN PUBLIC KEY-----")
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--agents needs REACHSPARK_JWT_SECRET"), "{stderr}");
}

/// Drives `worker` until `count()` reaches `target`. The server shows a committed event only
/// once every older transaction of the PostgreSQL server has ended (the gap-free reader), which
/// under parallel tests can take a while: a quiet step proves nothing yet.
async fn work_until<A, F, Fut>(worker: &mut Worker<A>, what: &str, count: F, target: usize)
where
    A: reachspark_agents::runtime::Agent,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while count().await < target {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        worker.drain().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn client(base: &str, agent: AgentName) -> ApiClient {
    ApiClient::new(base, token(Role::Agent, Some(agent), agent.as_str())).unwrap()
}

/// Outreach's open errors as the `agents` query lists them: (error id, triggering event id).
async fn open_errors(base: &str, who: &SecretString) -> Vec<(String, String)> {
    let q = "{ agents { actorKind actorId openErrorCount openErrors { errorEventId triggeringEventId } } }";
    let data = gql(base, who, q, json!({})).await;
    let Some(outreach) = data["agents"].as_array().unwrap().iter().find(|a| a["actorId"] == "outreach").cloned() else {
        return Vec::new();
    };
    let list = outreach["openErrors"].as_array().unwrap();
    assert_eq!(outreach["openErrorCount"].as_u64(), Some(list.len() as u64));
    let id = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    list.iter().map(|e| (id(&e["errorEventId"]), id(&e["triggeringEventId"]))).collect()
}

async fn retry_error(base: &str, who: &SecretString, error: &str) -> Value {
    let q = "mutation($e: ID!, $k: String) { retryAgentError(agent: OUTREACH, errorEventId: $e, idempotencyKey: $k) {
        version } }";
    let body: Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(who.expose_secret())
        .json(&json!({ "query": q, "variables": { "e": error, "k": format!("retry:{error}") } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body
}

/// Drafting is refused while the campaign is paused: the allocations go to Outreach's dead
/// letters. A retry while still paused fails again (a new error replaces the old in the list);
/// once the campaign resumes, the retries succeed and the list empties.
#[tokio::test]
async fn an_operator_retries_a_dead_letter_through_the_api() {
    let db = TestDb::new().await;
    let mut server = server(&db, None).await;
    let (base, admin) = (server.base.clone(), token(Role::Admin, None, "admin-e2e"));
    let operator = token(Role::Operator, None, "operator-e2e");
    let campaign = campaign_with_leads(&base, &admin, 2, 0).await;

    let dir = tempfile::tempdir().unwrap();
    let retry = RetryPolicy { attempts: 2, base_delay: Duration::from_millis(10), batch: 10 };
    let file = |name: &str| CheckpointFile::new(dir.path().join(format!("{name}.json")));
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let mut finder = Worker::new(LeadFinder::new(), client(&base, AgentName::LeadFinder), file("lf"), retry).unwrap();
    let manager = SalesManager::new(Default::default(), clock.clone());
    let mut manager = Worker::new(manager, client(&base, AgentName::SalesManager), file("sm"), retry).unwrap();
    let count = |types: &'static [&'static str]| {
        let (base, admin, db) = (base.clone(), admin.clone(), db.url().to_owned());
        move || {
            let (base, admin, db) = (base.clone(), admin.clone(), db.clone());
            async move { events(&base, &admin, &db, types).await.len() }
        }
    };
    work_until(&mut finder, "both leads are scored", count(&["LeadScored"]), 2).await;
    work_until(&mut manager, "both leads are allocated", count(&["LeadAllocated"]), 2).await;

    let pause = "mutation($c: ID!) { pauseCampaign(campaignId: $c, reason: \"copy review\") { version } }";
    gql(&base, &admin, pause, json!({ "c": campaign })).await;
    let channel: Arc<dyn Channel> = Arc::new(SandboxLinkedIn::new(Arc::new(world()), clock.clone()));
    let outreach = Outreach::new(channel, Bandit::default(), 0.5, clock.now());
    let mut out = Worker::new(outreach, client(&base, AgentName::Outreach), file("out"), retry).unwrap();
    work_until(&mut out, "both allocations are dead letters", count(&["AgentErrorRaised"]), 2).await;
    settle(&mut out, db.url()).await;
    let letters = out.checkpoint().dead_letters.clone();
    assert_eq!(letters.len(), 2, "{letters:?}");
    let listed: Vec<(String, String)> =
        letters.iter().map(|l| (l.error_event_id.clone().unwrap(), l.event_id.clone())).collect();
    eventually(30, "the API lists both dead letters", || async { open_errors(&base, &admin).await == listed }).await;

    // Only operators and admins may ask; an agent may not retry its own errors.
    let (first_error, first_event) = listed[0].clone();
    let outreach_token = token(Role::Agent, Some(AgentName::Outreach), "outreach");
    let refused = retry_error(&base, &outreach_token, &first_error).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");

    // Still paused: the retry fails and raises a new error for the same event.
    let asked = retry_error(&base, &operator, &first_error).await;
    assert!(asked.get("errors").is_none(), "{asked}");
    work_until(&mut out, "the failed retry raises a new error", count(&["AgentErrorRaised"]), 3).await;
    settle(&mut out, db.url()).await;
    let letters = out.checkpoint().dead_letters.clone();
    assert_eq!(letters.len(), 2);
    let again = letters.iter().find(|l| l.event_id == first_event).unwrap();
    let new_error = again.error_event_id.clone().unwrap();
    assert_ne!(new_error, first_error, "a failed retry is a new error");
    let expected = vec![listed[1].clone(), (new_error.clone(), first_event.clone())];
    eventually(30, "the list shows the new error instead", || async { open_errors(&base, &admin).await == expected })
        .await;

    let resume = "mutation($c: ID!) { resumeCampaign(campaignId: $c) { version } }";
    gql(&base, &admin, resume, json!({ "c": campaign })).await;
    for error in [&new_error, &listed[1].0] {
        let asked = retry_error(&base, &operator, error).await;
        assert!(asked.get("errors").is_none(), "{asked}");
    }
    work_until(&mut out, "both leads are sent to", count(&["MessageSent"]), 2).await;
    settle(&mut out, db.url()).await;
    assert!(out.checkpoint().dead_letters.is_empty(), "{:?}", out.checkpoint().dead_letters);
    eventually(30, "the list is empty", || async { open_errors(&base, &admin).await.is_empty() }).await;
    let sent = sent(&base, &admin, db.url()).await;
    assert_eq!((sent.len(), sent.values().all(|n| *n == 1)), (2, true), "{sent:?}");

    terminate(&server.child);
    tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
}
