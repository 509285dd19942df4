//! `importLeads`: a lead sheet in, one `LeadDiscovered` per new person out, with a report per
//! row. Good rows are kept and bad rows reported by line (see `sheet`). Rows are written in
//! chunks, each chunk one multi-stream append (one statement), so 10,000 rows take a few
//! dozen round trips rather than 10,000. With an idempotency key a retried import writes
//! nothing twice and reports the same leads as imported.

mod sheet;

use std::collections::HashMap;

use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use base64::Engine as _;
use esrs::Aggregate;
use reachspark_domain::lead::{AddNote, DiscoverLead, LeadSource};
use reachspark_domain::{Campaign, Lead, LeadEvent, LeadState, Pii};
use reachspark_store::{AppendedEvent, CommandContext, NewEvent, Position, StoreError, StreamAppend};
use uuid::Uuid;

use super::command::{Issuer, Rejection};
use super::inputs::uuid;
use super::leads::identity;
use crate::auth::Permission;
use crate::graphql::ApiError;
use sheet::{Column, SheetRow};

/// Rows per append statement.
const CHUNK: usize = 500;

/// What became of a row.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub(crate) enum ImportStatus {
    /// A new lead was discovered (or, on a retry with the same key, had been).
    Imported,
    /// The person is already known (earlier, or higher up in this file); nothing written.
    Duplicate,
    /// The row has a problem; nothing written.
    Rejected,
    /// `dryRun`: the row would be imported.
    Valid,
}

/// A problem of one row.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct RowError {
    /// The column, when one cell is at fault.
    column: Option<String>,
    message: String,
}

/// The outcome of one data row.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct ImportRow {
    /// The row's line in the file (the header is line 1).
    line: i64,
    status: ImportStatus,
    /// The lead the row is (or would be, or duplicates).
    lead_id: Option<ID>,
    errors: Vec<RowError>,
    /// Changes made to store the row safely (formula-like cells).
    warnings: Vec<String>,
}

/// What an import did.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct ImportResult {
    imported: i32,
    duplicates: i32,
    rejected: i32,
    dry_run: bool,
    /// Columns present in the file that are not imported (they are ReachSpark's own outputs,
    /// such as Classification or Contact Status, or unknown).
    ignored_columns: Vec<String>,
    /// Every data row, in file order.
    rows: Vec<ImportRow>,
    /// The cursor of the last event written, to follow the import in the `events` stream.
    end_cursor: Option<String>,
}

fn line(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A row ready to write.
struct Candidate {
    index: usize,
    lead_id: Uuid,
    command: DiscoverLead,
    note: Option<String>,
}

#[derive(Default, Debug)]
pub(crate) struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports leads from a CSV in the seed sheet's columns (`Name`, `Position`, `Company`,
    /// `LinkedIn URL`, optional `Email`, `Notes`; other sheet columns are ignored). Give the
    /// file as `csv` text, or as `csvBase64` bytes when its encoding is unknown. Good rows are
    /// imported and each bad row is reported with its line; a file without the needed columns
    /// is refused whole. `dryRun` checks without writing.
    async fn import_leads(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        csv: Option<String>,
        csv_base64: Option<String>,
        #[graphql(desc = "The file's name, kept as each lead's source reference.")] filename: Option<String>,
        dry_run: Option<bool>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ImportResult> {
        let issuer = Issuer::new(ctx, Permission::ImportLeads, "importLeads", None, idempotency_key)?;
        let dry_run = dry_run.unwrap_or(false);
        let campaign_id = uuid("campaignId", &campaign_id)?;
        let bytes = match (csv, csv_base64) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| ApiError::validation("csvBase64", "not base64"))?,
            _ => return Err(ApiError::validation("csv", "give exactly one of csv and csvBase64").into()),
        };
        issuer.existing::<Campaign>("campaignId", campaign_id).await?;
        let sheet = sheet::read(&bytes)?;
        let source = filename.unwrap_or_else(|| "upload.csv".to_owned());

        let mut rows: Vec<ImportRow> = Vec::with_capacity(sheet.rows.len() + sheet.problems.len());
        for p in &sheet.problems {
            let error = RowError { column: p.column.map(str::to_owned), message: p.message.clone() };
            rows.push(ImportRow {
                line: line(p.line),
                status: ImportStatus::Rejected,
                lead_id: None,
                errors: vec![error],
                warnings: vec![],
            });
        }
        let secret = issuer.store.lead_id_secret();
        let mut first_line: HashMap<Uuid, u64> = HashMap::new();
        let mut candidates = Vec::new();
        for row in sheet.rows {
            let index = rows.len();
            let outcome = candidate(&issuer, &secret, campaign_id, &source, &row, &mut first_line);
            let mut report = ImportRow {
                line: line(row.line),
                status: ImportStatus::Rejected,
                lead_id: None,
                errors: vec![],
                warnings: row.warnings.clone(),
            };
            match outcome {
                Ok(Ok((lead_id, command))) => {
                    report.lead_id = Some(ID(lead_id.to_string()));
                    report.status = ImportStatus::Valid;
                    let note = row.get(Column::Notes).map(str::to_owned);
                    candidates.push(Candidate { index, lead_id, command, note });
                }
                Ok(Err((lead_id, earlier))) => {
                    report.lead_id = Some(ID(lead_id.to_string()));
                    report.status = ImportStatus::Duplicate;
                    report
                        .errors
                        .push(RowError { column: None, message: format!("the same person as line {earlier}") });
                }
                Err(error) => report.errors.push(error),
            }
            rows.push(report);
        }

        let mut end = None;
        if !dry_run {
            for (n, chunk) in candidates.chunks(CHUNK).enumerate() {
                let ctx = chunk_context(issuer.context(), n);
                let written = write_chunk(&issuer, &ctx, chunk, &mut rows).await?;
                end = written
                    .last()
                    .map(|e| Position { transaction_id: e.transaction_id, global_position: e.global_position })
                    .or(end);
            }
        }
        rows.sort_by_key(|r| r.line);
        let count = |status| i32::try_from(rows.iter().filter(|r| r.status == status).count()).unwrap_or(i32::MAX);
        Ok(ImportResult {
            imported: count(ImportStatus::Imported),
            duplicates: count(ImportStatus::Duplicate),
            rejected: count(ImportStatus::Rejected),
            dry_run,
            ignored_columns: sheet.ignored_columns,
            rows,
            end_cursor: end.map(|p| p.to_string()),
        })
    }
}

