//! The analytics queries over read models built from real commands: numbers, rates, ranges,
//! and who may ask.

use chrono::{DateTime, TimeZone, Utc};
use reachspark_api::auth::{Principal, Role};
use reachspark_api::graphql::{schema, ApiSchema};
use reachspark_domain::agent::{agent_stream_id, Agent, ErrorKind, RaiseError};
use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::lead::{
    AllocateLead, AnalyzeResponse, ClassifyLead, CloseLead, CloseOutcome, DiscoverLead, DraftMessage, Intent, Lead,
    LeadClass, LeadCommand, LeadSource, OptOut, OptOutSource, QualifyLead, RecordResponse, RecordSent, Sentiment, Step,
};
use reachspark_domain::outreach::ReserveSend;
use reachspark_domain::sender_account::{
    ActionType, Channel, RegisterSenderAccount, ReserveSlot, SenderAccount, SenderAccountCommand, SendingLimits,
};
use reachspark_domain::{Actor, Pii};
use reachspark_store::testing::TestDb;
use reachspark_store::{CommandBus, CommandContext, Store};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::{project, run};

const CAMPAIGN: Uuid = Uuid::from_u128(0xC1);
const OTHER_CAMPAIGN: Uuid = Uuid::from_u128(0xC2);
const LINKEDIN: Uuid = Uuid::from_u128(0xA1);
const MAILBOX: Uuid = Uuid::from_u128(0xB1);

/// `2025-03-{day} {hour}:{minute}` UTC.
fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, hour, minute, 0).single().expect("a valid test time")
}

fn decision(kind: DecisionKind, output: &str) -> Decision {
    Decision::new(kind, output, "test rationale", Actor::agent("lead_finder"), Engine::rules("rules-1"))
}

fn as_role(role: Role) -> Option<Principal> {
    Some(Principal { subject: "someone".to_owned(), role, agent: None, pii: false, expires_at: u64::MAX })
}

/// Commands through the real command bus, as the outreach agent (leads) and `ops` (accounts).
struct World {
    db: TestDb,
    bus: CommandBus,
}

impl World {
    async fn lead(&self, lead: Uuid, command: impl Into<LeadCommand>) {
        let ctx = CommandContext::new(Actor::agent("outreach"), Utc::now());
        self.bus.execute::<Lead>(&ctx, lead, None, command.into()).await.expect("lead command accepted");
    }

    async fn account(&self, account: Uuid, command: impl Into<SenderAccountCommand>) {
        let ctx = CommandContext::new(Actor::person("ops"), Utc::now());
        self.bus.execute::<SenderAccount>(&ctx, account, None, command.into()).await.expect("account command accepted");
    }

    async fn discover(&self, lead: Uuid, campaign_id: Uuid, when: DateTime<Utc>) {
        let command = DiscoverLead {
            source: LeadSource::Sandbox,
            source_ref: Pii::new(format!("sandbox:{lead}")),
            campaign_id,
            name: Pii::new("Ada Lovelace".to_owned()),
            profile_url: Some(Pii::new(format!("https://linkedin.com/in/{lead}"))),
            email: None,
            position: "Head of Partnerships".to_owned(),
            company: "Analytical Engines Ltd".to_owned(),
            at: when,
        };
        self.lead(lead, command).await;
    }

    /// Classifies, allocates to [`LINKEDIN`], drafts with template `intro`, and sends at `sent`;
    /// returns the message id.
    async fn reach(&self, lead: Uuid, class: LeadClass, prepared: DateTime<Utc>, sent: DateTime<Utc>) -> Uuid {
        let classification = decision(DecisionKind::Classification, &format!("{class:?}"));
        self.lead(lead, ClassifyLead { class, decision: classification, at: prepared }).await;
        let allocation = decision(DecisionKind::Allocation, "linkedin");
        self.lead(lead, AllocateLead { account_id: LINKEDIN, priority: 5, decision: allocation, at: prepared }).await;
        let message_id = Uuid::new_v4();
        let draft = DraftMessage {
            message_id,
            channel: Channel::LinkedIn,
            template_id: Some("intro".to_owned()),
            step: Step::First,
            body: Pii::new("Hello Ada".to_owned()),
            ai_generated: false,
            model: None,
            prompt_hash: None,
            requires_approval: false,
            decision: decision(DecisionKind::Draft, "intro"),
            at: prepared,
        };
        self.lead(lead, draft).await;
        let reservation_id = Uuid::new_v4();
        let action_type = ActionType::Message;
        let reserve =
            ReserveSend { lead_id: lead, account_id: LINKEDIN, message_id, reservation_id, action_type, at: sent };
        let ctx = CommandContext::new(Actor::agent("outreach"), Utc::now());
        self.bus.reserve_send(&ctx, reserve).await.expect("slot reserved");
        let provider_message_id = format!("sandbox-{message_id}");
        self.lead(lead, RecordSent { message_id, provider_message_id, at: sent }).await;
        message_id
    }

