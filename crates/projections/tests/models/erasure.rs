//! Erasure blanks personal data in every read model, and a rebuild keeps it blank.

use chrono::Utc;
use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::lead::{
    AddNote, AllocateLead, DiscoverLead, DraftMessage, ErasePersonalData, Lead, LeadSource, RecordResponse, Step,
};
use reachspark_domain::sender_account::Channel;
use reachspark_domain::{Actor, Pii};
use reachspark_projections::{rebuild::rebuild, runner};
use reachspark_store::testing::TestDb;
use reachspark_store::{CommandBus, CommandContext};
use uuid::Uuid;

use crate::fixtures::drain;

const NAME: &str = "Ada Lovelace";
const SECRETS: [&str; 5] = [NAME, "ada-lovelace", "ada@example.com", "Dear Ada", "Love to talk"];

/// Every text in every table of schema `read`.
async fn read_schema_text(pool: &sqlx::PgPool) -> String {
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'read'")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut all = String::new();
    for table in tables {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT t::text FROM read.{table} t")).fetch_all(pool).await.unwrap();
        all.push_str(&rows.join("\n"));
    }
    all
}

#[tokio::test]
async fn erasure_blanks_every_read_model_and_a_rebuild_keeps_it_blank() {
    let db = TestDb::new().await;
    let bus = CommandBus::new(db.store().await);
    let store = bus.store().clone();
    let all = reachspark_projections::all();
    runner::ensure_ready(&store, &all).await.unwrap();
    let (lead, account) = (Uuid::new_v4(), Uuid::new_v4());
    let now = Utc::now();
    let c = || CommandContext::new(Actor::agent("test"), now);
    let decision = |kind| Decision::new(kind, "x", "test", Actor::agent("test"), Engine::rules("rules-1"));
    let discover = DiscoverLead {
        source: LeadSource::Manual,
        source_ref: Pii::new("manual".to_owned()),
        campaign_id: Uuid::new_v4(),
        name: Pii::new(NAME.to_owned()),
        profile_url: Some(Pii::new("https://linkedin.com/in/ada-lovelace".to_owned())),
        email: Some(Pii::new("ada@example.com".to_owned())),
        position: "Mathematician".to_owned(),
        company: "Analytical Engines".to_owned(),
        at: now,
    };
    bus.execute::<Lead>(&c(), lead, None, discover.into()).await.unwrap();
    let allocate =
        AllocateLead { account_id: account, priority: 5, decision: decision(DecisionKind::Allocation), at: now };
    bus.execute::<Lead>(&c(), lead, None, allocate.into()).await.unwrap();
    let draft = DraftMessage {
        message_id: Uuid::new_v4(),
        channel: Channel::LinkedIn,
        template_id: Some("intro".to_owned()),
        step: Step::First,
        body: Pii::new("Dear Ada, ...".to_owned()),
        ai_generated: false,
        model: None,
        prompt_hash: None,
        requires_approval: false,
        decision: decision(DecisionKind::Draft),
        at: now,
    };
    bus.execute::<Lead>(&c(), lead, None, draft.into()).await.unwrap();
    let reply = RecordResponse {
        response_id: Uuid::new_v4(),
        message_id: None,
        text: Pii::new("Love to talk".to_owned()),
        at: now,
    };
    bus.execute::<Lead>(&c(), lead, None, reply.into()).await.unwrap();
    bus.execute::<Lead>(
        &c(),
        lead,
        None,
        AddNote { text: Pii::new("Ada prefers email".to_owned()), author: Actor::person("ops"), at: now }.into(),
    )
    .await
    .unwrap();
    drain(&store, &all, 100).await;
    let before = read_schema_text(store.pool()).await;
    assert!(
        before.contains(NAME) && before.contains("Dear Ada"),
        "the read models show personal data to those allowed"
    );

    let erase = ErasePersonalData { requested_by: Actor::person("dpo"), at: now };
    bus.erase_personal_data(&CommandContext::new(Actor::person("dpo"), now), lead, erase).await.unwrap();
    drain(&store, &all, 100).await;
    let row: (Option<String>, Option<String>, Option<String>, bool, String) =
        sqlx::query_as("SELECT name, linkedin_url, email, erased, company FROM read.leads WHERE lead_id = $1")
            .bind(lead)
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(row, (None, None, None, true, "Analytical Engines".to_owned()));
    let after = read_schema_text(store.pool()).await;
    for secret in SECRETS {
        assert!(!after.contains(secret), "{secret} is still in a read model");
    }
    let decisions: i64 = sqlx::query_scalar("SELECT count(*) FROM read.decisions WHERE subject_id = $1")
        .bind(lead)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(decisions, 2, "the decision history stays");

    rebuild(&store, &all, 100, |_| {}).await.unwrap();
    let rebuilt = read_schema_text(store.pool()).await;
    for secret in SECRETS {
        assert!(!rebuilt.contains(secret), "{secret} came back with the rebuild");
    }
    let erased: bool = sqlx::query_scalar("SELECT erased FROM read.leads WHERE lead_id = $1")
        .bind(lead)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(erased);
}
