//! The Sales Manager's day over a real `reachspark serve`: a small pipeline seeded through
//! mutations (two templates, one far better; an account whose invitations are spent while a
//! lead waits; a burst of agent errors), then the worker polled past its report time on a
//! manual clock. It publishes one report (Markdown, no personal data, also written to a file),
//! raises the budget and error alerts, switches the worse template off with a decision, and
//! escalates to a webhook; a second poll, and a restart from a lost checkpoint, add nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::{TimeDelta, Utc};
use reachspark_agents::channels::ManualClock;
use reachspark_agents::config::SalesManagerConfig;
use reachspark_agents::notify::{HotLeadNotifier, Webhook};
use reachspark_agents::runtime::{CheckpointFile, RetryPolicy, Worker};
use reachspark_agents::sales_manager::SalesManager;
use reachspark_api::auth::{AgentName, Role};
use reachspark_store::testing::TestDb;
use reachspark_store::MasterKey;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::agents::{client, events, gql, token, SECRET};
use crate::support::{reachspark, serve, terminate};

const NOTICE: &str = "We found your profile on a public page; reply STOP to object.";

type Posts = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn receive(State(posts): State<Posts>, headers: HeaderMap, body: Bytes) -> StatusCode {
    posts.lock().unwrap().push((headers, body));
    StatusCode::NO_CONTENT
}

/// A webhook receiver on loopback; its URL.
async fn webhook(posts: Posts) -> String {
    let app = Router::new().route("/hook", post(receive)).with_state(posts);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/hook")
}

struct Seed {
    db_url: String,
    base: String,
    admin: SecretString,
}

impl Seed {
    async fn run(&self, query: &str, variables: Value) -> Value {
        gql(&self.base, &self.admin, query, variables).await
    }

    /// A lead discovered, classified, scored and allocated; with a template, also drafted,
    /// sent, and (when `positive`) answered with interest. Returns the lead id.
    async fn lead(&self, campaign: &Value, account: &Value, i: usize, sent: Option<(&str, bool)>) -> Value {
        let d = json!({ "confidence": 0.9, "rationale": "seeded by the test", "engine": { "rules": { "policyVersion": "test" } } });
        let q = "mutation($c: ID!, $n: String!, $u: String) { discoverLead(campaignId: $c, name: $n, profileUrl: $u,
            position: \"Head of Events\", company: \"Acme Events\") { streamId } }";
        let vars = json!({ "c": campaign, "n": format!("Seeded Person {i}"), "u": format!("https://www.linkedin.com/in/seeded-person-{i}") });
        let lead = self.run(q, vars).await["discoverLead"]["streamId"].clone();
        let q = "mutation($l: ID!, $d: DecisionInput!) { classifyLead(leadId: $l, class: SPEAKER, decision: $d) { version } }";
        self.run(q, json!({ "l": lead, "d": d })).await;
        let q = "mutation($l: ID!, $d: DecisionInput!) { scoreLead(leadId: $l, score: 7, decision: $d) { version } }";
        self.run(q, json!({ "l": lead, "d": d })).await;
        let q =
            "mutation($l: ID!, $a: ID!, $d: DecisionInput!) { allocateLead(leadId: $l, accountId: $a, priority: 100,
            decision: $d) { version } }";
        self.run(q, json!({ "l": lead, "a": account, "d": d })).await;
        let Some((template, positive)) = sent else { return lead };

        let q = "mutation($l: ID!, $t: String, $b: String!, $d: DecisionInput!) { draftMessage(leadId: $l,
            channel: LINKEDIN, templateId: $t, stepNumber: 0, body: $b, aiGenerated: false, decision: $d) { createdId } }";
        let body = format!("Hello Seeded Person {i}, a quick idea. {NOTICE}");
        let message = self.run(q, json!({ "l": lead, "t": template, "b": body, "d": d })).await["draftMessage"]
            ["createdId"]
            .clone();
        let q = "mutation($l: ID!, $m: ID!, $a: ID!) { reserveSend(leadId: $l, messageId: $m, accountId: $a,
            actionType: CONNECTION_INVITATION) { createdId } }";
        self.run(q, json!({ "l": lead, "m": message, "a": account })).await;
        let q = "mutation($l: ID!, $m: ID!, $p: String!) { recordSent(leadId: $l, messageId: $m, providerMessageId: $p) { version } }";
        self.run(q, json!({ "l": lead, "m": message, "p": format!("provider-{i}") })).await;
        if positive {
            let q = "mutation($l: ID!, $m: ID) { recordResponse(leadId: $l, messageId: $m,
                text: \"Sounds great, let's talk next week\") { createdId } }";
            let response = self.run(q, json!({ "l": lead, "m": message })).await["recordResponse"]["createdId"].clone();
            let q = "mutation($l: ID!, $r: ID!, $d: DecisionInput!) { analyzeResponse(leadId: $l, responseId: $r,
                sentiment: POSITIVE, intent: INTERESTED, decision: $d) { version } }";
            self.run(q, json!({ "l": lead, "r": response, "d": d })).await;
        }
        lead
    }

    /// Waits until every read model has caught up with the log.
    async fn caught_up(&self) {
        for _ in 0..300 {
            let data = self.run("{ projections { lag } }", json!({})).await;
            if data["projections"].as_array().unwrap().iter().all(|p| p["lag"] == 0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the read models did not catch up");
    }
}

/// The Sales Manager's reports, alerts and strategy updates, once the read models have
/// caught up (so every committed event is visible to the log's gap-free reader too).
async fn written(seed: &Seed) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    seed.caught_up().await;
    let all = events(
        &seed.base,
        &seed.admin,
        &seed.db_url,
        &["DailyReportPublished", "PerformanceAlertRaised", "StrategyUpdated"],
    )
    .await;
    let of = |t: &str| all.iter().filter(|e| e["eventType"] == t).cloned().collect::<Vec<_>>();
    (of("DailyReportPublished"), of("PerformanceAlertRaised"), of("StrategyUpdated"))
}