    async fn invitation(&self, when: DateTime<Utc>) {
        let action_type = ActionType::ConnectionInvitation;
        let slot = ReserveSlot {
            reservation_id: Uuid::new_v4(),
            lead_id: Uuid::new_v4(),
            message_id: None,
            action_type,
            at: when,
        };
        self.account(LINKEDIN, slot).await;
    }
}

/// Two campaigns, a LinkedIn account whose total cap binds and a ramping mailbox, a funnel
/// over four days, and one reported rejection; the read models caught up.
async fn world() -> (World, Store) {
    let db = TestDb::new().await;
    let world = World { bus: CommandBus::new(db.store().await), db };
    let tight = SendingLimits { ramp_up_days: 0, min_spacing_seconds: 0, daily_total: 5, ..SendingLimits::linkedin() };
    let linkedin = RegisterSenderAccount {
        channel: Channel::LinkedIn,
        provider: "sandbox".to_owned(),
        limits: tight,
        at: at(1, 0, 0),
    };
    world.account(LINKEDIN, linkedin).await;
    let mailbox = RegisterSenderAccount {
        channel: Channel::Email,
        provider: "smtp".to_owned(),
        limits: SendingLimits::email(),
        at: at(1, 0, 0),
    };
    world.account(MAILBOX, mailbox).await;
    world.invitation(at(2, 9, 0)).await;
    world.invitation(at(4, 9, 0)).await;

    let [speaker, other, elsewhere] = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
    world.discover(speaker, CAMPAIGN, at(3, 9, 0)).await;
    let message_id = Some(world.reach(speaker, LeadClass::Speaker, at(3, 9, 5), at(4, 10, 0)).await);
    let response_id = Uuid::new_v4();
    let text = Pii::new("Happy to talk".to_owned());
    world.lead(speaker, RecordResponse { response_id, message_id, text, at: at(4, 12, 0) }).await;
    let analysis = decision(DecisionKind::ReplyAnalysis, "Interested");
    let (sentiment, intent) = (Sentiment::Positive, Intent::Interested);
    world.lead(speaker, AnalyzeResponse { response_id, sentiment, intent, decision: analysis, at: at(5, 8, 0) }).await;
    world.lead(speaker, QualifyLead { by: Actor::person("sales"), note: None, at: at(5, 9, 0) }).await;
    world.lead(speaker, CloseLead { outcome: CloseOutcome::Won, at: at(6, 16, 0) }).await;

    world.discover(other, CAMPAIGN, at(3, 11, 0)).await;
    world.reach(other, LeadClass::Other, at(4, 8, 0), at(4, 11, 0)).await;
    world.lead(other, OptOut { source: OptOutSource::Link, at: at(4, 13, 0) }).await;

    world.discover(elsewhere, OTHER_CAMPAIGN, at(4, 7, 0)).await;

    let error = RaiseError {
        kind: ErrorKind::Rejected,
        context: "ReserveSend: daily_limit_reached".to_owned(),
        command: Some("ReserveSend".to_owned()),
        at: at(4, 14, 0),
    };
    let ctx = CommandContext::new(Actor::agent("outreach"), Utc::now());
    world.bus.execute::<Agent>(&ctx, agent_stream_id("outreach"), None, error.into()).await.expect("error recorded");

    let store = world.bus.store().clone();
    project(&store).await;
    (world, store)
}

