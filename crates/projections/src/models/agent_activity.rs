//! `read.agent_activity`: per actor (agent, person or the system), how many commands and events
//! it wrote, how many of its commands were rejected or failed (as its `AgentErrorRaised`
//! events report), the last error's context, and when it was last seen.
//!
//! A command writes all its events in one transaction, and the log is read in transaction
//! order, so a command's events are contiguous: only the first command of a batch can have
//! begun in the batch before. The helper table `agent_activity_commands` holds the last
//! command id of the last batch applied, so that a command straddling two batches counts once.
//! (One row per command ever would cost a random index insert per command, which is most of a
//! rebuild's time when every command writes one event.)

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};
use reachspark_domain::agent::{AgentEvent, ErrorKind};
use sqlx::PgConnection;
use uuid::Uuid;

use super::label;
use crate::{Decoded, Envelope, Projection, ProjectionError};

/// The agent activity read model.
#[derive(Debug, Clone, Copy)]
pub struct AgentActivity;

/// One actor's change in a batch.
#[derive(Debug, Default)]
struct Activity {
    commands: i64,
    events: i64,
    rejections: i64,
    errors: i64,
    last_seen: Option<DateTime<Utc>>,
    last_error: Option<LastError>,
}

#[derive(Debug)]
struct LastError {
    kind: String,
    command: Option<String>,
    context: String,
    at: DateTime<Utc>,
}

/// An actor's kind and id, borrowed from the batch's metadata.
type Actor<'a> = (&'a str, &'a str);

/// What a batch changes.
#[derive(Debug)]
struct Folded<'a> {
    activity: HashMap<Actor<'a>, Activity>,
    /// The batch's first command and its actor: the only one that may have begun before.
    first: (Uuid, Actor<'a>),
    /// The batch's last command: the only one that may go on in the next batch.
    last: Uuid,
}

fn bad(envelope: &Envelope, reason: &str) -> ProjectionError {
    ProjectionError::Event { event_id: envelope.recorded.event_id, reason: reason.to_owned() }
}

fn fold(events: &[Envelope]) -> Result<Option<Folded<'_>>, ProjectionError> {
    let mut activity: HashMap<Actor<'_>, Activity> = HashMap::new();
    let mut first = None;
    let mut current: Option<Uuid> = None;
    // Contiguity makes this set redundant; it keeps a repeated id from counting twice anyway.
    let mut seen: HashSet<Uuid> = HashSet::new();
    for envelope in events {
        let kind = envelope.actor_kind().ok_or_else(|| bad(envelope, "metadata without an actor kind"))?;
        let id = envelope.actor_id().ok_or_else(|| bad(envelope, "metadata without an actor id"))?;
        let command_id = envelope.command_id().ok_or_else(|| bad(envelope, "metadata without a command id"))?;
        let row = activity.entry((kind, id)).or_default();
        if current != Some(command_id) {
            current = Some(command_id);
            first.get_or_insert((command_id, (kind, id)));
            if seen.insert(command_id) {
                row.commands += 1;
            }
        }
        row.events += 1;
        let recorded_at = envelope.recorded.recorded_at;
        row.last_seen = Some(row.last_seen.map_or(recorded_at, |seen| seen.max(recorded_at)));
        if let Decoded::Agent(AgentEvent::AgentErrorRaised { kind, context, command, at }) = &envelope.decoded {
            if *kind == ErrorKind::Rejected {
                row.rejections += 1;
            } else {
                row.errors += 1;
            }
            row.last_error =
                Some(LastError { kind: label(kind), command: command.clone(), context: context.clone(), at: *at });
        }
    }
    Ok(first.zip(current).map(|(first, last)| Folded { activity, first, last }))
}

#[async_trait]
impl Projection for AgentActivity {
    fn name(&self) -> &'static str {
        "agent_activity"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["agent_activity", "agent_activity_commands"]
    }

    fn schema_sql(&self, schema: &str) -> Vec<String> {
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.agent_activity (
                    actor_kind text NOT NULL, actor_id text NOT NULL,
                    commands bigint NOT NULL DEFAULT 0, events bigint NOT NULL DEFAULT 0,
                    rejections bigint NOT NULL DEFAULT 0, errors bigint NOT NULL DEFAULT 0,
                    last_error_kind text, last_error_command text, last_error_context text,
                    last_error_at timestamptz, last_seen timestamptz NOT NULL,
                    PRIMARY KEY (actor_kind, actor_id))"
            ),
            format!(
                "COMMENT ON TABLE {schema}.agent_activity IS
                    'Per actor: commands and events written, rejections and errors reported, last error, last seen.'"
            ),
            format!("CREATE TABLE IF NOT EXISTS {schema}.agent_activity_commands (command_id uuid PRIMARY KEY)"),
            format!(
                "COMMENT ON TABLE {schema}.agent_activity_commands IS
                    'Helper of agent_activity: the last command of the last batch applied (one row).'"
            ),
        ]
    }

    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError> {
        let Some(Folded { mut activity, first: (first, actor), last }) = fold(events)? else {
            return Ok(());
        };
        let previous: Option<Uuid> =
            sqlx::query_scalar(&format!("DELETE FROM {schema}.agent_activity_commands RETURNING command_id"))
                .fetch_optional(&mut *tx)
                .await?;
        if previous == Some(first) {
            if let Some(row) = activity.get_mut(&actor) {
                row.commands -= 1;
            }
        }
        sqlx::query(&format!("INSERT INTO {schema}.agent_activity_commands (command_id) VALUES ($1)"))
            .bind(last)
            .execute(&mut *tx)
            .await?;
        write(tx, schema, activity).await
    }
}

async fn write(
    tx: &mut PgConnection,
    schema: &str,
    activity: HashMap<Actor<'_>, Activity>,
) -> Result<(), ProjectionError> {
    let rows: Vec<_> = activity.into_iter().collect();
    let error = |f: fn(&LastError) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(|(_, a)| a.last_error.as_ref().and_then(f)).collect()
    };
    sqlx::query(&format!(
        "INSERT INTO {schema}.agent_activity AS a (actor_kind, actor_id, commands, events, rejections, errors,
             last_error_kind, last_error_command, last_error_context, last_error_at, last_seen)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
             $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[])
         ON CONFLICT (actor_kind, actor_id) DO UPDATE SET
             commands = a.commands + EXCLUDED.commands, events = a.events + EXCLUDED.events,
             rejections = a.rejections + EXCLUDED.rejections, errors = a.errors + EXCLUDED.errors,
             last_error_kind = COALESCE(EXCLUDED.last_error_kind, a.last_error_kind),
             last_error_command = CASE WHEN EXCLUDED.last_error_kind IS NULL THEN a.last_error_command
                 ELSE EXCLUDED.last_error_command END,
             last_error_context = COALESCE(EXCLUDED.last_error_context, a.last_error_context),
             last_error_at = COALESCE(EXCLUDED.last_error_at, a.last_error_at),
             last_seen = GREATEST(a.last_seen, EXCLUDED.last_seen)"
    ))
    .bind(rows.iter().map(|((kind, _), _)| *kind).collect::<Vec<_>>())
    .bind(rows.iter().map(|((_, id), _)| *id).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, a)| a.commands).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, a)| a.events).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, a)| a.rejections).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, a)| a.errors).collect::<Vec<_>>())
    .bind(error(|e| Some(e.kind.clone())))
    .bind(error(|e| e.command.clone()))
    .bind(error(|e| Some(e.context.clone())))
    .bind(rows.iter().map(|(_, a)| a.last_error.as_ref().map(|e| e.at)).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, a)| a.last_seen).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
