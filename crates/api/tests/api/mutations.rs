//! Mutations through `schema.execute` on a real database: the whole pipeline by command,
//! versions and positions, idempotency, conflicts, field-level errors, permissions, and
//! compliance rules that no caller can get around.

use async_graphql::{Request, Variables};
use reachspark_api::auth::{AgentName, Principal, Role};
use reachspark_api::graphql::{schema, ApiSchema};
use reachspark_store::testing::TestDb;
use reachspark_store::Store;
use serde_json::{json, Value};

pub(crate) struct Api {
    pub(crate) _db: TestDb,
    pub(crate) store: Store,
    pub(crate) schema: ApiSchema,
}

impl Api {
    pub(crate) async fn new() -> Self {
        let db = TestDb::new().await;
        let store = db.store().await;
        Self { schema: schema(store.clone()), store, _db: db }
    }

    pub(crate) async fn exec(&self, who: Option<Principal>, query: &str, variables: Value) -> Value {
        let mut request = Request::new(query).variables(Variables::from_json(variables));
        if let Some(who) = who {
            request = request.data(who);
        }
        serde_json::to_value(self.schema.execute(request).await).unwrap()
    }

    /// Runs and expects success; returns `data`.
    pub(crate) async fn ok(&self, who: Option<Principal>, query: &str, variables: Value) -> Value {
        let out = self.exec(who, query, variables).await;
        assert!(out.get("errors").is_none(), "{out}");
        out["data"].clone()
    }

    /// Runs and expects one error; returns its extensions.
    pub(crate) async fn fails(&self, who: Option<Principal>, query: &str, variables: Value) -> Value {
        let out = self.exec(who, query, variables).await;
        assert!(out["errors"].is_array(), "expected an error: {out}");
        out["errors"][0]["extensions"].clone()
    }

    pub(crate) async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(self.store.pool()).await.unwrap()
    }
}

pub(crate) fn person(role: Role) -> Option<Principal> {
    Some(Principal { subject: "sam".to_owned(), role, agent: None, pii: true, expires_at: u64::MAX })
}

pub(crate) fn agent(name: AgentName) -> Option<Principal> {
    let subject = name.as_str().to_owned();
    Some(Principal { subject, role: Role::Agent, agent: Some(name), pii: true, expires_at: u64::MAX })
}

pub(crate) const NOTICE: &str = "We found your talk on a public page; reply STOP to object.";
pub(crate) const DISCLOSURE: &str = "Written with the help of an AI.";

const RESULT: &str = "streamId version replayed createdId events { eventId position cursor version }";

pub(crate) fn rules() -> Value {
    json!({ "confidence": 0.9, "rationale": "rules matched", "engine": { "rules": { "policyVersion": "r1" } },
            "factors": [{ "name": "title_contains_speaker", "value": "true", "contribution": 2.5 }] })
}

/// A campaign whose first two drafts wait for a person, and a LinkedIn account.
pub(crate) async fn campaign_and_account(api: &Api) -> (String, String) {
    let create = format!("mutation($input: CreateCampaignInput!) {{ createCampaign(input: $input) {{ {RESULT} }} }}");
    let input = json!({
        "name": "RustConf speakers",
        "targeting": { "classes": ["SPEAKER"], "keywords": ["rust"], "minScore": 5 },
        "templates": [{ "id": "first", "channel": "LINKEDIN", "stepNumber": 0, "body": "Hi {first_name}" },
                      { "id": "again", "channel": "LINKEDIN", "stepNumber": 1, "body": "Any news?" }],
        "allocationStrategy": "LEAST_LOADED",
        "approvalPolicy": { "mode": "FIRST_N", "firstN": 2 },
        "aiDisclosure": DISCLOSURE,
        "firstContactNotice": NOTICE,
        "followUpDays": [3, 7]
    });
    let data = api.ok(person(Role::Operator), &create, json!({ "input": input })).await;
    let campaign = data["createCampaign"]["createdId"].as_str().unwrap().to_owned();
    let register = "mutation { registerSenderAccount(channel: LINKEDIN, provider: \"sandbox\",
        limits: { rampUpDays: 0, minSpacingSeconds: 0 }) { createdId version } }";
    let data = api.ok(person(Role::Admin), register, json!({})).await;
    (campaign, data["registerSenderAccount"]["createdId"].as_str().unwrap().to_owned())
}

