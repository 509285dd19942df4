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
use reachspark_agents::notify::{HotLeadNotifier, Webhook};
use reachspark_agents::outreach::Outreach;
use reachspark_agents::runtime::{Agent, CheckpointFile, RetryPolicy, Worker};
use reachspark_agents::sales_manager::SalesManager;
use reachspark_agents::sandbox::World;
use reachspark_api::auth::{issue_hs256, AgentName, Claims, Role};
use reachspark_store::testing::TestDb;
use reachspark_store::{MasterKey, Position};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::support::{reachspark, serve, terminate, Server};

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

/// The last committed position of the test database's log. The log's gap-free readers show
/// a commit once every older transaction on the whole server has ended, and the tests share
/// one server: a long transaction of another test (a 10,000-row import) holds every reader
/// back. Tests read up to this position rather than trust an empty page.
pub(crate) async fn committed_head(db_url: &str) -> Position {
    use sqlx::Connection as _;
    // A busy shared server may refuse a connection for a moment (too many clients).
    let mut tries = 0;
    let mut conn = loop {
        match sqlx::PgConnection::connect(db_url).await {
            Ok(conn) => break conn,
            Err(e) if tries < 100 => {
                tries += 1;
                tracing::debug!(error = %e, "retrying a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("connecting to the test database: {e}"),
        }
    };
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT transaction_id::text::bigint, global_position FROM events
         ORDER BY transaction_id DESC, global_position DESC LIMIT 1",
    )
    .fetch_optional(&mut conn)
    .await
    .unwrap();
    row.map_or(Position::START, |(transaction_id, global_position)| Position { transaction_id, global_position })
}

/// Every event of these types committed so far, oldest first.
pub(crate) async fn events(base: &str, admin: &SecretString, db_url: &str, types: &[&str]) -> Vec<Value> {
    let q = "query($a: String, $f: EventFilter) { events(after: $a, first: 100, filter: $f) {
        endCursor events { eventId streamId eventType version payload } } }";
    let head = committed_head(db_url).await;
    let (mut all, mut after) = (Vec::new(), Value::Null);
    loop {
        let data = gql(base, admin, q, json!({ "a": after, "f": { "eventTypes": types } })).await;
        let page = data["events"]["events"].as_array().unwrap().clone();
        after = data["events"]["endCursor"].clone();
        let reached = after.as_str().and_then(|c| c.parse::<Position>().ok()).is_some_and(|p| p >= head);
        let full = page.len() == 100;
        all.extend(page);
        if !full && reached {
            return all;
        }
        if !full {
            tokio::time::sleep(Duration::from_millis(20)).await;
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
    db: String,
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
              "body": "Hello {first_name}, we run a conference and thought of you as {position}." },
            { "id": "nudge", "channel": "LINKEDIN", "stepNumber": 1, "body": "Hi {first_name}, following up on my note." }],
        "followUpDays": [2],
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

/// `reachspark serve` on a fresh database, and an operator's view of it.
async fn started() -> (TestDb, Server, Setup) {
    let db = TestDb::new().await;
    let mut cmd = reachspark();
    cmd.env("DATABASE_URL", db.url())
        .env("REACHSPARK_MASTER_KEY", MasterKey::generate().to_base64())
        .env("REACHSPARK_JWT_SECRET", SECRET);
    let server = serve(cmd).await;
    let s =
        Setup { db: db.url().to_owned(), base: server.base.clone(), admin: token(Role::Admin, None, "operator-e2e") };
    (db, server, s)
}

/// An operator approves every draft waiting for approval.
async fn approve_all(s: &Setup) -> usize {
    let waiting = events(&s.base, &s.admin, &s.db, &["MessageApprovalRequested"]).await;
    let q = "mutation($l: ID!, $m: ID!, $k: String) { approveMessage(leadId: $l, messageId: $m,
        rationale: \"reads well\", idempotencyKey: $k) { replayed } }";
    for e in &waiting {
        let (lead, message) = (e["streamId"].clone(), e["payload"]["message_id"].clone());
        gql(&s.base, &s.admin, q, json!({ "l": lead, "m": message, "k": format!("approve:{message}") })).await;
    }
    waiting.len()
}

