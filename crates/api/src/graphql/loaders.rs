//! DataLoaders for fields that fan out over a list: a page of 100 leads asking for their
//! decisions and sender accounts costs one statement per field (per `kind` for decisions)
//! when the batch window catches the whole page, a few when it does not; never one per lead.
//!
//! One [`DataLoader`] over [`ReadLoader`] serves every key type (async-graphql batches per key
//! type). It caches nothing: the schema and its loader live as long as the server, and read
//! models move, so a cache would serve stale rows to later requests. Batches may mix keys of
//! concurrent requests, which is harmless: rows are looked up by key, and masking of personal
//! data (none of these rows holds any) happens in the resolvers.

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::Context;
use chrono::NaiveDate;
use reachspark_projections::queries::senders::{sender_accounts, sender_usage, SenderAccountRow, UsageRow};
use reachspark_projections::queries::{decisions_about_many, DecisionRow};
use sqlx::PgPool;
use uuid::Uuid;

use super::{ApiError, Code};

/// The loader registered in the schema.
pub(super) type Loaders = DataLoader<ReadLoader>;

/// How long a batch waits for more keys after its first. A batch takes the keys registered
/// until then, so a page whose fields are not all resolved within the window costs more
/// statements. Measured on a page of 100 leads with three fanning-out fields (5 statements when
/// nothing splits), debug build, load average 10 on 2 cores: async-graphql's default 1 ms gave
/// 5–22, 5 ms gave 5–10. It adds up to 5 ms per nested level of batched fields.
const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// The loader for `pool`, spawning its batches on tokio.
pub(super) fn loaders(pool: PgPool) -> Loaders {
    DataLoader::new(ReadLoader { pool }, tokio::spawn).delay(BATCH_WINDOW)
}

/// Batched reads of the read models.
#[derive(Debug)]
pub(crate) struct ReadLoader {
    pool: PgPool,
}

/// A batch failed; it was logged once, in the loader.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadFailed;

impl From<LoadFailed> for ApiError {
    fn from(_: LoadFailed) -> Self {
        ApiError::new(Code::Internal, "internal error")
    }
}

fn failed(e: &sqlx::Error) -> LoadFailed {
    tracing::error!(error = %e, "a DataLoader batch failed");
    LoadFailed
}

/// The decisions about a subject, optionally of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DecisionsOf {
    subject_id: Uuid,
    kind: Option<String>,
}

/// A sender account by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct AccountById(Uuid);

/// An account's usage rows on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct UsageOn {
    account_id: Uuid,
    day: NaiveDate,
}

/// Groups `keys` by a part they share, so each group is one statement.
fn grouped<K, G: Eq + std::hash::Hash>(
    keys: &[K],
    group: impl Fn(&K) -> G,
    id: impl Fn(&K) -> Uuid,
) -> HashMap<G, Vec<Uuid>> {
    let mut groups: HashMap<G, Vec<Uuid>> = HashMap::new();
    for key in keys {
        groups.entry(group(key)).or_default().push(id(key));
    }
    groups
}

impl Loader<DecisionsOf> for ReadLoader {
    type Value = Vec<DecisionRow>;
    type Error = LoadFailed;

    async fn load(&self, keys: &[DecisionsOf]) -> Result<HashMap<DecisionsOf, Vec<DecisionRow>>, LoadFailed> {
        let mut found: HashMap<DecisionsOf, Vec<DecisionRow>> = HashMap::new();
        // Every lead of a page asks with the same `kind`: one statement per page.
        for (kind, ids) in grouped(keys, |k| k.kind.clone(), |k| k.subject_id) {
            let rows = decisions_about_many(&self.pool, &ids, kind.as_deref()).await.map_err(|e| failed(&e))?;
            for row in rows {
                found.entry(DecisionsOf { subject_id: row.subject_id, kind: kind.clone() }).or_default().push(row);
            }
        }
        Ok(found)
    }
}

impl Loader<AccountById> for ReadLoader {
    type Value = SenderAccountRow;
    type Error = LoadFailed;

    async fn load(&self, keys: &[AccountById]) -> Result<HashMap<AccountById, SenderAccountRow>, LoadFailed> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = sender_accounts(&self.pool, Some(&ids)).await.map_err(|e| failed(&e))?;
        Ok(rows.into_iter().map(|row| (AccountById(row.account_id), row)).collect())
    }
}

impl Loader<UsageOn> for ReadLoader {
    type Value = Vec<UsageRow>;
    type Error = LoadFailed;

    async fn load(&self, keys: &[UsageOn]) -> Result<HashMap<UsageOn, Vec<UsageRow>>, LoadFailed> {
        let mut found: HashMap<UsageOn, Vec<UsageRow>> = HashMap::new();
        for (day, ids) in grouped(keys, |k| k.day, |k| k.account_id) {
            for row in sender_usage(&self.pool, &ids, day).await.map_err(|e| failed(&e))? {
                found.entry(UsageOn { account_id: row.account_id, day }).or_default().push(row);
            }
        }
        Ok(found)
    }
}

fn loader<'a>(ctx: &Context<'a>) -> Result<&'a Loaders, ApiError> {
    ctx.data::<Loaders>().map_err(|e| ApiError::internal(&e.message))
}

/// The decisions about `subject_id` (of `kind`, if given), oldest first, batched per page.
pub(super) async fn decisions(
    ctx: &Context<'_>,
    subject_id: Uuid,
    kind: Option<String>,
) -> Result<Vec<DecisionRow>, ApiError> {
    Ok(loader(ctx)?.load_one(DecisionsOf { subject_id, kind }).await?.unwrap_or_default())
}

/// The sender account `id`, batched per page; `None` for an unknown id.
pub(super) async fn account(ctx: &Context<'_>, id: Uuid) -> Result<Option<SenderAccountRow>, ApiError> {
    Ok(loader(ctx)?.load_one(AccountById(id)).await?)
}

/// The usage rows of account `account_id` on `day`, batched per page.
pub(super) async fn usage(ctx: &Context<'_>, account_id: Uuid, day: NaiveDate) -> Result<Vec<UsageRow>, ApiError> {
    Ok(loader(ctx)?.load_one(UsageOn { account_id, day }).await?.unwrap_or_default())
}
