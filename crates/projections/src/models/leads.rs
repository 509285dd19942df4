//! `read.leads`: one row per lead with the seed sheet's columns, and `read.lead_messages`: one
//! row per message. Personal columns are NULL after erasure (and stay NULL on a rebuild, since
//! the store can no longer open them).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use foldhash::{HashMap, HashMapExt as _};
use reachspark_domain::lead::{ContactStatus, LeadEvent};
use reachspark_domain::Pii;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{label, sheet_label};
use crate::copy::CopyRows;
use crate::{Bulk, Decoded, Envelope, Projection, ProjectionError};

/// The leads read model.
#[derive(Debug, Clone, Copy)]
pub struct Leads;

#[derive(Debug, Default, Clone, FromRow)]
struct LeadRow {
    name: Option<String>,
    position: Option<String>,
    company: Option<String>,
    linkedin_url: Option<String>,
    email: Option<String>,
    classification: Option<String>,
    quality_score: Option<i16>,
    contact_status: String,
    last_contacted: Option<DateTime<Utc>>,
    message_sent: Option<String>,
    response: Option<String>,
    response_sentiment: Option<String>,
    response_intent: Option<String>,
    assigned_to: Option<Uuid>,
    notes: Option<String>,
    campaign_id: Option<Uuid>,
    source: Option<String>,
    opted_out: bool,
    erased: bool,
    stream_version: i64,
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Clone, FromRow)]
struct MessageRow {
    lead_id: Uuid,
    body: Option<String>,
    template_id: Option<String>,
    channel: Option<String>,
    step: Option<String>,
    status: String,
    ai_generated: bool,
    account_id: Option<Uuid>,
    drafted_at: Option<DateTime<Utc>>,
    sent_at: Option<DateTime<Utc>>,
}

fn known(value: &Pii<String>) -> Option<String> {
    value.known().cloned()
}

fn status(status: ContactStatus) -> String {
    sheet_label(&status)
}