pub(crate) async fn discover(api: &Api, campaign: &str, url: &str) -> String {
    let q = "mutation($c: ID!, $u: String) { discoverLead(campaignId: $c, name: \"Ada Lovelace\",
        profileUrl: $u, position: \"Head of DevRel\", company: \"Analytical\") { streamId version } }";
    let data = api.ok(agent(AgentName::LeadFinder), q, json!({ "c": campaign, "u": url })).await;
    assert_eq!(data["discoverLead"]["version"], 1);
    data["discoverLead"]["streamId"].as_str().unwrap().to_owned()
}

/// Discovered, classified, scored and allocated.
pub(crate) async fn allocated(api: &Api, campaign: &str, account: &str, url: &str) -> String {
    let lead = discover(api, campaign, url).await;
    let lf = agent(AgentName::LeadFinder);
    let q =
        "mutation($l: ID!, $d: DecisionInput!) { classifyLead(leadId: $l, class: SPEAKER, decision: $d) { version } }";
    api.ok(lf.clone(), q, json!({ "l": lead, "d": rules() })).await;
    let q = "mutation($l: ID!, $d: DecisionInput!) { scoreLead(leadId: $l, score: 8, decision: $d) { version } }";
    api.ok(lf, q, json!({ "l": lead, "d": rules() })).await;
    let q = "mutation($l: ID!, $a: ID!, $d: DecisionInput!) {
        allocateLead(leadId: $l, accountId: $a, priority: 5, decision: $d) { version } }";
    let data = api.ok(agent(AgentName::SalesManager), q, json!({ "l": lead, "a": account, "d": rules() })).await;
    assert_eq!(data["allocateLead"]["version"], 4);
    lead
}

pub(crate) async fn draft(api: &Api, lead: &str, body: &str) -> Value {
    let q = "mutation($l: ID!, $b: String!, $d: DecisionInput!) { draftMessage(leadId: $l, channel: LINKEDIN,
        templateId: \"first\", stepNumber: 0, body: $b, aiGenerated: false, decision: $d) {
        streamId version createdId events { position } } }";
    api.exec(agent(AgentName::Outreach), q, json!({ "l": lead, "b": body, "d": rules() })).await
}

#[tokio::test]
async fn a_lead_goes_from_discovery_to_qualified_by_mutations() {
    let api = Api::new().await;
    let (campaign, account) = campaign_and_account(&api).await;
    let lead = allocated(&api, &campaign, &account, "https://www.linkedin.com/in/ada").await;

    let out = draft(&api, &lead, &format!("Hi Ada. {NOTICE}")).await;
    assert!(out.get("errors").is_none(), "{out}");
    let message = out["data"]["draftMessage"]["createdId"].as_str().unwrap().to_owned();
    let outreach = agent(AgentName::Outreach);
    let reserve = "mutation($l: ID!, $m: ID!, $a: ID!) {
        reserveSend(leadId: $l, messageId: $m, accountId: $a, actionType: MESSAGE) { createdId events { streamId } } }";
    let vars = json!({ "l": lead, "m": message, "a": account });
    // The campaign's first drafts need a person: the send is refused until one approves.
    let refused = api.fails(outreach.clone(), reserve, vars.clone()).await;
    assert_eq!(refused["code"], "VALIDATION", "{refused}");
    assert_eq!(refused["reason"], "approval_required", "{refused}");

    let approve =
        "mutation($l: ID!, $m: ID!) { approveMessage(leadId: $l, messageId: $m, rationale: \"fine\") { version } }";
    let forbidden = api.fails(outreach.clone(), approve, json!({ "l": lead, "m": message })).await;
    assert_eq!(forbidden["code"], "FORBIDDEN", "approvals stay human");
    api.ok(person(Role::Operator), approve, json!({ "l": lead, "m": message })).await;

    let data = api.ok(outreach.clone(), reserve, vars).await;
    let streams: Vec<&str> =
        data["reserveSend"]["events"].as_array().unwrap().iter().map(|e| e["streamId"].as_str().unwrap()).collect();
    assert_eq!(streams, vec![lead.as_str(), account.as_str()], "lead and account in one command");

    let sent =
        "mutation($l: ID!, $m: ID!) { recordSent(leadId: $l, messageId: $m, providerMessageId: \"p-1\") { version } }";
    api.ok(outreach.clone(), sent, json!({ "l": lead, "m": message })).await;
    let reply =
        "mutation($l: ID!, $m: ID!) { recordResponse(leadId: $l, messageId: $m, text: \"Sounds great, call me\") {
        createdId } }";
    let data = api.ok(outreach.clone(), reply, json!({ "l": lead, "m": message })).await;
    let response = data["recordResponse"]["createdId"].as_str().unwrap().to_owned();
    let analyze = "mutation($l: ID!, $r: ID!, $d: DecisionInput!) { analyzeResponse(leadId: $l, responseId: $r,
        sentiment: POSITIVE, intent: INTERESTED, decision: $d) { version } }";
    api.ok(outreach.clone(), analyze, json!({ "l": lead, "r": response, "d": rules() })).await;
    let qualify = "mutation($l: ID!) { qualifyLead(leadId: $l, note: \"hot\") { version events { position } } }";
    let data = api.ok(outreach, qualify, json!({ "l": lead })).await;
    let version = data["qualifyLead"]["version"].as_i64().unwrap();

    let types: Vec<String> =
        sqlx::query_scalar("SELECT event_type FROM events WHERE stream_id = $1::uuid ORDER BY stream_version")
            .bind(&lead)
            .fetch_all(api.store.pool())
            .await
            .unwrap();
    assert_eq!(i64::try_from(types.len()).unwrap(), version);
    assert_eq!(
        types,
        [
            "LeadDiscovered",
            "LeadClassified",
            "LeadScored",
            "LeadAllocated",
            "MessageDrafted",
            "MessageApproved",
            "MessageScheduled",
            "MessageSent",
            "ResponseReceived",
            "ResponseAnalyzed",
            "LeadQualified"
        ]
    );
    let decided_by: String = sqlx::query_scalar(
        "SELECT payload->'decision'->'decided_by'->>'id' FROM events WHERE stream_id = $1::uuid AND event_type = 'MessageApproved'",
    )
    .bind(&lead)
    .fetch_one(api.store.pool())
    .await
    .unwrap();
    assert_eq!(decided_by, "sam", "the approving person, from the token");
}

