//! `read.decisions`: the audit trail. Every event whose payload carries a decision record
//! (classification, score, allocation, draft, reply analysis, approval, strategy change, ...)
//! becomes one row. Decisions hold no personal data, so this table survives erasure intact.

use async_trait::async_trait;
use reachspark_domain::decision::{Decision, Engine};
use sqlx::PgConnection;
use uuid::Uuid;

use super::label;
use crate::copy::CopyRows;
use crate::{Envelope, Projection, ProjectionError};

/// The decisions read model.
#[derive(Debug, Clone, Copy)]
pub struct Decisions;

/// The one field of a payload this model reads.
#[derive(serde::Deserialize)]
struct Carrier {
    #[serde(default)]
    decision: Option<Decision>,
}

struct Row<'a> {
    envelope: &'a Envelope,
    decision: Decision,
}

#[async_trait]
impl Projection for Decisions {
    fn name(&self) -> &'static str {
        "decisions"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["decisions"]
    }

    fn schema_sql(&self, schema: &str) -> Vec<String> {
        vec![format!(
            "CREATE TABLE IF NOT EXISTS {schema}.decisions (
                    event_id uuid NOT NULL, subject_type text NOT NULL, subject_id uuid NOT NULL,
                    event_type text NOT NULL, kind text NOT NULL, output text NOT NULL,
                    decided_by_kind text NOT NULL, decided_by text NOT NULL, engine text NOT NULL,
                    policy_version text, provider text, model text, prompt_hash text, response_hash text,
                    confidence double precision NOT NULL, propensity double precision, factors jsonb NOT NULL,
                    rationale text NOT NULL, based_on uuid[] NOT NULL, global_position bigint NOT NULL,
                    decided_at timestamptz NOT NULL)"
        )]
    }

    fn insert_only(&self) -> bool {
        true
    }

    fn index_sql(&self, schema: &str) -> Vec<String> {
        // Insert-only: the key and the lookups are indexes built after a rebuild's bulk load.
        vec![
            format!("CREATE UNIQUE INDEX IF NOT EXISTS decisions_key ON {schema}.decisions (event_id)"),
            format!(
                "CREATE INDEX IF NOT EXISTS decisions_subject_idx ON {schema}.decisions (subject_id, global_position)"
            ),
            format!("CREATE INDEX IF NOT EXISTS decisions_kind_idx ON {schema}.decisions (kind, decided_at)"),
        ]
    }

    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError> {
        let mut rows = Vec::new();
        for envelope in events {
            // Every event type whose payload carries a decision record, read from the payload
            // itself so a new decision-carrying event needs no change here.
            if !envelope.recorded.payload.contains("\"decision\"") {
                continue;
            }
            let carrier: Carrier =
                serde_json::from_str(&envelope.recorded.payload).map_err(|e| ProjectionError::Event {
                    event_id: envelope.recorded.event_id,
                    reason: format!("unreadable decision record: {e}"),
                })?;
            let Some(decision) = carrier.decision else { continue };
            rows.push(Row { envelope, decision });
        }
        if rows.is_empty() {
            return Ok(());
        }
        let engine =
            |r: &Row<'_>| -> (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>) {
                match &r.decision.engine {
                    Engine::Rules { policy_version } => {
                        ("rules".into(), Some(policy_version.clone()), None, None, None, None)
                    }
                    Engine::Llm { provider, model, prompt_hash, response_hash } => (
                        "llm".into(),
                        None,
                        Some(provider.clone()),
                        Some(model.clone()),
                        Some(prompt_hash.clone()),
                        Some(response_hash.clone()),
                    ),
                    Engine::Human => ("human".into(), None, None, None, None, None),
                }
            };
        let mut copy = CopyRows::new();
        for row in &rows {
            let (engine, policy, provider, model, prompt, response) = engine(row);
            let (r, d) = (&row.envelope.recorded, &row.decision);
            let based_on = format!("{{{}}}", d.based_on.iter().map(Uuid::to_string).collect::<Vec<_>>().join(","));
            let factors = serde_json::to_string(&d.factors).unwrap_or_else(|_| "[]".to_owned());
            copy.plain(r.event_id).text(&r.stream_type).plain(r.stream_id).text(&r.event_type);
            copy.text(&label(&d.kind)).text(&d.output).text(&label(&d.decided_by.kind)).text(&d.decided_by.id);
            copy.text(&engine).opt_text(policy.as_deref()).opt_text(provider.as_deref()).opt_text(model.as_deref());
            copy.opt_text(prompt.as_deref()).opt_text(response.as_deref()).plain(d.confidence).opt_plain(d.propensity);
            copy.text(&factors)
                .text(&d.rationale)
                .plain(based_on)
                .plain(r.global_position)
                .plain(r.recorded_at.to_rfc3339());
            copy.end_row();
        }
        copy.send(
            tx,
            &format!("{schema}.decisions"),
            "event_id, subject_type, subject_id, event_type, kind, output, decided_by_kind, decided_by, engine, \
             policy_version, provider, model, prompt_hash, response_hash, confidence, propensity, factors, rationale, \
             based_on, global_position, decided_at",
        )
        .await?;
        Ok(())
    }
}
