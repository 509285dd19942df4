//! `read.decisions`: the audit trail. Every event whose payload carries a decision record
//! (classification, score, allocation, draft, reply analysis, approval, strategy change, ...)
//! becomes one row. Decisions hold no personal data, so this table survives erasure intact.

use async_trait::async_trait;
use reachspark_domain::decision::Engine;
use sqlx::PgConnection;

use super::label;
use crate::copy::{CopyRows, Jsonb};
use crate::{Decoded, Envelope, Projection, ProjectionError};

/// The decisions read model.
#[derive(Debug, Clone, Copy)]
pub struct Decisions;

/// How the decision was made, as stored: `rules`, `llm` or `human`.
fn engine_label(engine: &Engine) -> &'static str {
    match engine {
        Engine::Rules { .. } => "rules",
        Engine::Llm { .. } => "llm",
        Engine::Human => "human",
    }
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
                    event_type text NOT NULL, kind text COLLATE \"C\" NOT NULL, output text NOT NULL,
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
            // The audit feed, newest first, of every kind or of one (`queries::decisions`).
            format!("CREATE INDEX IF NOT EXISTS decisions_position_idx ON {schema}.decisions (global_position)"),
            // `kind` compares bytewise (`COLLATE "C"`): its values are fixed snake_case words,
            // and the locale's comparison made this the slowest index of a rebuild to build.
            format!(
                "CREATE INDEX IF NOT EXISTS decisions_kind_position_idx ON {schema}.decisions (kind, global_position)"
            ),
            // Replaced by the one above: (kind, decided_at) served neither order of the feed.
            format!("DROP INDEX IF EXISTS {schema}.decisions_kind_idx"),
        ]
    }

    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError> {
        let mut copy = CopyRows::new();
        for envelope in events {
            let decision = match &envelope.decoded {
                Decoded::Lead(event) => event.decision(),
                Decoded::Campaign(event) => event.decision(),
                _ => None,
            };
            let Some(d) = decision else { continue };
            let r = &envelope.recorded;
            let (policy, llm) = match &d.engine {
                Engine::Rules { policy_version } => (Some(policy_version), None),
                Engine::Llm { provider, model, prompt_hash, response_hash } => {
                    (None, Some((provider, model, prompt_hash, response_hash)))
                }
                Engine::Human => (None, None),
            };
            let factors = serde_json::to_string(&d.factors).map_err(|e| ProjectionError::Event {
                event_id: r.event_id,
                reason: format!("decision factors: {e}"),
            })?;
            copy.put(r.event_id).put(&r.stream_type).put(r.stream_id).put(&r.event_type);
            copy.put(label(&d.kind)).put(&d.output).put(label(&d.decided_by.kind)).put(&d.decided_by.id);
            copy.put(engine_label(&d.engine)).put(policy).put(llm.map(|l| l.0)).put(llm.map(|l| l.1));
            copy.put(llm.map(|l| l.2)).put(llm.map(|l| l.3)).put(d.confidence).put(d.propensity);
            copy.put(Jsonb(&factors)).put(&d.rationale).put(d.based_on.as_slice()).put(r.global_position);
            copy.put(r.recorded_at);
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