#[tokio::test]
async fn expected_versions_conflict_and_idempotency_keys_replay() {
    let api = Api::new().await;
    let (campaign, _) = campaign_and_account(&api).await;
    let lead = discover(&api, &campaign, "linkedin.com/in/grace").await;
    let q = "mutation($l: ID!, $v: Int, $k: String, $d: DecisionInput!) {
        classifyLead(leadId: $l, class: SPONSOR, decision: $d, expectedVersion: $v, idempotencyKey: $k) {
        version replayed events { eventId position cursor } } }";
    let lf = agent(AgentName::LeadFinder);
    let before = api.event_count().await;
    let stale = api.fails(lf.clone(), q, json!({ "l": lead, "v": 0, "d": rules() })).await;
    assert_eq!((stale["code"].as_str(), stale["actualVersion"].as_i64()), (Some("CONFLICT"), Some(1)), "{stale}");
    assert_eq!(api.event_count().await, before, "a rejected command writes nothing");

    let first = api.ok(lf.clone(), q, json!({ "l": lead, "v": 1, "k": "classify-1", "d": rules() })).await;
    let again = api.ok(lf.clone(), q, json!({ "l": lead, "v": 1, "k": "classify-1", "d": rules() })).await;
    assert_eq!(first["classifyLead"]["replayed"], false);
    assert_eq!(again["classifyLead"]["replayed"], true);
    assert_eq!(first["classifyLead"]["events"], again["classifyLead"]["events"], "same events, same positions");
    assert_eq!(api.event_count().await, before + 1);
    // Another caller's identical key is its own command.
    let admin = person(Role::Admin);
    let other = api.ok(admin, q, json!({ "l": lead, "k": "classify-1", "d": rules() })).await;
    assert_eq!(other["classifyLead"]["replayed"], false);
    assert_eq!(other["classifyLead"]["version"], 3);
}