const PIPELINE: &str = "query($c: ID!, $from: Date, $to: Date) { pipeline(campaignId: $c, from: $from, to: $to) {
    from to
    days { day counts { ...Stages replyRate } }
    totals { ...Stages replyRate positiveRate } } }
    fragment Stages on FunnelCounts {
        discovered classified allocated drafted sent responded positive qualified closed optedOut }";

fn funnel(counts: [i64; 10]) -> Value {
    let names = [
        "discovered",
        "classified",
        "allocated",
        "drafted",
        "sent",
        "responded",
        "positive",
        "qualified",
        "closed",
        "optedOut",
    ];
    Value::Object(names.iter().zip(counts).map(|(name, n)| ((*name).to_owned(), json!(n))).collect())
}

#[tokio::test]
async fn pipeline_counts_each_day_and_totals_the_range_with_rates() {
    let (_world, store) = world().await;
    let schema = schema(store);
    let vars = json!({ "c": CAMPAIGN, "from": "2025-03-02", "to": "2025-03-06" });
    let out = run(&schema, as_role(Role::Analyst), PIPELINE, vars).await;
    assert!(out.get("errors").is_none(), "{out}");
    let pipeline = &out["data"]["pipeline"];
    assert_eq!((&pipeline["from"], &pipeline["to"]), (&json!("2025-03-02"), &json!("2025-03-06")));
    let days = pipeline["days"].as_array().unwrap();
    let day_names: Vec<&str> = days.iter().map(|d| d["day"].as_str().unwrap()).collect();
    assert_eq!(day_names, ["2025-03-02", "2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06"]);
    let with_rate = |counts: [i64; 10], rate: Value| {
        let mut f = funnel(counts);
        f["replyRate"] = rate;
        f
    };
    //          discovered classified allocated drafted sent responded positive qualified closed opted_out
    let expected = [
        with_rate([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], Value::Null),
        with_rate([2, 1, 1, 1, 0, 0, 0, 0, 0, 0], Value::Null),
        with_rate([0, 1, 1, 1, 2, 1, 0, 0, 0, 1], json!(0.5)),
        with_rate([0, 0, 0, 0, 0, 0, 1, 1, 0, 0], Value::Null),
        with_rate([0, 0, 0, 0, 0, 0, 0, 0, 1, 0], Value::Null),
    ];
    for (day, expected) in days.iter().zip(expected) {
        assert_eq!(day["counts"], expected, "{}", day["day"]);
    }
    let mut totals = funnel([2, 2, 2, 2, 2, 1, 1, 1, 1, 1]);
    totals["replyRate"] = json!(0.5);
    totals["positiveRate"] = json!(0.5);
    assert_eq!(pipeline["totals"], totals);

    // The other campaign's lead is not counted here; an unknown campaign has zeros.
    let vars = json!({ "c": Uuid::new_v4(), "from": "2025-03-01", "to": "2025-03-31" });
    let out = run(&schema, as_role(Role::Agent), PIPELINE, vars).await;
    assert_eq!(out["data"]["pipeline"]["days"].as_array().unwrap().len(), 31, "{out}");
    let mut zeros = funnel([0; 10]);
    zeros["replyRate"] = Value::Null;
    zeros["positiveRate"] = Value::Null;
    assert_eq!(out["data"]["pipeline"]["totals"], zeros);
}

#[tokio::test]
async fn pipeline_ranges_are_validated_naming_the_field() {
    let (_world, store) = world().await;
    let schema = schema(store);
    let ask = |from: &str, to: &str| json!({ "c": CAMPAIGN, "from": from, "to": to });
    let reversed = run(&schema, as_role(Role::Analyst), PIPELINE, ask("2025-03-06", "2025-03-02")).await;
    assert_eq!(reversed["errors"][0]["extensions"]["code"], "VALIDATION", "{reversed}");
    assert_eq!(reversed["errors"][0]["message"], "from: must not be after to");
    let too_long = run(&schema, as_role(Role::Analyst), PIPELINE, ask("2024-03-05", "2025-03-06")).await;
    assert_eq!(too_long["errors"][0]["extensions"]["code"], "VALIDATION", "{too_long}");
    assert_eq!(too_long["errors"][0]["message"], "from: the range may span at most 366 days");
    let year = run(&schema, as_role(Role::Analyst), PIPELINE, ask("2024-03-06", "2025-03-06")).await;
    assert_eq!(year["data"]["pipeline"]["days"].as_array().map(Vec::len), Some(366), "{year}");
    assert_eq!(year["data"]["pipeline"]["totals"]["sent"], 2);
    let bad_id = run(&schema, as_role(Role::Analyst), PIPELINE, json!({ "c": "nope" })).await;
    assert_eq!(bad_id["errors"][0]["message"], "campaignId: not a UUID", "{bad_id}");
}

