//! The two reads, as our schema asks them and as PostGraphile's generated schema asks the same
//! thing, the random variables both get, and a check that both answer with the same rows.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rand::seq::SliceRandom as _;
use rand::SeedableRng as _;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// Prepared request bodies per load run; each request picks one at random.
const BODIES: usize = 4096;

/// The lead columns both servers return (personal ones masked by ours without the `pii` scope).
const LEAD_FIELDS: &str = "name position company email classification qualityScore contactStatus \
                           lastContacted assignedTo campaignId updatedAt";

/// The decision columns both servers return.
const DECISION_FIELDS: &str = "eventId kind output confidence factors rationale basedOn decidedBy engine decidedAt";

/// `leads(first: 50)` filtered on a campaign and a contact status, in the default order (most
/// recently changed first, ties by id).
const OURS_LEADS: &str = "query Leads($campaign: ID!, $status: String!) { leads(first: 50, \
    filter: {campaignId: $campaign, contactStatus: $status}) { \
    edges { cursor node { id LEAD_FIELDS } } pageInfo { hasNextPage } } }";

/// The same on PostGraphile: a `condition` on the same columns, the same order with the same
/// tie-break (`updated_at` is never null in the read model, so NULLS FIRST/LAST cannot differ),
/// the same page size and columns.
const THEIR_LEADS: &str = "query Leads($campaign: UUID!, $status: String!) { allLeads(first: 50, \
    condition: {campaignId: $campaign, contactStatus: $status}, orderBy: [UPDATED_AT_DESC, LEAD_ID_DESC]) { \
    edges { cursor node { id: leadId LEAD_FIELDS } } pageInfo { hasNextPage } } }";

/// PostGraphile orders by plain columns, and offers an order only on an indexed column: this
/// index gives its `leads` page the same shape of plan as ours (one index range, no sort).
pub(super) const POSTGRAPHILE_INDEX: &str = "CREATE INDEX IF NOT EXISTS bench_postgraphile_leads_recent_idx \
    ON read.leads (campaign_id, contact_status, updated_at DESC, lead_id DESC)";

/// Every decision about one lead, oldest first.
const OURS_EXPLAIN: &str = "query Explain($lead: ID!) { explain(leadId: $lead) { DECISION_FIELDS position } }";

/// The same on PostGraphile: the lead's rows of `decisions` ordered by log position.
const THEIR_EXPLAIN: &str = "query Explain($lead: UUID!) { allDecisions(condition: {subjectId: $lead}, \
    orderBy: [GLOBAL_POSITION_ASC]) { nodes { DECISION_FIELDS position: globalPosition } } }";

/// One of the two reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Read {
    Leads,
    Explain,
}

impl Read {
    pub(super) const ALL: [Self; 2] = [Self::Leads, Self::Explain];

    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Leads => "leads",
            Self::Explain => "explain",
        }
    }

    fn documents(self) -> (String, String) {
        match self {
            Self::Leads => {
                (OURS_LEADS.replace("LEAD_FIELDS", LEAD_FIELDS), THEIR_LEADS.replace("LEAD_FIELDS", LEAD_FIELDS))
            }
            Self::Explain => (
                OURS_EXPLAIN.replace("DECISION_FIELDS", DECISION_FIELDS),
                THEIR_EXPLAIN.replace("DECISION_FIELDS", DECISION_FIELDS),
            ),
        }
    }

    /// The ids of the rows in an answer, in order.
    fn row_ids(self, answer: &Value) -> anyhow::Result<Vec<String>> {
        if let Some(errors) = answer.get("errors") {
            anyhow::bail!("the server answered with errors: {errors}");
        }
        let data = answer.get("data").context("no data in the answer")?;
        let rows = match self {
            Self::Leads => {
                let connection = data.get("leads").or_else(|| data.get("allLeads")).context("no connection")?;
                connection["edges"].as_array().context("no edges")?.iter().map(|e| e["node"]["id"].clone()).collect()
            }
            Self::Explain => {
                let list = data.get("explain").or_else(|| data["allDecisions"].get("nodes")).context("no list")?;
                list.as_array().context("not a list")?.iter().map(|d| d["eventId"].clone()).collect::<Vec<_>>()
            }
        };
        rows.into_iter().map(|id| id.as_str().map(str::to_owned).context("a row without an id")).collect()
    }
}

