//! A world for read-model tests: real domain commands through the store's command bus, the
//! log read back and decoded, and a model applied to it in one batch or split in two.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use esrs::Aggregate;
use reachspark_domain::decision::{Decision, DecisionKind, Engine};
use reachspark_domain::lead::{DiscoverLead, DraftMessage, Lead, LeadSource, RecordSent, Step};
use reachspark_domain::outreach::ReserveSend;
use reachspark_domain::sender_account::{ActionType, Channel, RegisterSenderAccount, SenderAccount, SendingLimits};
use reachspark_domain::{Actor, DomainEvent, Pii};
use reachspark_projections::{Envelope, Projection};
use reachspark_store::testing::TestDb;
use reachspark_store::{CommandBus, CommandContext, Position};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// `2025-03-{day} {hour}:{minute}` UTC.
pub(crate) fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, hour, minute, 0).single().expect("a valid test time")
}

/// `2025-03-{day}`.
pub(crate) fn day(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, day).expect("a valid test day")
}

pub(crate) fn decision(kind: DecisionKind, output: &str) -> Decision {
    Decision::new(kind, output, "test rationale", Actor::agent("lead_finder"), Engine::rules("rules-1"))
}

/// A sender account on `channel` with these limits, registered at `registered_at`.
pub(crate) fn register(limits: SendingLimits, registered_at: DateTime<Utc>) -> RegisterSenderAccount {
    RegisterSenderAccount { channel: Channel::LinkedIn, provider: "sandbox".to_owned(), limits, at: registered_at }
}

/// LinkedIn limits without ramp-up or spacing, so tests book slots freely.
pub(crate) fn roomy() -> SendingLimits {
    SendingLimits { ramp_up_days: 0, min_spacing_seconds: 0, ..SendingLimits::linkedin() }
}

pub(crate) fn discover(lead: Uuid, campaign_id: Uuid, at: DateTime<Utc>) -> DiscoverLead {
    DiscoverLead {
        source: LeadSource::Sandbox,
        source_ref: Pii::new(format!("sandbox:{lead}")),
        campaign_id,
        name: Pii::new("Ada Lovelace".to_owned()),
        profile_url: Some(Pii::new(format!("https://linkedin.com/in/{lead}"))),
        email: None,
        position: "Head of Partnerships".to_owned(),
        company: "Analytical Engines Ltd".to_owned(),
        at,
    }
}

pub(crate) fn draft(message_id: Uuid, template: Option<&str>, step: Step, at: DateTime<Utc>) -> DraftMessage {
    DraftMessage {
        message_id,
        channel: Channel::LinkedIn,
        template_id: template.map(str::to_owned),
        step,
        body: Pii::new("Hello Ada".to_owned()),
        ai_generated: false,
        model: None,
        prompt_hash: None,
        requires_approval: false,
        decision: decision(DecisionKind::Draft, template.unwrap_or("manual")),
        at,
    }
}

/// A fresh database and a command bus on it.
pub(crate) struct World {
    pub(crate) db: TestDb,
    pub(crate) bus: CommandBus,
}

impl World {
    pub(crate) async fn new() -> Self {
        let db = TestDb::new().await;
        let bus = CommandBus::new(db.store().await);
        Self { db, bus }
    }

    pub(crate) fn pool(&self) -> &PgPool {
        self.db.pool()
    }

    /// Runs `command` on `stream` as `actor`; panics when it is not accepted.
    pub(crate) async fn run<A>(&self, actor: &Actor, stream: Uuid, command: impl Into<A::Command>) -> usize
    where
        A: Aggregate + Send + Sync,
        A::Command: Clone + Send,
        A::Event: DomainEvent + Clone,
        A::State: Send + Sync,
        A::Error: std::error::Error,
    {
        let ctx = CommandContext::new(actor.clone(), Utc::now());
        let outcome = self.bus.execute::<A>(&ctx, stream, None, command.into()).await;
        outcome.unwrap_or_else(|e| panic!("{} command on {stream}: {e}", A::NAME)).events.len()
    }