#[tokio::test]
async fn bad_input_names_its_field_and_writes_nothing() {
    let api = Api::new().await;
    let (campaign, account) = campaign_and_account(&api).await;
    let lead = allocated(&api, &campaign, &account, "linkedin.com/in/ada").await;
    let before = api.event_count().await;
    let lf = agent(AgentName::LeadFinder);

    let q = "mutation($l: ID!, $s: Int!, $d: DecisionInput!) { scoreLead(leadId: $l, score: $s, decision: $d) { version } }";
    let e = api.fails(lf.clone(), q, json!({ "l": lead, "s": 11, "d": rules() })).await;
    assert_eq!((e["code"].as_str(), e["field"].as_str()), (Some("VALIDATION"), Some("score")));
    let e = api.fails(lf.clone(), q, json!({ "l": "not-a-uuid", "s": 5, "d": rules() })).await;
    assert_eq!(e["field"], "leadId");
    let mut bad = rules();
    bad["confidence"] = json!(1.5);
    let e = api.fails(lf.clone(), q, json!({ "l": lead, "s": 5, "d": bad })).await;
    assert_eq!(e["field"], "decision.confidence");
    let mut no_engine = rules();
    no_engine.as_object_mut().unwrap().remove("engine");
    let e = api.fails(lf.clone(), q, json!({ "l": lead, "s": 5, "d": no_engine })).await;
    assert_eq!(e["field"], "decision.engine", "an agent says which engine decided");
    let nobody = "00000000-0000-4000-8000-000000000000";
    let e = api.fails(lf, q, json!({ "l": nobody, "s": 5, "d": rules() })).await;
    assert_eq!((e["code"].as_str(), e["reason"].as_str()), (Some("NOT_FOUND"), Some("not_discovered")));

    let e = &draft(&api, &lead, "Hi Ada, no notice here").await["errors"][0]["extensions"];
    assert_eq!((e["reason"].as_str(), e["field"].as_str()), (Some("missing_first_contact_notice"), Some("body")));
    let q = "mutation($c: ID!) { discoverLead(campaignId: $c, name: \"X\", profileUrl: \"ftp://nope\") { version } }";
    let e = api.fails(person(Role::Operator), q, json!({ "c": campaign })).await;
    assert_eq!(e["field"], "profileUrl");
    assert_eq!(api.event_count().await, before);
}

#[tokio::test]
async fn each_mutation_checks_the_callers_role() {
    let api = Api::new().await;
    let (campaign, account) = campaign_and_account(&api).await;
    let lead = allocated(&api, &campaign, &account, "linkedin.com/in/ada").await;
    let before = api.event_count().await;
    let classify =
        "mutation($l: ID!, $d: DecisionInput!) { classifyLead(leadId: $l, class: OTHER, decision: $d) { version } }";
    let vars = json!({ "l": lead, "d": rules() });
    for who in
        [agent(AgentName::Outreach), agent(AgentName::SalesManager), person(Role::Analyst), person(Role::Auditor)]
    {
        assert_eq!(api.fails(who, classify, vars.clone()).await["code"], "FORBIDDEN");
    }
    assert_eq!(api.fails(None, classify, vars).await["code"], "UNAUTHENTICATED");
    let erase = "mutation($l: ID!) { erasePersonalData(leadId: $l) { version } }";
    assert_eq!(api.fails(agent(AgentName::Outreach), erase, json!({ "l": lead })).await["code"], "FORBIDDEN");
    let report = "mutation { publishDailyReport(day: \"2026-01-01\", reportMarkdown: \"# x\") { version } }";
    assert_eq!(api.fails(agent(AgentName::Outreach), report, json!({})).await["code"], "FORBIDDEN");
    let error = "mutation { raiseAgentError(agent: LEAD_FINDER, kind: TRANSIENT, context: \"timeout\") { version } }";
    assert_eq!(api.fails(agent(AgentName::Outreach), error, json!({})).await["code"], "FORBIDDEN", "not its stream");
    assert_eq!(api.event_count().await, before);
    let own = "mutation { raiseAgentError(kind: TRANSIENT, context: \"smtp timeout\") { version } }";
    api.ok(agent(AgentName::Outreach), own, json!({})).await;
}