/// The bodies files of one read: ours and theirs, line `i` of both asking the same thing.
#[derive(Debug)]
pub(super) struct Bodies {
    pub(super) read: Read,
    pub(super) ours: PathBuf,
    pub(super) theirs: PathBuf,
    samples: Vec<(Value, Value)>,
}

/// Writes the bodies of both reads into `dir`, with variables drawn from the seeded data.
pub(super) async fn prepare(pool: &PgPool, dir: &Path) -> anyhow::Result<Vec<Bodies>> {
    let campaigns: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT campaign_id FROM read.leads WHERE campaign_id IS NOT NULL")
            .fetch_all(pool)
            .await?;
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT contact_status FROM read.leads ORDER BY 1").fetch_all(pool).await?;
    let leads: Vec<Uuid> = sqlx::query_scalar("SELECT lead_id FROM read.leads ORDER BY random() LIMIT $1")
        .bind(i64::try_from(BODIES)?)
        .fetch_all(pool)
        .await?;
    anyhow::ensure!(!campaigns.is_empty() && !leads.is_empty(), "the database holds no leads");
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut all = Vec::new();
    for read in Read::ALL {
        let variables: Vec<Value> = (0..BODIES)
            .map(|i| match read {
                Read::Leads => json!({
                    "campaign": campaigns.choose(&mut rng).map(Uuid::to_string),
                    "status": statuses.choose(&mut rng),
                }),
                Read::Explain => json!({ "lead": leads[i % leads.len()].to_string() }),
            })
            .collect();
        let (ours_doc, theirs_doc) = read.documents();
        let body = |doc: &str, vars: &Value| json!({ "query": doc, "variables": vars });
        let samples: Vec<(Value, Value)> =
            variables.iter().take(16).map(|v| (body(&ours_doc, v), body(&theirs_doc, v))).collect();
        let ours = dir.join(format!("{}-ours.jsonl", read.name()));
        let theirs = dir.join(format!("{}-theirs.jsonl", read.name()));
        let lines = |doc: &str| variables.iter().map(|v| body(doc, v).to_string() + "\n").collect::<String>();
        std::fs::write(&ours, lines(&ours_doc))?;
        std::fs::write(&theirs, lines(&theirs_doc))?;
        all.push(Bodies { read, ours, theirs, samples });
    }
    Ok(all)
}

impl Bodies {
    /// Sends the first bodies to both servers and checks they return the same rows, in the same
    /// order; returns the mean number of rows per answer.
    pub(super) async fn verify(&self, http: &reqwest::Client, ours: (&str, &str), theirs: &str) -> anyhow::Result<f64> {
        let mut rows = 0_usize;
        for (ours_body, theirs_body) in &self.samples {
            let mine: Value =
                http.post(ours.0).bearer_auth(ours.1).json(ours_body).send().await?.error_for_status()?.json().await?;
            let other: Value = http.post(theirs).json(theirs_body).send().await?.error_for_status()?.json().await?;
            let (mine, other) = (self.read.row_ids(&mine)?, self.read.row_ids(&other)?);
            anyhow::ensure!(
                mine == other,
                "{}: the servers disagree for {}: {} rows against {}",
                self.read.name(),
                ours_body["variables"],
                mine.len(),
                other.len()
            );
            rows += mine.len();
        }
        #[expect(clippy::cast_precision_loss, reason = "small counts")]
        Ok(rows as f64 / self.samples.len().max(1) as f64)
    }
}
