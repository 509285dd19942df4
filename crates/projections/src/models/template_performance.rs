//! `read.template_performance`: per campaign, template and segment (the lead's classification
//! when the message was sent: `Speaker`, `Sponsor`, `Other` or `Unclassified`), messages sent and
//! what came back: replies, positive and negative analyses, opt-outs.
//!
//! Attribution: a reply, an analysis or an opt-out counts for the template and segment of the
//! lead's last message sent before it; nothing counts before a lead's first send, nor after a
//! send without a template. Template ids are a campaign's own, hence the campaign in the key.
//! The helper table `template_attribution` keeps per lead what that needs across batches.

use std::collections::BTreeMap;

use async_trait::async_trait;
use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};
use reachspark_domain::lead::{FailureKind, LeadClass, LeadEvent, Sentiment};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::copy::{CopyRows, Jsonb};
use crate::{Bulk, Decoded, Envelope, Projection, ProjectionError};

/// The template performance read model.
#[derive(Debug, Clone, Copy)]
pub struct TemplatePerformance;

const UNCLASSIFIED: &str = "Unclassified";

fn segment(class: LeadClass) -> &'static str {
    match class {
        LeadClass::Speaker => "Speaker",
        LeadClass::Sponsor => "Sponsor",
        LeadClass::Other => "Other",
    }
}

/// What a lead needs for attribution.
#[derive(Debug, Clone)]
struct Attribution {
    campaign_id: Uuid,
    /// The lead's classification now.
    segment: String,
    /// The template and segment of the last message sent, if it had a template.
    last: Option<(String, String)>,
    /// Templates of drafted messages that may still be sent.
    messages: BTreeMap<Uuid, String>,
}

/// One row's change in a batch.
#[derive(Debug, Default)]
struct Counts {
    sent: i64,
    replies: i64,
    positive: i64,
    negative: i64,
    opt_outs: i64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.sent += other.sent;
        self.replies += other.replies;
        self.positive += other.positive;
        self.negative += other.negative;
        self.opt_outs += other.opt_outs;
    }
}

type Key = (Uuid, String, String);

fn lead_events(events: &[Envelope]) -> impl Iterator<Item = (&Envelope, &LeadEvent)> {
    events.iter().filter_map(|e| match &e.decoded {
        Decoded::Lead(event) => Some((e, event)),
        _ => None,
    })
}

fn relevant(event: &LeadEvent) -> bool {
    matches!(
        event,
        LeadEvent::LeadClassified { .. }
            | LeadEvent::MessageDrafted { .. }
            | LeadEvent::MessageRejected { .. }
            | LeadEvent::MessageSendFailed { kind: FailureKind::Permanent, .. }
            | LeadEvent::MessageSent { .. }
            | LeadEvent::ResponseReceived { .. }
            | LeadEvent::ResponseAnalyzed { .. }
            | LeadEvent::LeadOptedOut { .. }
    )
}

fn decode_error(e: serde_json::Error) -> ProjectionError {
    ProjectionError::Database(sqlx::Error::Decode(Box::new(e)))
}

async fn load(
    tx: &mut PgConnection,
    schema: &str,
    events: &[Envelope],
) -> Result<HashMap<Uuid, Attribution>, ProjectionError> {
    let new: HashSet<Uuid> = lead_events(events)
        .filter(|(_, event)| matches!(event, LeadEvent::LeadDiscovered { .. }))
        .map(|(e, _)| e.recorded.stream_id)
        .collect();
    let mut wanted: Vec<Uuid> = lead_events(events)
        .filter(|(e, event)| relevant(event) && !new.contains(&e.recorded.stream_id))
        .map(|(e, _)| e.recorded.stream_id)
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut leads = HashMap::new();
    if wanted.is_empty() {
        return Ok(leads);
    }
    let rows = sqlx::query(&format!(
        "SELECT lead_id, campaign_id, segment, last_template_id, last_segment, message_templates
         FROM {schema}.template_attribution WHERE lead_id = ANY($1)"
    ))
    .bind(&wanted)
    .fetch_all(&mut *tx)
    .await?;
    for row in rows {
        let template: Option<String> = row.try_get("last_template_id")?;
        let last_segment: Option<String> = row.try_get("last_segment")?;
        let messages = serde_json::from_value(row.try_get("message_templates")?).map_err(decode_error)?;
        let attribution = Attribution {
            campaign_id: row.try_get("campaign_id")?,
            segment: row.try_get("segment")?,
            last: template.zip(last_segment),
            messages,
        };
        leads.insert(row.try_get("lead_id")?, attribution);
    }
    Ok(leads)
}

