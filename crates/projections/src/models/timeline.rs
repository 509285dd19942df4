//! `read.lead_timeline`: every event of every lead, with a one-line summary for people. The
//! summaries carry no personal data (no names, texts or addresses), so erasure leaves them as
//! they are.

use async_trait::async_trait;
use reachspark_domain::lead::LeadEvent;
use sqlx::PgConnection;

use super::{label, sheet_label};
use crate::copy::CopyRows;
use crate::{Decoded, Envelope, Projection, ProjectionError};

/// The lead timeline read model.
#[derive(Debug, Clone, Copy)]
pub struct Timeline;

/// A sentence about the event, without personal data.
pub(crate) fn summary(event: &LeadEvent) -> String {
    match event {
        LeadEvent::LeadDiscovered { source, position, company, .. } => {
            format!("Discovered via {} as {position} at {company}", label(source))
        }
        LeadEvent::LeadEnriched { facts, .. } => format!("Enriched with {} facts", facts.len()),
        LeadEvent::LeadClassified { class, decision, .. } => {
            format!("Classified as {} (confidence {:.2})", sheet_label(class), decision.confidence)
        }
        LeadEvent::LeadScored { quality_score, .. } => format!("Scored {quality_score}/10"),
        LeadEvent::LeadAllocated { account_id, priority, .. } => {
            format!("Allocated to account {account_id} with priority {priority}")
        }
        LeadEvent::LeadReassigned { from, to, .. } => format!("Reassigned from account {from} to {to}"),
        LeadEvent::MessageDrafted { channel, template_id, step, ai_generated, .. } => format!(
            "{} {} message drafted from template {}{}",
            label(step),
            label(channel),
            template_id.as_deref().unwrap_or("(none)"),
            if *ai_generated { " by AI" } else { "" }
        ),
        LeadEvent::MessageApprovalRequested { .. } => "Draft sent for human approval".to_owned(),
        LeadEvent::MessageApproved { by, edited_body, .. } => {
            format!("Draft approved by {}{}", by.id, if edited_body.is_some() { " with edits" } else { "" })
        }
        LeadEvent::MessageRejected { by, .. } => format!("Draft rejected by {}", by.id),
        LeadEvent::MessageScheduled { action_type, at, .. } => format!("{} scheduled for {at}", label(action_type)),
        LeadEvent::MessageSent { channel, .. } => format!("Message sent on {}", label(channel)),
        LeadEvent::MessageSendFailed { kind, attempt, reason, .. } => {
            format!("Send attempt {attempt} failed ({}): {reason}", label(kind))
        }
        LeadEvent::ResponseReceived { .. } => "Reply received".to_owned(),
        LeadEvent::ResponseAnalyzed { sentiment, intent, .. } => {
            format!("Reply analysed: {} sentiment, intent {}", sheet_label(sentiment), sheet_label(intent))
        }
        LeadEvent::FollowUpScheduled { step, due_at, .. } => format!("Follow-up {step} scheduled for {due_at}"),
        LeadEvent::LeadQualified { by, .. } => format!("Qualified by {}", by.id),
        LeadEvent::LeadClosed { outcome, .. } => format!("Closed: {}", label(outcome)),
        LeadEvent::LeadOptedOut { source, honour_by, .. } => {
            format!("Opted out ({}); honoured at once, legal deadline {}", label(source), honour_by.date_naive())
        }
        LeadEvent::PersonalDataErased { requested_by, .. } => {
            format!("Personal data erased at the request of {}", requested_by.id)
        }
        LeadEvent::NoteAdded { author, .. } => format!("Note added by {}", author.id),
    }
}

#[async_trait]
impl Projection for Timeline {
    fn name(&self) -> &'static str {
        "lead_timeline"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["lead_timeline"]
    }

    fn schema_sql(&self, schema: &str) -> Vec<String> {
        vec![format!(
            "CREATE TABLE IF NOT EXISTS {schema}.lead_timeline (
                lead_id uuid NOT NULL, stream_version bigint NOT NULL, global_position bigint NOT NULL,
                event_id uuid NOT NULL, event_type text NOT NULL, summary text NOT NULL,
                actor_kind text, actor_id text, recorded_at timestamptz NOT NULL)"
        )]
    }

    fn insert_only(&self) -> bool {
        true
    }

    fn index_sql(&self, schema: &str) -> Vec<String> {
        // Insert-only: the key is a unique index, built after a rebuild's bulk load.
        vec![format!(
            "CREATE UNIQUE INDEX IF NOT EXISTS lead_timeline_key ON {schema}.lead_timeline (lead_id, stream_version)"
        )]
    }

    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError> {
        let rows: Vec<(&Envelope, &LeadEvent)> = events
            .iter()
            .filter_map(|e| match &e.decoded {
                Decoded::Lead(event) => Some((e, event)),
                _ => None,
            })
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        let mut copy = CopyRows::new();
        for (e, event) in rows {
            let r = &e.recorded;
            copy.put(r.stream_id).put(r.stream_version).put(r.global_position).put(r.event_id);
            copy.put(&r.event_type).put(summary(event)).put(e.actor_kind()).put(e.actor_id()).put(r.recorded_at);
            copy.end_row();
        }
        copy.send(
            tx,
            &format!("{schema}.lead_timeline"),
            "lead_id, stream_version, global_position, event_id, event_type, summary, actor_kind, actor_id, recorded_at",
        )
        .await?;
        Ok(())
    }
}