#[tokio::test]
async fn after_an_opt_out_nothing_reaches_the_person_and_erasure_blanks_them() {
    let api = Api::new().await;
    let (campaign, account) = campaign_and_account(&api).await;
    let lead = allocated(&api, &campaign, &account, "linkedin.com/in/ada").await;
    let opt_out = "mutation($l: ID!) { optOut(leadId: $l, source: REPLY) { version } }";
    api.ok(agent(AgentName::Outreach), opt_out, json!({ "l": lead })).await;
    let e = &draft(&api, &lead, &format!("Hi again. {NOTICE}")).await["errors"][0]["extensions"];
    assert_eq!(e["reason"], "opted_out", "{e}");
    // Re-discovery under another spelling of the same URL is refused.
    let q = "mutation($c: ID!) { discoverLead(campaignId: $c, name: \"Ada\", profileUrl: \"https://LinkedIn.com/in/ADA/\") {
        version } }";
    assert_eq!(api.fails(person(Role::Operator), q, json!({ "c": campaign })).await["reason"], "opted_out");

    let erase = "mutation($l: ID!) { erasePersonalData(leadId: $l) { version } }";
    api.ok(person(Role::Operator), erase, json!({ "l": lead })).await;
    assert!(api.store.is_erased(lead.parse().unwrap()).await.unwrap());
    let note = "mutation($l: ID!) { addNote(leadId: $l, text: \"called her\") { version } }";
    assert_eq!(api.fails(person(Role::Operator), note, json!({ "l": lead })).await["reason"], "erased");
}

#[tokio::test]
async fn an_operator_asks_an_agent_to_retry_one_of_its_errors() {
    let api = Api::new().await;
    let raise =
        "mutation { raiseAgentError(kind: REJECTED, context: \"event=x code=VALIDATION\") { events { eventId } } }";
    let raised = api.ok(agent(AgentName::Outreach), raise, json!({})).await;
    let error = raised["raiseAgentError"]["events"][0]["eventId"].as_str().unwrap().to_owned();
    let retry = "mutation($a: AgentKind!, $e: ID!, $k: String) {
        retryAgentError(agent: $a, errorEventId: $e, idempotencyKey: $k) { version replayed events { eventId } } }";
    let vars = |a: &str, e: &str, k: &str| json!({ "a": a, "e": e, "k": k });
    let before = api.event_count().await;

    for who in [agent(AgentName::Outreach), person(Role::Analyst), person(Role::Auditor)] {
        assert_eq!(api.fails(who, retry, vars("OUTREACH", &error, "k")).await["code"], "FORBIDDEN");
    }
    assert_eq!(api.fails(None, retry, vars("OUTREACH", &error, "k")).await["code"], "UNAUTHENTICATED");
    let operator = || person(Role::Operator);
    let not_a_uuid = api.fails(operator(), retry, vars("OUTREACH", "nope", "k")).await;
    assert_eq!((&not_a_uuid["code"], &not_a_uuid["field"]), (&json!("VALIDATION"), &json!("errorEventId")));
    for (who, id) in [("LEAD_FINDER", error.clone()), ("OUTREACH", uuid::Uuid::new_v4().to_string())] {
        let e = api.fails(operator(), retry, vars(who, &id, "k")).await;
        assert_eq!((&e["code"], &e["field"]), (&json!("NOT_FOUND"), &json!("errorEventId")), "{who} {id}");
    }
    assert_eq!(api.event_count().await, before, "a refused retry writes nothing");

    let first = api.ok(operator(), retry, vars("OUTREACH", &error, "k")).await["retryAgentError"].clone();
    assert_eq!((first["version"].as_i64(), first["replayed"].as_bool()), (Some(2), Some(false)));
    let again = api.ok(operator(), retry, vars("OUTREACH", &error, "k")).await["retryAgentError"].clone();
    assert_eq!((again["replayed"].as_bool(), &again["events"]), (Some(true), &first["events"]));
    let twice = api.fails(person(Role::Admin), retry, vars("OUTREACH", &error, "other")).await;
    assert_eq!((&twice["code"], &twice["reason"]), (&json!("VALIDATION"), &json!("retry_already_requested")));
    // The request itself is on the agent's stream, but it is no error to retry.
    let request = first["events"][0]["eventId"].as_str().unwrap();
    assert_eq!(api.fails(operator(), retry, vars("OUTREACH", request, "k2")).await["code"], "NOT_FOUND");

    let stored: (String, Value) = sqlx::query_as("SELECT event_type, payload FROM events WHERE event_id = $1::uuid")
        .bind(request)
        .fetch_one(api.store.pool())
        .await
        .unwrap();
    assert_eq!(stored.0, "AgentErrorRetryRequested");
    assert_eq!((&stored.1["error_event_id"], &stored.1["requested_by"]), (&json!(error), &json!("sam")));
}
