//! `read.pipeline_daily`: the funnel per campaign and UTC day, counted in events (a lead
//! classified twice counts twice under `classified`; every message sent counts under `sent`).
//! A lead's events name their campaign only in `LeadDiscovered`, so the helper table
//! `pipeline_lead_campaigns` remembers it across batches. No personal data in either table.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use foldhash::{HashMap, HashMapExt as _};
use reachspark_domain::lead::{LeadEvent, Sentiment};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::copy::CopyRows;
use crate::{Bulk, Decoded, Envelope, Projection, ProjectionError};

/// The per-campaign, per-day funnel read model.
#[derive(Debug, Clone, Copy)]
pub struct PipelineDaily;

/// The funnel's counters, in column order.
const STAGES: [&str; 10] = [
    "discovered",
    "classified",
    "allocated",
    "drafted",
    "sent",
    "responded",
    "positive",
    "qualified",
    "closed",
    "opted_out",
];

type Counts = [i64; STAGES.len()];

/// The counter an event moves, and the time that dates it. Every counted event carries its
/// domain time; events without one (`LeadScored`) are not counted.
fn stage(event: &LeadEvent) -> Option<(usize, DateTime<Utc>)> {
    let (stage, at) = match event {
        LeadEvent::LeadDiscovered { at, .. } => (0, at),
        LeadEvent::LeadClassified { at, .. } => (1, at),
        LeadEvent::LeadAllocated { at, .. } => (2, at),
        LeadEvent::MessageDrafted { at, .. } => (3, at),
        LeadEvent::MessageSent { at, .. } => (4, at),
        LeadEvent::ResponseReceived { at, .. } => (5, at),
        LeadEvent::ResponseAnalyzed { sentiment: Sentiment::Positive, at, .. } => (6, at),
        LeadEvent::LeadQualified { at, .. } => (7, at),
        LeadEvent::LeadClosed { at, .. } => (8, at),
        LeadEvent::LeadOptedOut { at, .. } => (9, at),
        _ => return None,
    };
    Some((stage, *at))
}

fn lead_events(events: &[Envelope]) -> impl Iterator<Item = (&Envelope, &LeadEvent)> {
    events.iter().filter_map(|e| match &e.decoded {
        Decoded::Lead(event) => Some((e, event)),
        _ => None,
    })
}

/// Adds the stages reached in `events` to `counts`, by the campaign of each event's lead.
fn count(
    events: &[Envelope],
    campaigns: &HashMap<Uuid, Uuid>,
    counts: &mut HashMap<(Uuid, NaiveDate), Counts>,
) -> Result<(), ProjectionError> {
    for (envelope, event) in lead_events(events) {
        let Some((stage, at)) = stage(event) else { continue };
        let campaign_id = campaigns.get(&envelope.recorded.stream_id).ok_or_else(|| ProjectionError::Event {
            event_id: envelope.recorded.event_id,
            reason: "a lead event before the lead's LeadDiscovered".to_owned(),
        })?;
        counts.entry((*campaign_id, at.date_naive())).or_default()[stage] += 1;
    }
    Ok(())
}

/// A rebuild's rows: every lead's campaign and every day's counts, in memory.
#[derive(Default)]
struct Held {
    campaigns: HashMap<Uuid, Uuid>,
    counts: HashMap<(Uuid, NaiveDate), Counts>,
}

#[async_trait]
impl Bulk for Held {
    fn fold(&mut self, events: &[Envelope]) -> Result<(), ProjectionError> {
        for (envelope, event) in lead_events(events) {
            if let LeadEvent::LeadDiscovered { campaign_id, .. } = event {
                // The first discovery wins, as the table's ON CONFLICT DO NOTHING keeps it.
                self.campaigns.entry(envelope.recorded.stream_id).or_insert(*campaign_id);
            }
        }
        count(events, &self.campaigns, &mut self.counts)
    }

    fn rows(&self) -> usize {
        self.campaigns.len() + self.counts.len()
    }

    async fn write(&mut self, tx: &mut PgConnection, schema: &str) -> Result<(), ProjectionError> {
        // In key order, each primary-key insert lands on the index's rightmost page.
        let mut campaigns: Vec<_> = self.campaigns.drain().collect();
        campaigns.sort_unstable();
        let mut copy = CopyRows::frozen();
        for (lead, campaign) in campaigns {
            copy.put(lead).put(campaign).end_row();
        }
        copy.send(tx, &format!("{schema}.pipeline_lead_campaigns"), "lead_id, campaign_id").await?;
        let mut copy = CopyRows::frozen();
        for ((campaign, day), counts) in self.counts.drain() {
            copy.put(campaign).put(day);
            for n in counts {
                copy.put(n);
            }
            copy.end_row();
        }
        let columns = STAGES.join(", ");
        copy.send(tx, &format!("{schema}.pipeline_daily"), &format!("campaign_id, day, {columns}")).await?;
        Ok(())
    }
}