const USAGE: &str = "query($account: ID, $day: Date) { senderUsage(accountId: $account, day: $day) {
    accountId channel provider day contactsUsed dailyTotalCap
    actions { actionType usedToday dailyCap usedLast7Days weeklyCap remaining } } }";

fn action(
    name: &str,
    (used_today, daily_cap): (i64, i64),
    (used_7d, weekly_cap): (i64, Value),
    remaining: i64,
) -> Value {
    json!({ "actionType": name, "usedToday": used_today, "dailyCap": daily_cap, "usedLast7Days": used_7d,
            "weeklyCap": weekly_cap, "remaining": remaining })
}

#[tokio::test]
async fn sender_usage_sets_each_account_s_use_against_every_cap() {
    let (_world, store) = world().await;
    let schema = schema(store);
    let out = run(&schema, as_role(Role::Operator), USAGE, json!({ "day": "2025-03-04" })).await;
    assert!(out.get("errors").is_none(), "{out}");
    let accounts = out["data"]["senderUsage"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{out}");
    // Two messages and an invitation that day: the total cap of 5 leaves 2 for either.
    let linkedin = json!({
        "accountId": LINKEDIN, "channel": "linkedin", "provider": "sandbox", "day": "2025-03-04",
        "contactsUsed": 3, "dailyTotalCap": 5,
        "actions": [
            action("connection_invitation", (1, 20), (2, json!(100)), 2),
            action("message", (2, 45), (2, Value::Null), 2),
            action("profile_view", (0, 80), (0, Value::Null), 80),
        ],
    });
    assert_eq!(accounts[0], linkedin);
    // Ramp-up day 3 of 21 from 25 %: 35 % of 350.
    let mailbox = json!({
        "accountId": MAILBOX, "channel": "email", "provider": "smtp", "day": "2025-03-04",
        "contactsUsed": 0, "dailyTotalCap": 122,
        "actions": [action("email", (0, 122), (0, Value::Null), 122)],
    });
    assert_eq!(accounts[1], mailbox);

    // One account, six days later: the invitation of the 2nd left the 7-day window.
    let out = run(&schema, as_role(Role::Analyst), USAGE, json!({ "account": LINKEDIN, "day": "2025-03-10" })).await;
    let only = out["data"]["senderUsage"].as_array().unwrap();
    assert_eq!(only.len(), 1, "{out}");
    assert_eq!(only[0]["actions"][0], action("connection_invitation", (0, 20), (1, json!(100)), 5));
    let unknown = run(&schema, as_role(Role::Analyst), USAGE, json!({ "account": Uuid::new_v4() })).await;
    assert_eq!(unknown["data"]["senderUsage"], json!([]), "{unknown}");
}

#[tokio::test]
async fn agents_report_commands_events_and_the_last_error() {
    let (world, store) = world().await;
    let schema = schema(store);
    let q = "{ agents { actorKind actorId commands events rejections errors
        lastError { kind command context } lastSeen } }";
    let out = run(&schema, as_role(Role::Analyst), q, json!({})).await;
    assert!(out.get("errors").is_none(), "{out}");
    let agents = out["data"]["agents"].as_array().unwrap();
    let ids: Vec<(&str, &str)> =
        agents.iter().map(|a| (a["actorKind"].as_str().unwrap(), a["actorId"].as_str().unwrap())).collect();
    assert_eq!(ids, [("agent", "outreach"), ("person", "ops")]);
    // The log is the reference: count each actor's commands and events there.
    let counts: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT metadata->'actor'->>'id', count(DISTINCT metadata->>'command_id'), count(*)
         FROM events GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(world.db.pool())
    .await
    .unwrap();
    let (outreach, ops) = (&agents[0], &agents[1]);
    assert_eq!(counts[0].0, "ops", "{counts:?}");
    assert_eq!((ops["commands"].as_i64(), ops["events"].as_i64()), (Some(counts[0].1), Some(counts[0].2)));
    assert_eq!((ops["commands"].as_i64(), ops["events"].as_i64()), (Some(4), Some(4)), "2 registrations, 2 slots");
    assert_eq!(counts[1].0, "outreach");
    assert_eq!((outreach["commands"].as_i64(), outreach["events"].as_i64()), (Some(counts[1].1), Some(counts[1].2)));
    assert!(counts[1].2 > counts[1].1, "a send reservation writes two events in one command");
    assert_eq!((outreach["rejections"].as_i64(), outreach["errors"].as_i64()), (Some(1), Some(0)));
    let last = json!({ "kind": "rejected", "command": "ReserveSend", "context": "ReserveSend: daily_limit_reached" });
    assert_eq!(outreach["lastError"], last);
    assert_eq!(ops["lastError"], Value::Null);
}

