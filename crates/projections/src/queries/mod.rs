//! Reads of the read models for the API: keyset-paged, filtered, no business rules.

pub mod analytics;
pub mod senders;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// A row of `read.leads`.
#[derive(Debug, Clone, FromRow)]
pub struct LeadRow {
    pub lead_id: Uuid,
    pub name: Option<String>,
    pub position: Option<String>,
    pub company: Option<String>,
    pub linkedin_url: Option<String>,
    pub email: Option<String>,
    pub classification: Option<String>,
    pub quality_score: Option<i16>,
    pub contact_status: String,
    pub last_contacted: Option<DateTime<Utc>>,
    pub message_sent: Option<String>,
    pub response: Option<String>,
    pub response_sentiment: Option<String>,
    pub response_intent: Option<String>,
    pub assigned_to: Option<Uuid>,
    pub notes: Option<String>,
    pub campaign_id: Option<Uuid>,
    pub source: Option<String>,
    pub opted_out: bool,
    pub erased: bool,
    pub stream_version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Which leads.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub contact_status: Option<String>,
    pub classification: Option<String>,
    pub min_score: Option<i16>,
    pub max_score: Option<i16>,
    pub campaign_id: Option<Uuid>,
    pub assigned_to: Option<Uuid>,
    /// Case-insensitive match on company or position (never on personal fields).
    pub text: Option<String>,
}

/// In which order; both are stable (ties broken by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeadOrder {
    /// Most recently changed first.
    #[default]
    RecentlyUpdated,
    /// Highest quality score first (unscored last).
    QualityScore,
}

/// A position in a lead listing: the sort key and id of the last row seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadCursor {
    pub key: i64,
    pub lead_id: Uuid,
}

impl LeadOrder {
    /// The sort key, spelt exactly as the leads model's indexes spell it so that a page is an
    /// index range scan (filters, order and cursor alike), not a sort of every matching row.
    fn key_sql(self) -> &'static str {
        match self {
            Self::RecentlyUpdated => "coalesce(updated_at, 'epoch'::timestamptz)",
            Self::QualityScore => "coalesce(quality_score, 0)::bigint",
        }
    }

    /// The cursor of a row in this order.
    pub fn cursor(self, row: &LeadRow) -> LeadCursor {
        let key = match self {
            Self::RecentlyUpdated => row.updated_at.map_or(0, |t| t.timestamp_micros()),
            Self::QualityScore => i64::from(row.quality_score.unwrap_or(0)),
        };
        LeadCursor { key, lead_id: row.lead_id }
    }
}

/// One lead.
pub async fn lead(pool: &PgPool, lead_id: Uuid) -> Result<Option<LeadRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM read.leads WHERE lead_id = $1").bind(lead_id).fetch_optional(pool).await
}

/// The text columns of `read.leads` a caller shows. The others come back as NULL, so a page
/// neither sends nor decodes text nobody asked for (a third of a `leads` page's cost when only
/// the seed sheet's short columns are shown, docs/BENCHMARKS.md). Other columns are always read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadColumns(u16);

impl LeadColumns {
    /// The optional text columns, in table order.
    pub const TEXT: [&'static str; 12] = [
        "name",
        "position",
        "company",
        "linkedin_url",
        "email",
        "classification",
        "message_sent",
        "response",
        "response_sentiment",
        "response_intent",
        "notes",
        "source",
    ];
    /// Every column.
    pub const ALL: Self = Self((1 << Self::TEXT.len()) - 1);
    /// None of the optional text columns.
    pub const NONE: Self = Self(0);

    /// These columns and `column` too; `column` must be one of [`LeadColumns::TEXT`].
    #[must_use]
    pub fn with(self, column: &str) -> Self {
        let index = Self::TEXT.iter().position(|c| *c == column);
        debug_assert!(index.is_some(), "`{column}` is not an optional text column of read.leads");
        index.map_or(self, |i| Self(self.0 | 1 << i))
    }

    /// The columns a page reads, in the order [`LeadRow::from_select_list`] decodes them: the
    /// id, the twelve text columns of [`LeadColumns::TEXT`] in order, then the rest.
    fn select_list(self) -> String {
        let texts = Self::TEXT.iter().enumerate().map(|(i, column)| {
            if self.0 & (1 << i) == 0 {
                format!("NULL::text AS {column}")
            } else {
                (*column).to_owned()
            }
        });
        let texts: Vec<String> = texts.collect();
        format!(
            "lead_id, {}, quality_score, contact_status, last_contacted, assigned_to, campaign_id, opted_out, \
             erased, stream_version, updated_at",
            texts.join(", ")
        )
    }
}

/// Up to `first` leads after `after`, filtered and ordered.
pub async fn leads(
    pool: &PgPool,
    filter: &LeadFilter,
    order: LeadOrder,
    after: Option<LeadCursor>,
    first: i64,
) -> Result<Vec<LeadRow>, sqlx::Error> {
    leads_with(pool, filter, order, after, first, LeadColumns::ALL).await
}