#[tokio::test]
async fn the_sales_manager_reports_alerts_and_updates_strategy_once_a_day() {
    let db = TestDb::new().await;
    let mut cmd = reachspark();
    cmd.env("DATABASE_URL", db.url())
        .env("REACHSPARK_MASTER_KEY", MasterKey::generate().to_base64())
        .env("REACHSPARK_JWT_SECRET", SECRET);
    let mut server = serve(cmd).await;
    let seed = Seed {
        db_url: db.url().to_owned(),
        base: server.base.clone(),
        admin: token(Role::Admin, None, "operator-e2e"),
    };

    let input = json!({
        "name": "Speakers 2026",
        "targeting": { "minScore": 0 },
        "templates": [
            { "id": "short", "channel": "LINKEDIN", "stepNumber": 0, "body": "Hi {first_name}, quick idea." },
            { "id": "long", "channel": "LINKEDIN", "stepNumber": 0, "body": "Hello {first_name}, a longer note." }],
        "allocationStrategy": "LEAST_LOADED",
        "approvalPolicy": { "mode": "NEVER" },
        "aiDisclosure": "Written with the help of an AI.",
        "firstContactNotice": NOTICE,
    });
    let q = "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { createdId } }";
    let campaign = seed.run(q, json!({ "i": input })).await["createCampaign"]["createdId"].clone();
    let q = "mutation { registerSenderAccount(channel: LINKEDIN, provider: \"sandbox\", limits: { rampUpDays: 0,
        minSpacingSeconds: 0, dailyInvitations: 20, weeklyInvitations: 100, dailyTotal: 45 }) { createdId } }";
    let account = seed.run(q, json!({})).await["registerSenderAccount"]["createdId"].clone();
    // 10 sends of `short` (8 answered with interest), 10 of `long` (none), then a lead that
    // waits for an account whose 20 invitations of the day are spent.
    for i in 0..20 {
        let sent = if i < 10 { ("short", i < 8) } else { ("long", false) };
        seed.lead(&campaign, &account, i, Some(sent)).await;
    }
    seed.lead(&campaign, &account, 20, None).await;
    for i in 0..6 {
        let q = "mutation($k: String) { raiseAgentError(agent: OUTREACH, kind: TRANSIENT, context: \"code=network\",
            idempotencyKey: $k) { version } }";
        seed.run(q, json!({ "k": format!("seeded-error-{i}") })).await;
    }
    seed.caught_up().await;

    let dir = tempfile::tempdir().unwrap();
    let posts = Posts::default();
    let hook = webhook(posts.clone()).await;
    let manager = |clock: Arc<ManualClock>| {
        let config = SalesManagerConfig {
            strategy_min_sends: 10,
            report_dir: Some(dir.path().join("reports")),
            ..Default::default()
        };
        let notifier =
            HotLeadNotifier::new(Some(Webhook::new(SecretString::from(hook.clone()), None, 5).unwrap()), None, false);
        SalesManager::new(config, clock).with_notifier(notifier)
    };
    let today = Utc::now().date_naive();
    let clock = Arc::new(ManualClock::new(today.and_hms_opt(9, 0, 0).unwrap().and_utc()));
    let retry = RetryPolicy { attempts: 3, base_delay: Duration::from_millis(10), batch: 50 };
    let file = |name: &str| CheckpointFile::new(dir.path().join(format!("{name}.json")));
    let sm = client(&seed.base, AgentName::SalesManager);
    let mut worker = Worker::new(manager(clock.clone()), sm.clone(), file("sm"), retry).unwrap();

    // Before report_time (09:15): the scored leads are looked at, no report.
    let before = worker.drain().await.unwrap();
    assert_eq!((before.processed, before.polled), (21, 0), "{before:?}");
    assert!(written(&seed).await.0.is_empty());

    clock.advance(TimeDelta::minutes(30));
    let outcome = worker.step().await.unwrap();
    assert!(outcome.polled >= 1, "{outcome:?}");
    let (reports, alerts, strategy) = written(&seed).await;

    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["payload"]["day"], today.to_string());
    let md = reports[0]["payload"]["report_markdown"].as_str().unwrap().to_owned();
    for expected in [
        format!("# Daily report — {today}\n"),
        "- Today: 20 sent, 8 replies, 8 positive, 0 qualified.\n".to_owned(),
        "- Alerts: Error spike, Budget exhausted. Warnings: 0.\n".to_owned(),
        "- **Budget exhausted**: account ".to_owned(),
        "- **Error spike**: 6 agent failures today".to_owned(),
        "template weights: `long` → 0 (by sales_manager). Template long earned 0 positive replies to 10 sends"
            .to_owned(),
        "| `long` | Speaker | 10 | 0 | 0 | 0 | 0.0% | 0.0% | off |\n".to_owned(),
        "| `short` | Speaker | 10 | 8 | 8 | 0 | 80.0% | 80.0% | 1 |\n".to_owned(),
        format!("| `{}` | linkedin | connection_invitation | 20 | 20 | 0 | 1 |\n", account.as_str().unwrap()),
        "| outreach | 6 | 0 | 0 |".to_owned(),
    ] {
        assert!(md.contains(&expected), "missing {expected:?} in\n{md}");
    }
    for personal in ["Seeded Person", "seeded-person", "let's talk", "Acme"] {
        assert!(!md.contains(personal), "{personal:?} in the report");
    }
    let file_md = std::fs::read_to_string(dir.path().join(format!("reports/daily-report-{today}.md"))).unwrap();
    assert_eq!(file_md, md, "the file holds the published report");

    let mut kinds: Vec<&str> = alerts.iter().map(|a| a["payload"]["alert"].as_str().unwrap()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["budget_exhausted", "error_spike"]);

    assert_eq!(strategy.len(), 1);
    let update = &strategy[0]["payload"];
    assert_eq!(update["change"]["kind"], "template_weights");
    assert_eq!(update["change"]["weights"].as_object().unwrap().len(), 1);
    assert_eq!(update["change"]["weights"]["long"].as_f64(), Some(0.0));
    assert_eq!(update["decision"]["decided_by"]["id"], "sales_manager");
    assert_eq!(update["decision"]["kind"], "strategy_change");
    let factors: Vec<&str> =
        update["decision"]["factors"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(factors, ["positive_rate:long", "positive_rate:short", "sends:long", "sends:short", "min_sends"]);

    let escalated: Vec<(String, Value)> = posts
        .lock()
        .unwrap()
        .iter()
        .map(|(h, b)| (h["x-reachspark-event"].to_str().unwrap().to_owned(), serde_json::from_slice(b).unwrap()))
        .collect();
    let events: Vec<&str> = escalated.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(events, ["performance_alert", "performance_alert", "daily_report"]);
    let summary = escalated[2].1["text"].as_str().unwrap();
    assert!(summary.starts_with("Today: 20 sent, 8 replies, 8 positive, 0 qualified."), "{summary}");
    assert!(escalated.iter().all(|(_, b)| !b.to_string().contains("Seeded")));

    // A second poll the same day, and a restart that lost its checkpoint: nothing more.
    assert_eq!(worker.step().await.unwrap().polled, 0);
    let mut restarted = Worker::new(manager(clock.clone()), sm, file("lost"), retry).unwrap();
    restarted.drain().await.unwrap();
    let again = written(&seed).await;
    assert_eq!((again.0.len(), again.1.len(), again.2.len()), (1, 2, 1), "nothing written twice");
    assert_eq!(posts.lock().unwrap().len(), 3, "nobody told twice");

    terminate(&server.child);
    tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.unwrap().unwrap();
}