    pub(crate) async fn lead(&self, lead: Uuid, command: impl Into<<Lead as Aggregate>::Command>) {
        self.run::<Lead>(&Actor::agent("outreach"), lead, command).await;
    }

    pub(crate) async fn account(&self, account: Uuid, command: impl Into<<SenderAccount as Aggregate>::Command>) {
        self.run::<SenderAccount>(&Actor::person("ops"), account, command).await;
    }

    /// Reserves a slot for `message_id` on the lead's `account` at `slot` (one command, an
    /// event on each stream) and returns the reservation id.
    pub(crate) async fn reserve(
        &self,
        lead: Uuid,
        account: Uuid,
        message_id: Uuid,
        action_type: ActionType,
        slot: DateTime<Utc>,
    ) -> Uuid {
        let reservation_id = Uuid::new_v4();
        let command =
            ReserveSend { lead_id: lead, account_id: account, message_id, reservation_id, action_type, at: slot };
        let ctx = CommandContext::new(Actor::agent("outreach"), Utc::now());
        self.bus.reserve_send(&ctx, command).await.unwrap_or_else(|e| panic!("reserve_send: {e}"));
        reservation_id
    }

    /// Reserves and sends a drafted message at `slot`.
    pub(crate) async fn send(&self, lead: Uuid, account: Uuid, message_id: Uuid, slot: DateTime<Utc>) {
        self.reserve(lead, account, message_id, ActionType::Message, slot).await;
        let sent = RecordSent { message_id, provider_message_id: format!("sandbox-{message_id}"), at: slot };
        self.lead(lead, sent).await;
    }

    /// The whole log, decoded.
    pub(crate) async fn envelopes(&self) -> Vec<Envelope> {
        let store = self.bus.store();
        settle(store).await;
        let recorded = store.read_all_raw(Position::START, 10_000).await.expect("read the log");
        recorded.into_iter().map(|r| Envelope::decode(r).expect("decodable")).collect()
    }
}

pub(crate) use reachspark_store::testing::settle;

/// Creates `model`'s tables in `schema` (twice: the DDL must be idempotent) and applies
/// `batches`, each in its own transaction.
pub(crate) async fn project(pool: &PgPool, model: &dyn Projection, schema: &str, batches: &[&[Envelope]]) {
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).execute(pool).await.unwrap();
    for _ in 0..2 {
        for sql in model.schema_sql(schema) {
            sqlx::query(&sql).execute(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
    for batch in batches {
        let mut tx = pool.begin().await.unwrap();
        model.apply(&mut tx, schema, batch).await.unwrap_or_else(|e| panic!("{}: {e}", model.name()));
        tx.commit().await.unwrap();
    }
}

/// Every row of every table of `model` in `schema`, in a stable order.
pub(crate) async fn snapshot(pool: &PgPool, model: &dyn Projection, schema: &str) -> Vec<(String, Value)> {
    let mut tables = Vec::new();
    for table in model.tables() {
        let rows: Value = sqlx::query_scalar(&format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t::text), '[]') FROM {schema}.{table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        tables.push(((*table).to_owned(), rows));
    }
    tables
}

/// Applies `events` in one batch to schema `read`, then split in two at every point to other
/// schemas, and asserts every split leaves exactly the same rows.
pub(crate) async fn assert_batch_independent(pool: &PgPool, model: &dyn Projection, events: &[Envelope]) {
    project(pool, model, "read", &[events]).await;
    let whole = snapshot(pool, model, "read").await;
    assert!(whole.iter().any(|(_, rows)| rows.as_array().is_some_and(|r| !r.is_empty())), "rows to compare");
    for split in 1..events.len() {
        let schema = format!("split_{split}");
        let (first, second) = events.split_at(split);
        project(pool, model, &schema, &[first, second]).await;
        assert_eq!(snapshot(pool, model, &schema).await, whole, "split after {split} events");
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(pool).await.unwrap();
    }
}