/// Drains `worker` until it has nothing to do and has read the log to its committed head (see
/// [`committed_head`]: an idle step alone is no proof that there is no work).
pub(crate) async fn settle<A: Agent>(worker: &mut Worker<A>, db_url: &str) -> usize {
    let mut processed = 0;
    loop {
        let outcome = worker.drain().await.unwrap();
        processed += outcome.processed + outcome.polled;
        if outcome.processed + outcome.polled > 0 {
            continue;
        }
        let head = committed_head(db_url).await;
        let cursor = worker.checkpoint().cursor.as_deref().and_then(|c| c.parse::<Position>().ok());
        if cursor.is_some_and(|c| c >= head) {
            return processed;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn client(base: &str, agent: AgentName) -> ApiClient {
    ApiClient::new(base, token(Role::Agent, Some(agent), agent.as_str())).unwrap()
}

#[tokio::test]
async fn the_agents_take_imported_leads_to_sent_replies_qualified_and_opted_out() {
    let (_db, mut server, s) = started().await;
    let world = Arc::new(World::generate(11, 60));
    campaign_and_account(&s, &world).await;

    let dir = tempfile::tempdir().unwrap();
    let retry = RetryPolicy { attempts: 3, base_delay: Duration::from_millis(10), batch: 4 };
    // Before the Sales Manager's report time (09:15 UTC), so its daily operations do not run
    // during the first settle and the counts below do not depend on the hour the test runs.
    let early = Utc::now().date_naive().and_hms_opt(6, 0, 0).unwrap().and_utc();
    let clock = Arc::new(ManualClock::new(early));
    let channel: Arc<dyn Channel> = Arc::new(SandboxLinkedIn::new(world.clone(), clock.clone()));
    // People hear about hot leads through a webhook, here a receiver on loopback.
    let (hook_url, notices) = webhook_receiver().await;
    let notifier = || {
        let webhook = Webhook::new(SecretString::from(hook_url.clone()), None, 5).unwrap();
        HotLeadNotifier::new(Some(webhook), None, false)
    };
    let outreach = |since| Outreach::new(channel.clone(), Bandit::default(), 0.5, since).with_notifier(notifier());
    let file = |name: &str| CheckpointFile::new(dir.path().join(format!("{name}.json")));

    let mut finder = Worker::new(LeadFinder::new(), client(&s.base, AgentName::LeadFinder), file("lf"), retry).unwrap();
    // The manager's day stays before its report time, whatever the hour this runs at: the
    // daily report has its own test (sales_manager.rs) and would count as work here.
    let midnight = Arc::new(ManualClock::new(Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc()));
    let sm = SalesManager::new(Default::default(), midnight);
    let mut manager = Worker::new(sm, client(&s.base, AgentName::SalesManager), file("sm"), retry).unwrap();
    assert_eq!(settle(&mut finder, &s.db).await, LEADS);
    assert_eq!(settle(&mut manager, &s.db).await, LEADS);
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
    settle(&mut out, &s.db).await;
    // The campaign's first two drafts wait for a person. The server counts a campaign's drafts
    // from its read model, which may lag a busy log by a few drafts: then a few more wait too
    // (never fewer).
    let waited = approve_all(&s).await;
    assert!((2..=LEADS).contains(&waited), "the campaign's first two drafts wait for a person: {waited}");
    settle(&mut out, &s.db).await;
    // A second restart, now from an older checkpoint: everything is handled again, idempotently.
    let mut old = Worker::new(outreach(since), client(&s.base, AgentName::Outreach), file("never"), retry).unwrap();
    settle(&mut old, &s.db).await;

    clock.advance(TimeDelta::days(30));
    settle(&mut out, &s.db).await;
    settle(&mut out, &s.db).await;
    assert!(out.checkpoint().dead_letters.is_empty(), "{:?}", out.checkpoint().dead_letters);

    let all = events(
        &s.base,
        &s.admin,
        &s.db,
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
    // Every hot reply reached a person, named by lead and without personal data (the
    // notifier is not allowed any); restarts may repeat a notice under the same id.
    let hot: std::collections::BTreeSet<String> = analysed
        .iter()
        .filter(|a| {
            let (sentiment, intent) = (&a["payload"]["sentiment"], &a["payload"]["intent"]);
            intent == "interested" || (intent == "info_request" && sentiment == "positive")
        })
        .map(|a| a["streamId"].as_str().unwrap().to_owned())
        .collect();
    let posted: Vec<Value> = notices.lock().unwrap().clone();
    let notified: std::collections::BTreeSet<String> =
        posted.iter().map(|n| n["lead_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(notified, hot, "{posted:?}");
    assert!(posted.iter().all(|n| n.get("person").is_none()), "no personal data: {posted:?}");

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
    settle(&mut out, &s.db).await;
    let after = events(&s.base, &s.admin, &s.db, &["LeadOptedOut", "ResponseAnalyzed"]).await;
    let opted = per_lead(&after, "LeadOptedOut");
    assert_eq!(opted.get(&silent), Some(&1), "opted out at once: {after:?}");
    let sent_after = per_lead(&events(&s.base, &s.admin, &s.db, &["MessageSent"]).await, "MessageSent");
    assert_eq!(sent_after, sent, "nothing more was sent");

    terminate(&server.child);
    tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
}

#[tokio::test]
async fn follow_ups_go_out_when_due_and_never_after_a_reply() {
    let (_db, mut server, s) = started().await;
    let world = Arc::new(World::generate(11, 60));
    campaign_and_account(&s, &world).await;

    let dir = tempfile::tempdir().unwrap();
    let retry = RetryPolicy { attempts: 3, base_delay: Duration::from_millis(10), batch: 20 };
    let file = |name: &str| CheckpointFile::new(dir.path().join(format!("{name}.json")));
    let clock = Arc::new(ManualClock::new(Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc()));
    let channel: Arc<dyn Channel> = Arc::new(SandboxLinkedIn::new(world.clone(), clock.clone()));
    let mut finder = Worker::new(LeadFinder::new(), client(&s.base, AgentName::LeadFinder), file("lf"), retry).unwrap();
    let sm = SalesManager::new(Default::default(), clock.clone());
    let mut manager = Worker::new(sm, client(&s.base, AgentName::SalesManager), file("sm"), retry).unwrap();
    let outreach = Outreach::new(channel, Bandit::default(), 0.5, clock.now()).with_clock(clock.clone());
    let mut out = Worker::new(outreach, client(&s.base, AgentName::Outreach), file("out"), retry).unwrap();
    settle(&mut finder, &s.db).await;
    settle(&mut manager, &s.db).await;
    settle(&mut out, &s.db).await;
    approve_all(&s).await;
    settle(&mut out, &s.db).await;
    let firsts = events(&s.base, &s.admin, &s.db, &["MessageSent"]).await.len();
    assert_eq!(firsts, LEADS);

    // A day later nothing is due yet.
    clock.advance(TimeDelta::days(1));
    settle(&mut out, &s.db).await;
    assert_eq!(events(&s.base, &s.admin, &s.db, &["MessageSent"]).await.len(), LEADS, "nothing due before day 2");
    // Two days later the follow-ups are due: those who replied meanwhile get none.
    clock.advance(TimeDelta::days(2));
    settle(&mut out, &s.db).await;
    settle(&mut out, &s.db).await;
    let q = "query($a: String) { events(after: $a, first: 100, filter: { eventTypes:
        [\"MessageDrafted\", \"MessageSent\", \"ResponseReceived\"] }) { endCursor events { streamId eventType version payload } } }";
    let (mut all, mut after) = (Vec::new(), Value::Null);
    loop {
        let page = gql(&s.base, &s.admin, q, json!({ "a": after })).await["events"].clone();
        let batch = page["events"].as_array().unwrap().clone();
        after = page["endCursor"].clone();
        let done = batch.len() < 100;
        all.extend(batch);
        if done {
            break;
        }
    }
    let follow_up_drafts: Vec<&Value> =
        all.iter().filter(|e| e["eventType"] == "MessageDrafted" && e["payload"]["step"] != "first").collect();
    assert!(!follow_up_drafts.is_empty(), "some people had not replied by day 2");
    let replied: BTreeMap<&str, i64> = all
        .iter()
        .filter(|e| e["eventType"] == "ResponseReceived")
        .map(|e| (e["streamId"].as_str().unwrap(), e["version"].as_i64().unwrap()))
        .collect();
    let mut per_lead: BTreeMap<&str, usize> = BTreeMap::new();
    for draft in &follow_up_drafts {
        let lead = draft["streamId"].as_str().unwrap();
        *per_lead.entry(lead).or_default() += 1;
        assert_eq!(draft["payload"]["template_id"], "nudge");
        if let Some(reply) = replied.get(lead) {
            assert!(*reply > draft["version"].as_i64().unwrap(), "a follow-up after a reply: {draft}");
        }
    }
    assert!(per_lead.values().all(|n| *n == 1), "one step, one follow-up each: {per_lead:?}");
    let sent = all.iter().filter(|e| e["eventType"] == "MessageSent").count();
    assert!(sent > LEADS, "the follow-ups went out: {sent}");

    terminate(&server.child);
    tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
}

/// A webhook receiver on loopback; returns its URL and the notices posted to it.
async fn webhook_receiver() -> (String, Arc<std::sync::Mutex<Vec<Value>>>) {
    let notices = Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = notices.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push(body);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/hook"), notices)
}

/// A sheet of 10,000 data rows: good ones, one in Latin-1, one without a profile URL, one of
/// formula injection, one duplicate (another spelling of an earlier URL) and one with a
/// `javascript:` URL; ReachSpark's own output columns beside the input ones.
fn hostile_sheet() -> Vec<u8> {
    let mut csv = b"Lead ID,Name,Position,Company,LinkedIn URL,Classification,Notes\n".to_vec();
    for n in 0..9_995 {
        csv.extend_from_slice(format!(",Person {n},CTO,Company {n},linkedin.com/in/person-{n},Speaker,\n").as_bytes());
    }
    csv.extend_from_slice(b",Jos\xe9 Latin1,CTO,Acme,linkedin.com/in/jose,,\n"); // line 9997
    csv.extend_from_slice(b",No Url,CTO,Acme,,,\n"); // 9998
    csv.extend_from_slice(b",\"=cmd|' /C calc'!A0\",Boss,Evil,linkedin.com/in/evil,,\"@SUM(1+1)\"\n"); // 9999
    csv.extend_from_slice(b",Person 7 again,CTO,Company 7,https://www.LinkedIn.com/in/PERSON-7/,,\n"); // 10000
    csv.extend_from_slice(b",Bad Scheme,CTO,Acme,javascript:alert(1),,\n"); // 10001
    csv
}

#[tokio::test]
async fn the_lead_finder_imports_a_hostile_csv_keeping_good_rows_and_reporting_bad_ones_by_line() {
    let (_db, mut server, s) = started().await;
    campaign_and_account(&s, &World::generate(3, LEADS)).await;
    let campaign =
        events(&s.base, &s.admin, &s.db, &["CampaignCreated"]).await[0]["streamId"].as_str().unwrap().to_owned();

    // The Lead Finder's own token, over a real socket.
    let finder = client(&s.base, AgentName::LeadFinder);
    let sheet = hostile_sheet();
    let out = LeadFinder::import_csv(&finder, campaign.parse().unwrap(), "hostile.csv", &sheet).await.unwrap();
    let result = out.import_leads;
    assert_eq!((result.imported, result.duplicates, result.rejected), (9_996, 1, 3));
    assert_eq!(result.ignored_columns, vec!["Lead ID".to_owned(), "Classification".to_owned()]);
    let line = |n: i64| result.rows.iter().find(|r| r.line == n).unwrap();
    let latin1 = line(9_997);
    assert_eq!(latin1.errors[0].column.as_deref(), Some("Name"));
    assert!(latin1.errors[0].message.contains("UTF-8"), "{:?}", latin1.errors);
    assert_eq!(line(9_998).errors[0].column.as_deref(), Some("LinkedIn URL"));
    assert_eq!(line(10_001).errors[0].column.as_deref(), Some("LinkedIn URL"));
    assert!(line(10_000).errors[0].message.contains("line 9"), "{:?}", line(10_000).errors);
    let evil = line(9_999);
    assert_eq!(evil.warnings.len(), 2, "name and note defused: {:?}", evil.warnings);

    // Stored safely: the name reads back as text a spreadsheet will not evaluate.
    // (read from the leads read model once the projections have applied the import).
    let q = "query($id: ID!) { lead(id: $id) { name notes } }";
    let mut lead = Value::Null;
    for _ in 0..600 {
        lead = gql(&s.base, &s.admin, q, json!({ "id": evil.lead_id })).await["lead"].clone();
        if !lead.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(lead["name"], "'=cmd|' /C calc'!A0", "{lead}");

    // The same file again: the key derives from its content, nothing new is written.
    let before = events(&s.base, &s.admin, &s.db, &["LeadDiscovered"]).await.len();
    let again = LeadFinder::import_csv(&finder, campaign.parse().unwrap(), "hostile.csv", &sheet).await.unwrap();
    assert_eq!(again.import_leads.end_cursor, result.end_cursor);
    assert_eq!(events(&s.base, &s.admin, &s.db, &["LeadDiscovered"]).await.len(), before);
    assert_eq!(before, 9_996 + LEADS, "the campaign's own {LEADS} and the sheet's good rows");

    terminate(&server.child);
    tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
}