#[async_trait]
impl Projection for PipelineDaily {
    fn name(&self) -> &'static str {
        "pipeline_daily"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["pipeline_daily", "pipeline_lead_campaigns"]
    }

    fn schema_sql(&self, schema: &str) -> Vec<String> {
        let counters: Vec<String> = STAGES.iter().map(|s| format!("{s} bigint NOT NULL DEFAULT 0")).collect();
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.pipeline_daily (
                    campaign_id uuid NOT NULL, day date NOT NULL, {},
                    PRIMARY KEY (campaign_id, day))",
                counters.join(", ")
            ),
            format!(
                "COMMENT ON TABLE {schema}.pipeline_daily IS
                    'Funnel per campaign and UTC day of the event''s own time: events counted per stage.'"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.pipeline_lead_campaigns (
                    lead_id uuid PRIMARY KEY, campaign_id uuid NOT NULL)"
            ),
            format!(
                "COMMENT ON TABLE {schema}.pipeline_lead_campaigns IS
                    'Helper of pipeline_daily: the campaign each lead was discovered for.'"
            ),
        ]
    }

    fn bulk(&self) -> Option<Box<dyn Bulk>> {
        Some(Box::<Held>::default())
    }

    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError> {
        let mut campaigns: HashMap<Uuid, Uuid> = HashMap::new();
        let mut discovered: Vec<(Uuid, Uuid)> = Vec::new();
        for (envelope, event) in lead_events(events) {
            if let LeadEvent::LeadDiscovered { campaign_id, .. } = event {
                campaigns.insert(envelope.recorded.stream_id, *campaign_id);
                discovered.push((envelope.recorded.stream_id, *campaign_id));
            }
        }
        let mut missing: Vec<Uuid> = lead_events(events)
            .filter(|(e, event)| stage(event).is_some() && !campaigns.contains_key(&e.recorded.stream_id))
            .map(|(e, _)| e.recorded.stream_id)
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if !missing.is_empty() {
            let rows = sqlx::query(&format!(
                "SELECT lead_id, campaign_id FROM {schema}.pipeline_lead_campaigns WHERE lead_id = ANY($1)"
            ))
            .bind(&missing)
            .fetch_all(&mut *tx)
            .await?;
            for row in rows {
                campaigns.insert(row.try_get("lead_id")?, row.try_get("campaign_id")?);
            }
        }

        let mut counts: HashMap<(Uuid, NaiveDate), Counts> = HashMap::new();
        count(events, &campaigns, &mut counts)?;

        if !discovered.is_empty() {
            sqlx::query(&format!(
                "INSERT INTO {schema}.pipeline_lead_campaigns (lead_id, campaign_id)
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[]) ON CONFLICT (lead_id) DO NOTHING"
            ))
            .bind(discovered.iter().map(|(lead, _)| *lead).collect::<Vec<_>>())
            .bind(discovered.iter().map(|(_, campaign)| *campaign).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        if counts.is_empty() {
            return Ok(());
        }
        let columns = STAGES.join(", ");
        let arrays: Vec<String> = (0..STAGES.len()).map(|i| format!("${}::bigint[]", i + 3)).collect();
        let updates: Vec<String> = STAGES.iter().map(|s| format!("{s} = p.{s} + EXCLUDED.{s}")).collect();
        let sql = format!(
            "INSERT INTO {schema}.pipeline_daily AS p (campaign_id, day, {columns})
             SELECT * FROM UNNEST($1::uuid[], $2::date[], {})
             ON CONFLICT (campaign_id, day) DO UPDATE SET {}",
            arrays.join(", "),
            updates.join(", ")
        );
        let rows: Vec<_> = counts.into_iter().collect();
        let mut query = sqlx::query(&sql)
            .bind(rows.iter().map(|((campaign, _), _)| *campaign).collect::<Vec<_>>())
            .bind(rows.iter().map(|((_, day), _)| *day).collect::<Vec<_>>());
        for stage in 0..STAGES.len() {
            query = query.bind(rows.iter().map(|(_, counts)| counts[stage]).collect::<Vec<_>>());
        }
        query.execute(&mut *tx).await?;
        Ok(())
    }
}