fn fold(
    events: &[Envelope],
    leads: &mut HashMap<Uuid, Attribution>,
) -> Result<(HashMap<Key, Counts>, HashSet<Uuid>), ProjectionError> {
    let mut counts: HashMap<Key, Counts> = HashMap::new();
    let mut changed = HashSet::new();
    for (envelope, event) in lead_events(events) {
        let lead_id = envelope.recorded.stream_id;
        if let LeadEvent::LeadDiscovered { campaign_id, .. } = event {
            let segment = UNCLASSIFIED.to_owned();
            leads.insert(
                lead_id,
                Attribution { campaign_id: *campaign_id, segment, last: None, messages: BTreeMap::new() },
            );
            changed.insert(lead_id);
            continue;
        }
        if !relevant(event) {
            continue;
        }
        let lead = leads.get_mut(&lead_id).ok_or_else(|| ProjectionError::Event {
            event_id: envelope.recorded.event_id,
            reason: "a lead event before the lead's LeadDiscovered".to_owned(),
        })?;
        let mut count = |lead: &Attribution, f: fn(&mut Counts)| {
            if let Some((template, segment)) = &lead.last {
                f(counts.entry((lead.campaign_id, template.clone(), segment.clone())).or_default());
            }
        };
        match event {
            LeadEvent::LeadClassified { class, .. } => {
                segment(*class).clone_into(&mut lead.segment);
                changed.insert(lead_id);
            }
            LeadEvent::MessageDrafted { message_id, template_id: Some(template), .. } => {
                lead.messages.insert(*message_id, template.clone());
                changed.insert(lead_id);
            }
            // Never to be sent: its template is not needed any more.
            LeadEvent::MessageRejected { message_id, .. }
            | LeadEvent::MessageSendFailed { message_id, kind: FailureKind::Permanent, .. } => {
                lead.messages.remove(message_id);
                changed.insert(lead_id);
            }
            LeadEvent::MessageSent { message_id, .. } => {
                // A message is sent once; after that its template is only needed as `last`.
                lead.last = lead.messages.remove(message_id).map(|template| (template, lead.segment.clone()));
                count(lead, |c| c.sent += 1);
                changed.insert(lead_id);
            }
            LeadEvent::ResponseReceived { .. } => count(lead, |c| c.replies += 1),
            LeadEvent::ResponseAnalyzed { sentiment: Sentiment::Positive, .. } => count(lead, |c| c.positive += 1),
            LeadEvent::ResponseAnalyzed { sentiment: Sentiment::Negative, .. } => count(lead, |c| c.negative += 1),
            LeadEvent::LeadOptedOut { .. } => count(lead, |c| c.opt_outs += 1),
            _ => {}
        }
    }
    Ok((counts, changed))
}

#[async_trait]
impl Projection for TemplatePerformance {
    fn name(&self) -> &'static str {
        "template_performance"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["template_performance", "template_attribution"]
    }

    fn schema_sql(&self, schema: &str) -> Vec<String> {
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.template_performance (
                    campaign_id uuid NOT NULL, template_id text NOT NULL, segment text NOT NULL,
                    sent bigint NOT NULL DEFAULT 0, replies bigint NOT NULL DEFAULT 0,
                    positive bigint NOT NULL DEFAULT 0, negative bigint NOT NULL DEFAULT 0,
                    opt_outs bigint NOT NULL DEFAULT 0,
                    PRIMARY KEY (campaign_id, template_id, segment))"
            ),
            format!(
                "COMMENT ON TABLE {schema}.template_performance IS
                    'Per campaign, template and segment at sending: sends, and replies, sentiments and opt-outs after them.'"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.template_attribution (
                    lead_id uuid PRIMARY KEY, campaign_id uuid NOT NULL, segment text NOT NULL,
                    last_template_id text, last_segment text, message_templates jsonb NOT NULL DEFAULT '{{}}')"
            ),
        ]
    }

    fn bulk(&self) -> Option<Box<dyn Bulk>> {
        Some(Box::<Held>::default())
    }

    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError> {
        if lead_events(events).next().is_none() {
            return Ok(());
        }
        let mut leads = load(tx, schema, events).await?;
        let (counts, changed) = fold(events, &mut leads)?;
        write_attribution(tx, schema, &leads, &changed).await?;
        write_counts(tx, schema, counts).await
    }
}

/// A rebuild's rows, folded in memory by the same [`fold`] as `apply`, and written once.
#[derive(Default)]
struct Held {
    leads: HashMap<Uuid, Attribution>,
    counts: HashMap<Key, Counts>,
}