type Checked = Result<(Uuid, DiscoverLead), (Uuid, u64)>;

/// A row's command, a duplicate of an earlier line, or the row's problem.
fn candidate(
    issuer: &Issuer<'_>,
    secret: &[u8],
    campaign_id: Uuid,
    source: &str,
    row: &SheetRow,
    first_line: &mut HashMap<Uuid, u64>,
) -> Result<Checked, RowError> {
    let who = identity(secret, row.get(Column::LinkedInUrl), row.get(Column::Email)).map_err(|(field, problem)| {
        let column = if field == "email" { Column::Email } else { Column::LinkedInUrl };
        RowError { column: Some(column.header().to_owned()), message: problem.to_owned() }
    })?;
    if let Some(earlier) = first_line.get(&who.lead_id) {
        return Ok(Err((who.lead_id, *earlier)));
    }
    first_line.insert(who.lead_id, row.line);
    let cell = |c: Column| row.get(c).unwrap_or_default().to_owned();
    let command = DiscoverLead {
        source: LeadSource::Csv,
        source_ref: Pii::new(format!("{source}:{}", row.line)),
        campaign_id,
        name: Pii::new(cell(Column::Name)),
        profile_url: who.profile_url.map(Pii::new),
        email: who.email.map(Pii::new),
        position: cell(Column::Position),
        company: cell(Column::Company),
        at: issuer.now,
    };
    Ok(Ok((who.lead_id, command)))
}

/// The row's events: the discovery, and its note when the sheet has one.
fn discovery(c: &Candidate, actor: &reachspark_domain::Actor) -> Result<Vec<LeadEvent>, ApiError> {
    let refused = |e: reachspark_domain::LeadError| super::command::rejection(e.to_string(), e.reason());
    let mut events = Lead::handle_command(&LeadState::default(), c.command.clone().into()).map_err(refused)?;
    if let Some(text) = &c.note {
        let state = events.iter().cloned().fold(LeadState::default(), Lead::apply_event);
        let note = AddNote { text: Pii::new(text.clone()), author: actor.clone(), at: c.command.at };
        events.extend(Lead::handle_command(&state, note.into()).map_err(refused)?);
    }
    Ok(events)
}

/// Each chunk is its own command, with an id derived from the import's, under the import's
/// correlation id.
fn chunk_context(import: &CommandContext, n: usize) -> CommandContext {
    let mut ctx = import.clone();
    ctx.command_id = Uuid::new_v5(&import.command_id, format!("chunk-{n}").as_bytes());
    ctx.correlation_id = import.correlation_id;
    ctx
}

/// Writes the chunk's new leads in one append and marks each row; persons already in the log
/// are duplicates. A chunk written before (a retry with the same key) answers what it wrote
/// then. A concurrent writer creating one of the leads makes the append conflict: look again.
async fn write_chunk(
    issuer: &Issuer<'_>,
    ctx: &CommandContext,
    chunk: &[Candidate],
    rows: &mut [ImportRow],
) -> Result<Vec<AppendedEvent>, ApiError> {
    if let Some(prior) = issuer.store.replay(ctx).await? {
        let written: std::collections::HashSet<Uuid> = prior.events.iter().map(|e| e.stream_id).collect();
        for c in chunk {
            mark(&mut rows[c.index], written.contains(&c.lead_id));
        }
        return Ok(prior.events);
    }
    let ids: Vec<Uuid> = chunk.iter().map(|c| c.lead_id).collect();
    for _attempt in 0..3 {
        let known: std::collections::HashSet<Uuid> =
            sqlx::query_scalar("SELECT stream_id FROM events WHERE stream_id = ANY($1) AND stream_version = 1")
                .bind(&ids)
                .fetch_all(issuer.store.pool())
                .await?
                .into_iter()
                .collect();
        let mut appends = Vec::new();
        for c in chunk {
            if known.contains(&c.lead_id) {
                continue;
            }
            let events = discovery(c, &issuer.actor)?;
            let events = events.iter().map(NewEvent::from_domain).collect::<Result<Vec<_>, _>>()?;
            appends.push(StreamAppend {
                stream_type: Lead::NAME.to_owned(),
                stream_id: c.lead_id,
                expected_version: 0,
                events,
            });
        }
        let written = if appends.is_empty() {
            Vec::new()
        } else {
            match issuer.store.append(ctx, appends).await {
                Ok(outcome) => outcome.events,
                Err(StoreError::Conflict { .. }) => continue,
                Err(other) => return Err(other.into()),
            }
        };
        for c in chunk {
            mark(&mut rows[c.index], !known.contains(&c.lead_id));
        }
        return Ok(written);
    }
    Err(ApiError::new(crate::graphql::Code::Conflict, "other writers kept creating these leads; retry the import"))
}

fn mark(row: &mut ImportRow, imported: bool) {
    if imported {
        row.status = ImportStatus::Imported;
    } else {
        row.status = ImportStatus::Duplicate;
        row.errors.push(RowError { column: None, message: "the person is already known".to_owned() });
    }
}