#[tokio::test]
async fn template_performance_counts_per_template_and_segment_with_rates() {
    let (_world, store) = world().await;
    let schema = schema(store);
    let q = "query($c: ID, $s: String) { templatePerformance(campaignId: $c, segment: $s) {
        campaignId templateId segment sent replies positive negative optOuts replyRate positiveRate } }";
    let row = |segment: &str, (sent, replies, positive, opt_outs): (i64, i64, i64, i64), rates: (f64, f64)| {
        json!({ "campaignId": CAMPAIGN, "templateId": "intro", "segment": segment, "sent": sent,
                "replies": replies, "positive": positive, "negative": 0, "optOuts": opt_outs,
                "replyRate": rates.0, "positiveRate": rates.1 })
    };
    let out = run(&schema, as_role(Role::Analyst), q, json!({ "c": CAMPAIGN })).await;
    let expected = json!([row("Other", (1, 0, 0, 1), (0.0, 0.0)), row("Speaker", (1, 1, 1, 0), (1.0, 1.0))]);
    assert_eq!(out["data"]["templatePerformance"], expected, "{out}");
    let speakers = run(&schema, as_role(Role::Analyst), q, json!({ "s": "Speaker" })).await;
    assert_eq!(speakers["data"]["templatePerformance"], json!([row("Speaker", (1, 1, 1, 0), (1.0, 1.0))]));
    let none = run(&schema, as_role(Role::Analyst), q, json!({ "c": OTHER_CAMPAIGN })).await;
    assert_eq!(none["data"]["templatePerformance"], json!([]), "{none}");
    let bad = run(&schema, as_role(Role::Analyst), q, json!({ "s": "speaker" })).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "VALIDATION");
    assert_eq!(bad["errors"][0]["message"], "segment: must be Speaker, Sponsor, Other or Unclassified");
}

#[tokio::test]
async fn analytics_need_the_analytics_permission() {
    let (_world, store) = world().await;
    let schema: ApiSchema = schema(store);
    let queries = [
        format!(r#"{{ pipeline(campaignId: "{CAMPAIGN}") {{ totals {{ sent }} }} }}"#),
        "{ senderUsage { accountId } }".to_owned(),
        "{ agents { actorId } }".to_owned(),
        "{ templatePerformance { templateId } }".to_owned(),
    ];
    for q in &queries {
        for role in [Role::Admin, Role::Operator, Role::Agent, Role::Analyst] {
            let out = run(&schema, as_role(role), q, json!({})).await;
            assert!(out.get("errors").is_none(), "{role:?} {q}: {out}");
        }
        for role in [Role::CrmSync, Role::Auditor] {
            let out = run(&schema, as_role(role), q, json!({})).await;
            assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{role:?} {q}: {out}");
            assert_eq!(out["data"], Value::Null);
        }
        let out = run(&schema, None, q, json!({})).await;
        assert_eq!(out["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{q}: {out}");
    }
}