/// [`leads`], reading only `columns` of the optional text columns.
pub async fn leads_with(
    pool: &PgPool,
    filter: &LeadFilter,
    order: LeadOrder,
    after: Option<LeadCursor>,
    first: i64,
    columns: LeadColumns,
) -> Result<Vec<LeadRow>, sqlx::Error> {
    let select = format!("SELECT {} FROM read.leads WHERE true", columns.select_list());
    let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new(select);
    if let Some(v) = &filter.contact_status {
        q.push(" AND contact_status = ").push_bind(v.clone());
    }
    if let Some(v) = &filter.classification {
        q.push(" AND classification = ").push_bind(v.clone());
    }
    if let Some(v) = filter.min_score {
        q.push(" AND quality_score >= ").push_bind(v);
    }
    if let Some(v) = filter.max_score {
        q.push(" AND quality_score <= ").push_bind(v);
    }
    if let Some(v) = filter.campaign_id {
        q.push(" AND campaign_id = ").push_bind(v);
    }
    if let Some(v) = filter.assigned_to {
        q.push(" AND assigned_to = ").push_bind(v);
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        q.push(" AND (company ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR position ILIKE ")
            .push_bind(pattern)
            .push(")");
    }
    let key = order.key_sql();
    if let Some(cursor) = after {
        q.push(format!(" AND ({key}, lead_id) < ("));
        match order {
            LeadOrder::RecentlyUpdated => {
                let at = DateTime::from_timestamp_micros(cursor.key).unwrap_or(DateTime::UNIX_EPOCH);
                q.push_bind(at)
            }
            LeadOrder::QualityScore => q.push_bind(cursor.key),
        };
        q.push(", ").push_bind(cursor.lead_id).push(")");
    }
    q.push(format!(" ORDER BY {key} DESC, lead_id DESC LIMIT ")).push_bind(first);
    let rows = q.build().fetch_all(pool).await?;
    rows.iter().map(LeadRow::from_select_list).collect()
}

impl LeadRow {
    /// A row read with [`LeadColumns::select_list`], by position: a page decodes 50 rows of 23
    /// columns, and looking each column up by name was a few percent of a page's time.
    fn from_select_list(row: &sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row as _;
        let text = |i: usize| row.try_get::<Option<String>, _>(1 + i);
        Ok(Self {
            lead_id: row.try_get(0)?,
            name: text(0)?,
            position: text(1)?,
            company: text(2)?,
            linkedin_url: text(3)?,
            email: text(4)?,
            classification: text(5)?,
            message_sent: text(6)?,
            response: text(7)?,
            response_sentiment: text(8)?,
            response_intent: text(9)?,
            notes: text(10)?,
            source: text(11)?,
            quality_score: row.try_get(13)?,
            contact_status: row.try_get(14)?,
            last_contacted: row.try_get(15)?,
            assigned_to: row.try_get(16)?,
            campaign_id: row.try_get(17)?,
            opted_out: row.try_get(18)?,
            erased: row.try_get(19)?,
            stream_version: row.try_get(20)?,
            updated_at: row.try_get(21)?,
        })
    }
}

/// A row of `read.decisions`.
#[derive(Debug, Clone, FromRow)]
pub struct DecisionRow {
    pub event_id: Uuid,
    pub subject_type: String,
    pub subject_id: Uuid,
    pub event_type: String,
    pub kind: String,
    pub output: String,
    pub decided_by_kind: String,
    pub decided_by: String,
    pub engine: String,
    pub policy_version: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub prompt_hash: Option<String>,
    pub response_hash: Option<String>,
    pub confidence: f64,
    pub propensity: Option<f64>,
    pub factors: serde_json::Value,
    pub rationale: String,
    pub based_on: Vec<Uuid>,
    pub global_position: i64,
    pub decided_at: DateTime<Utc>,
}

/// Every decision about a subject, oldest first: the explanation chain.
pub async fn decisions_about(pool: &PgPool, subject_id: Uuid) -> Result<Vec<DecisionRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM read.decisions WHERE subject_id = $1 ORDER BY global_position")
        .bind(subject_id)
        .fetch_all(pool)
        .await
}

/// Every decision about each of `subject_ids`, optionally of one kind, in log order: one
/// statement for a whole page of subjects (the API's DataLoader calls this).
pub async fn decisions_about_many(
    pool: &PgPool,
    subject_ids: &[Uuid],
    kind: Option<&str>,
) -> Result<Vec<DecisionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT * FROM read.decisions WHERE subject_id = ANY($1) AND ($2::text IS NULL OR kind = $2)
         ORDER BY global_position",
    )
    .bind(subject_ids)
    .bind(kind)
    .fetch_all(pool)
    .await
}

/// Up to `first` decisions before position `before` (newest first), optionally of one kind.
pub async fn decisions(
    pool: &PgPool,
    kind: Option<&str>,
    before: Option<i64>,
    first: i64,
) -> Result<Vec<DecisionRow>, sqlx::Error> {
    // Two statements rather than one with `$1 IS NULL OR kind = $1`: each walks its index
    // backwards and stops after `first` rows, where the combined one sorted the whole table.
    let before = before.unwrap_or(i64::MAX);
    match kind {
        Some(kind) => sqlx::query_as(
            "SELECT * FROM read.decisions WHERE kind = $1 AND global_position < $2
             ORDER BY global_position DESC LIMIT $3",
        )
        .bind(kind)
        .bind(before)
        .bind(first),
        None => sqlx::query_as(
            "SELECT * FROM read.decisions WHERE global_position < $1 ORDER BY global_position DESC LIMIT $2",
        )
        .bind(before)
        .bind(first),
    }
    .fetch_all(pool)
    .await
}

/// A row of `read.lead_timeline`.
#[derive(Debug, Clone, FromRow)]
pub struct TimelineRow {
    pub lead_id: Uuid,
    pub stream_version: i64,
    pub global_position: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub summary: String,
    pub actor_kind: Option<String>,
    pub actor_id: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// A lead's history, in order.
pub async fn timeline(pool: &PgPool, lead_id: Uuid) -> Result<Vec<TimelineRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM read.lead_timeline WHERE lead_id = $1 ORDER BY stream_version")
        .bind(lead_id)
        .fetch_all(pool)
        .await
}