#[async_trait]
impl Bulk for Held {
    fn fold(&mut self, events: &[Envelope]) -> Result<(), ProjectionError> {
        let (counts, _) = fold(events, &mut self.leads)?;
        for (key, change) in counts {
            self.counts.entry(key).or_default().add(&change);
        }
        Ok(())
    }

    fn rows(&self) -> usize {
        self.leads.len() + self.counts.len()
    }

    async fn write(&mut self, tx: &mut PgConnection, schema: &str) -> Result<(), ProjectionError> {
        // In key order, each primary-key insert lands on the index's rightmost page.
        let mut leads: Vec<_> = self.leads.drain().collect();
        leads.sort_unstable_by_key(|(id, _)| *id);
        let mut copy = CopyRows::frozen();
        for (id, lead) in &leads {
            let messages = serde_json::to_string(&lead.messages)
                .map_err(|e| ProjectionError::Database(sqlx::Error::Encode(Box::new(e))))?;
            let last = lead.last.as_ref();
            copy.put(*id).put(lead.campaign_id).put(&lead.segment).put(last.map(|(t, _)| t.as_str()));
            copy.put(last.map(|(_, s)| s.as_str())).put(Jsonb(&messages)).end_row();
        }
        let columns = "lead_id, campaign_id, segment, last_template_id, last_segment, message_templates";
        copy.send(tx, &format!("{schema}.template_attribution"), columns).await?;
        let mut rows: Vec<_> = self.counts.drain().collect();
        rows.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        let mut copy = CopyRows::frozen();
        for ((campaign, template, segment), c) in &rows {
            copy.put(*campaign).put(template).put(segment).put(c.sent).put(c.replies).put(c.positive);
            copy.put(c.negative).put(c.opt_outs).end_row();
        }
        let columns = "campaign_id, template_id, segment, sent, replies, positive, negative, opt_outs";
        copy.send(tx, &format!("{schema}.template_performance"), columns).await?;
        Ok(())
    }
}

async fn write_attribution(
    tx: &mut PgConnection,
    schema: &str,
    leads: &HashMap<Uuid, Attribution>,
    changed: &HashSet<Uuid>,
) -> Result<(), ProjectionError> {
    let rows: Vec<_> = changed.iter().filter_map(|id| leads.get(id).map(|lead| (*id, lead))).collect();
    if rows.is_empty() {
        return Ok(());
    }
    let messages: Vec<serde_json::Value> = rows
        .iter()
        .map(|(_, lead)| serde_json::to_value(&lead.messages))
        .collect::<Result<_, _>>()
        .map_err(|e| ProjectionError::Database(sqlx::Error::Encode(Box::new(e))))?;
    sqlx::query(&format!(
        "INSERT INTO {schema}.template_attribution AS t
             (lead_id, campaign_id, segment, last_template_id, last_segment, message_templates)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
         ON CONFLICT (lead_id) DO UPDATE SET segment = EXCLUDED.segment,
             last_template_id = EXCLUDED.last_template_id, last_segment = EXCLUDED.last_segment,
             message_templates = EXCLUDED.message_templates"
    ))
    .bind(rows.iter().map(|(id, _)| *id).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, lead)| lead.campaign_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, lead)| lead.segment.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, lead)| lead.last.as_ref().map(|(t, _)| t.as_str())).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, lead)| lead.last.as_ref().map(|(_, s)| s.as_str())).collect::<Vec<_>>())
    .bind(messages)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_counts(
    tx: &mut PgConnection,
    schema: &str,
    counts: HashMap<Key, Counts>,
) -> Result<(), ProjectionError> {
    if counts.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = counts.into_iter().collect();
    sqlx::query(&format!(
        "INSERT INTO {schema}.template_performance AS p
             (campaign_id, template_id, segment, sent, replies, positive, negative, opt_outs)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
             $7::bigint[], $8::bigint[])
         ON CONFLICT (campaign_id, template_id, segment) DO UPDATE SET
             sent = p.sent + EXCLUDED.sent, replies = p.replies + EXCLUDED.replies,
             positive = p.positive + EXCLUDED.positive, negative = p.negative + EXCLUDED.negative,
             opt_outs = p.opt_outs + EXCLUDED.opt_outs"
    ))
    .bind(rows.iter().map(|((campaign, _, _), _)| *campaign).collect::<Vec<_>>())
    .bind(rows.iter().map(|((_, template, _), _)| template.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|((_, _, segment), _)| segment.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, c)| c.sent).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, c)| c.replies).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, c)| c.positive).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, c)| c.negative).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, c)| c.opt_outs).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