#[async_trait]
impl Projection for Leads {
    fn name(&self) -> &'static str {
        "leads"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["leads", "lead_messages"]
    }

    fn schema_sql(&self, schema: &str) -> Vec<String> {
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.leads (
                    lead_id uuid PRIMARY KEY,
                    name text, position text, company text, linkedin_url text, email text,
                    classification text, quality_score smallint, contact_status text NOT NULL,
                    last_contacted timestamptz, message_sent text, response text,
                    response_sentiment text, response_intent text, assigned_to uuid, notes text,
                    campaign_id uuid, source text, opted_out boolean NOT NULL DEFAULT false,
                    erased boolean NOT NULL DEFAULT false, stream_version bigint NOT NULL,
                    updated_at timestamptz)"
            ),
            // The query indexes are in `index_sql`: a rebuild builds them after the load.
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.lead_messages (
                    message_id uuid PRIMARY KEY, lead_id uuid NOT NULL, body text, template_id text,
                    channel text, step text, status text NOT NULL, ai_generated boolean NOT NULL,
                    account_id uuid, drafted_at timestamptz, sent_at timestamptz)"
            ),
            // Erasure blanks a lead's messages by lead id, also during a rebuild.
            format!("CREATE INDEX IF NOT EXISTS lead_messages_lead_idx ON {schema}.lead_messages (lead_id)"),
        ]
    }

    fn index_sql(&self, schema: &str) -> Vec<String> {
        vec![
            // A campaign's leads in one status, most recently changed first: `leads(filter:
            // {campaignId, contactStatus})` reads one index range (the key as queries.rs spells it).
            format!(
                "CREATE INDEX IF NOT EXISTS leads_campaign_status_recent_idx ON {schema}.leads \
                 (campaign_id, contact_status, coalesce(updated_at, 'epoch'::timestamptz) DESC, lead_id DESC)"
            ),
            // Superseded by the index above (same leading columns).
            format!("DROP INDEX IF EXISTS {schema}.leads_campaign_status_idx"),
            format!("CREATE INDEX IF NOT EXISTS leads_assigned_idx ON {schema}.leads (assigned_to)"),
            format!("CREATE INDEX IF NOT EXISTS leads_score_idx ON {schema}.leads (quality_score DESC)"),
        ]
    }

    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError> {
        let lead_ids: Vec<Uuid> =
            unique(events.iter().filter(|e| matches!(e.decoded, Decoded::Lead(_))).map(|e| e.recorded.stream_id));
        if lead_ids.is_empty() {
            return Ok(());
        }
        let mut leads = load_leads(tx, schema, &lead_ids).await?;
        let message_ids = unique(events.iter().filter_map(|e| match &e.decoded {
            Decoded::Lead(event) => message_of(event),
            _ => None,
        }));
        let mut messages = load_messages(tx, schema, &message_ids).await?;
        let erased = fold(&mut leads, &mut messages, events)?;
        upsert_leads(tx, schema, &leads).await?;
        upsert_messages(tx, schema, &messages).await?;
        if !erased.is_empty() {
            // Also the messages of erased leads that this batch did not load.
            sqlx::query(&format!("UPDATE {schema}.lead_messages SET body = NULL WHERE lead_id = ANY($1)"))
                .bind(&erased)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    fn bulk(&self) -> Option<Box<dyn Bulk>> {
        Some(Box::<Held>::default())
    }
}

/// Folds a batch into the rows it touches (loaded, or new); the leads erased in it.
fn fold(
    leads: &mut HashMap<Uuid, LeadRow>,
    messages: &mut HashMap<Uuid, MessageRow>,
    events: &[Envelope],
) -> Result<Vec<Uuid>, ProjectionError> {
    let mut erased = Vec::new();
    for envelope in events {
        let Decoded::Lead(event) = &envelope.decoded else { continue };
        let id = envelope.recorded.stream_id;
        let row = leads.entry(id).or_default();
        apply_lead(row, messages, id, event, envelope)?;
        if matches!(event, LeadEvent::PersonalDataErased { .. }) {
            erased.push(id);
        }
    }
    Ok(erased)
}

/// A rebuild's rows: every lead and message so far, in memory (the fold erases a lead's
/// messages here too, since they are all held).
#[derive(Default)]
struct Held {
    leads: HashMap<Uuid, LeadRow>,
    messages: HashMap<Uuid, MessageRow>,
}

#[async_trait]
impl Bulk for Held {
    fn fold(&mut self, events: &[Envelope]) -> Result<(), ProjectionError> {
        fold(&mut self.leads, &mut self.messages, events).map(drop)
    }

    fn rows(&self) -> usize {
        self.leads.len() + self.messages.len()
    }

    async fn write(&mut self, tx: &mut PgConnection, schema: &str) -> Result<(), ProjectionError> {
        // In key order, each primary-key insert lands on the index's rightmost page.
        let mut leads: Vec<_> = self.leads.drain().collect();
        leads.sort_unstable_by_key(|(id, _)| *id);
        let mut copy = CopyRows::frozen();
        for (id, r) in leads {
            copy.put(id).put(r.name).put(r.position).put(r.company).put(r.linkedin_url).put(r.email);
            copy.put(r.classification).put(r.quality_score).put(r.contact_status).put(r.last_contacted);
            copy.put(r.message_sent).put(r.response).put(r.response_sentiment).put(r.response_intent);
            copy.put(r.assigned_to).put(r.notes).put(r.campaign_id).put(r.source).put(r.opted_out).put(r.erased);
            copy.put(r.stream_version).put(r.updated_at);
            copy.end_row();
        }
        copy.send(
            tx,
            &format!("{schema}.leads"),
            "lead_id, name, position, company, linkedin_url, email, classification, quality_score, contact_status, \
             last_contacted, message_sent, response, response_sentiment, response_intent, assigned_to, notes, \
             campaign_id, source, opted_out, erased, stream_version, updated_at",
        )
        .await?;
        let mut messages: Vec<_> = self.messages.drain().collect();
        messages.sort_unstable_by_key(|(id, _)| *id);
        let mut copy = CopyRows::frozen();
        for (id, m) in messages {
            copy.put(id).put(m.lead_id).put(m.body).put(m.template_id).put(m.channel).put(m.step).put(m.status);
            copy.put(m.ai_generated).put(m.account_id).put(m.drafted_at).put(m.sent_at);
            copy.end_row();
        }
        copy.send(
            tx,
            &format!("{schema}.lead_messages"),
            "message_id, lead_id, body, template_id, channel, step, status, ai_generated, account_id, drafted_at, sent_at",
        )
        .await?;
        Ok(())
    }
}

fn unique(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn message_of(event: &LeadEvent) -> Option<Uuid> {
    match event {
        LeadEvent::MessageDrafted { message_id, .. }
        | LeadEvent::MessageApprovalRequested { message_id, .. }
        | LeadEvent::MessageApproved { message_id, .. }
        | LeadEvent::MessageRejected { message_id, .. }
        | LeadEvent::MessageScheduled { message_id, .. }
        | LeadEvent::MessageSent { message_id, .. }
        | LeadEvent::MessageSendFailed { message_id, .. } => Some(*message_id),
        _ => None,
    }
}

fn apply_lead(
    row: &mut LeadRow,
    messages: &mut HashMap<Uuid, MessageRow>,
    lead_id: Uuid,
    event: &LeadEvent,
    envelope: &Envelope,
) -> Result<(), ProjectionError> {
    row.stream_version = envelope.recorded.stream_version;
    row.updated_at = Some(envelope.recorded.recorded_at);
    match event {
        LeadEvent::LeadDiscovered { source, campaign_id, name, profile_url, email, position, company, .. } => {
            row.name = known(name);
            row.linkedin_url = profile_url.as_ref().and_then(known);
            row.email = email.as_ref().and_then(known);
            row.position = Some(position.clone());
            row.company = Some(company.clone());
            row.campaign_id = Some(*campaign_id);
            row.source = Some(label(source));
            row.contact_status = status(ContactStatus::New);
        }
        LeadEvent::LeadClassified { class, .. } => row.classification = Some(sheet_label(class)),
        LeadEvent::LeadScored { quality_score, .. } => row.quality_score = Some(i16::from(*quality_score)),
        LeadEvent::LeadAllocated { account_id, .. } => {
            row.assigned_to = Some(*account_id);
            row.contact_status = status(ContactStatus::Allocated);
        }
        LeadEvent::LeadReassigned { to, .. } => row.assigned_to = Some(*to),
        LeadEvent::MessageDrafted { message_id, channel, template_id, step, body, ai_generated, at, .. } => {
            messages.insert(
                *message_id,
                MessageRow {
                    lead_id,
                    body: known(body),
                    template_id: template_id.clone(),
                    channel: Some(label(channel)),
                    step: Some(label(step)),
                    status: "Drafted".to_owned(),
                    ai_generated: *ai_generated,
                    drafted_at: Some(*at),
                    ..MessageRow::default()
                },
            );
        }
        LeadEvent::MessageApprovalRequested { message_id, .. } => {
            set_status(messages, *message_id, "AwaitingApproval", envelope)?
        }
        LeadEvent::MessageApproved { message_id, edited_body, .. } => {
            set_status(messages, *message_id, "Approved", envelope)?;
            if let Some(body) = edited_body {
                if let Some(m) = messages.get_mut(message_id) {
                    m.body = known(body);
                }
            }
        }
        LeadEvent::MessageRejected { message_id, .. } => set_status(messages, *message_id, "Rejected", envelope)?,
        LeadEvent::MessageScheduled { message_id, account_id, .. } => {
            set_status(messages, *message_id, "Scheduled", envelope)?;
            if let Some(m) = messages.get_mut(message_id) {
                m.account_id = Some(*account_id);
            }
        }
        LeadEvent::MessageSent { message_id, at, .. } => {
            set_status(messages, *message_id, "Sent", envelope)?;
            if let Some(m) = messages.get_mut(message_id) {
                m.sent_at = Some(*at);
                row.message_sent = m.body.clone();
            }
            row.last_contacted = Some(*at);
            if !matches!(row.contact_status.as_str(), "Responded" | "Qualified" | "Closed" | "OptedOut") {
                row.contact_status = status(ContactStatus::Sent);
            }
        }
        LeadEvent::MessageSendFailed { message_id, .. } => set_status(messages, *message_id, "Failed", envelope)?,
        LeadEvent::ResponseReceived { text, .. } => {
            row.response = known(text);
            if !matches!(row.contact_status.as_str(), "Qualified" | "Closed" | "OptedOut") {
                row.contact_status = status(ContactStatus::Responded);
            }
        }
        LeadEvent::ResponseAnalyzed { sentiment, intent, .. } => {
            row.response_sentiment = Some(sheet_label(sentiment));
            row.response_intent = Some(sheet_label(intent));
        }
        LeadEvent::LeadQualified { .. } => row.contact_status = status(ContactStatus::Qualified),
        LeadEvent::LeadClosed { .. } => row.contact_status = status(ContactStatus::Closed),
        LeadEvent::LeadOptedOut { .. } => {
            row.opted_out = true;
            row.contact_status = status(ContactStatus::OptedOut);
        }
        LeadEvent::PersonalDataErased { .. } => {
            row.erased = true;
            row.name = None;
            row.linkedin_url = None;
            row.email = None;
            row.message_sent = None;
            row.response = None;
            row.notes = None;
            for message in messages.values_mut().filter(|m| m.lead_id == lead_id) {
                message.body = None;
            }
        }
        LeadEvent::NoteAdded { text, .. } => row.notes = known(text),
        LeadEvent::LeadEnriched { .. } | LeadEvent::FollowUpScheduled { .. } => {}
    }
    Ok(())
}

fn set_status(
    messages: &mut HashMap<Uuid, MessageRow>,
    message_id: Uuid,
    status: &str,
    envelope: &Envelope,
) -> Result<(), ProjectionError> {
    let message = messages.get_mut(&message_id).ok_or_else(|| ProjectionError::Event {
        event_id: envelope.recorded.event_id,
        reason: format!("message {message_id} was never drafted"),
    })?;
    message.status = status.to_owned();
    Ok(())
}

/// A stored row with its key.
#[derive(FromRow)]
struct Keyed<K, T> {
    #[sqlx(rename = "id")]
    key: K,
    #[sqlx(flatten)]
    row: T,
}

async fn load_leads(tx: &mut PgConnection, schema: &str, ids: &[Uuid]) -> Result<HashMap<Uuid, LeadRow>, sqlx::Error> {
    let rows: Vec<Keyed<Uuid, LeadRow>> =
        sqlx::query_as(&format!("SELECT lead_id AS id, * FROM {schema}.leads WHERE lead_id = ANY($1)"))
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?;
    Ok(rows.into_iter().map(|k| (k.key, k.row)).collect())
}

async fn load_messages(
    tx: &mut PgConnection,
    schema: &str,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, MessageRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Keyed<Uuid, MessageRow>> =
        sqlx::query_as(&format!("SELECT message_id AS id, * FROM {schema}.lead_messages WHERE message_id = ANY($1)"))
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?;
    Ok(rows.into_iter().map(|k| (k.key, k.row)).collect())
}

async fn upsert_leads(tx: &mut PgConnection, schema: &str, leads: &HashMap<Uuid, LeadRow>) -> Result<(), sqlx::Error> {
    let rows: Vec<(&Uuid, &LeadRow)> = leads.iter().collect();
    macro_rules! col {
        ($f:ident) => {
            rows.iter().map(|(_, r)| r.$f.clone()).collect::<Vec<_>>()
        };
    }
    sqlx::query(&format!(
        "INSERT INTO {schema}.leads AS l (lead_id, name, position, company, linkedin_url, email, classification,
             quality_score, contact_status, last_contacted, message_sent, response, response_sentiment,
             response_intent, assigned_to, notes, campaign_id, source, opted_out, erased, stream_version, updated_at)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::smallint[], $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::text[], $14::text[],
             $15::uuid[], $16::text[], $17::uuid[], $18::text[], $19::bool[], $20::bool[], $21::bigint[], $22::timestamptz[])
         ON CONFLICT (lead_id) DO UPDATE SET
             name = EXCLUDED.name, position = EXCLUDED.position, company = EXCLUDED.company,
             linkedin_url = EXCLUDED.linkedin_url, email = EXCLUDED.email, classification = EXCLUDED.classification,
             quality_score = EXCLUDED.quality_score, contact_status = EXCLUDED.contact_status,
             last_contacted = EXCLUDED.last_contacted, message_sent = EXCLUDED.message_sent,
             response = EXCLUDED.response, response_sentiment = EXCLUDED.response_sentiment,
             response_intent = EXCLUDED.response_intent, assigned_to = EXCLUDED.assigned_to, notes = EXCLUDED.notes,
             campaign_id = EXCLUDED.campaign_id, source = EXCLUDED.source, opted_out = EXCLUDED.opted_out,
             erased = EXCLUDED.erased, stream_version = EXCLUDED.stream_version, updated_at = EXCLUDED.updated_at"
    ))
    .bind(rows.iter().map(|(id, _)| **id).collect::<Vec<_>>())
    .bind(col!(name))
    .bind(col!(position))
    .bind(col!(company))
    .bind(col!(linkedin_url))
    .bind(col!(email))
    .bind(col!(classification))
    .bind(col!(quality_score))
    .bind(col!(contact_status))
    .bind(col!(last_contacted))
    .bind(col!(message_sent))
    .bind(col!(response))
    .bind(col!(response_sentiment))
    .bind(col!(response_intent))
    .bind(col!(assigned_to))
    .bind(col!(notes))
    .bind(col!(campaign_id))
    .bind(col!(source))
    .bind(col!(opted_out))
    .bind(col!(erased))
    .bind(col!(stream_version))
    .bind(col!(updated_at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn upsert_messages(
    tx: &mut PgConnection,
    schema: &str,
    messages: &HashMap<Uuid, MessageRow>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(&Uuid, &MessageRow)> = messages.iter().collect();
    if !rows.is_empty() {
        macro_rules! col {
            ($f:ident) => {
                rows.iter().map(|(_, r)| r.$f.clone()).collect::<Vec<_>>()
            };
        }
        sqlx::query(&format!(
            "INSERT INTO {schema}.lead_messages (message_id, lead_id, body, template_id, channel, step, status,
                 ai_generated, account_id, drafted_at, sent_at)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                 $8::bool[], $9::uuid[], $10::timestamptz[], $11::timestamptz[])
             ON CONFLICT (message_id) DO UPDATE SET body = EXCLUDED.body, status = EXCLUDED.status,
                 account_id = EXCLUDED.account_id, sent_at = EXCLUDED.sent_at"
        ))
        .bind(rows.iter().map(|(id, _)| **id).collect::<Vec<_>>())
        .bind(col!(lead_id))
        .bind(col!(body))
        .bind(col!(template_id))
        .bind(col!(channel))
        .bind(col!(step))
        .bind(col!(status))
        .bind(col!(ai_generated))
        .bind(col!(account_id))
        .bind(col!(drafted_at))
        .bind(col!(sent_at))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
