//! `lead` and `leads`: the seed sheet as a Relay connection, personal data masked without the
//! `pii` scope.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Enum, InputObject, Object, ScalarType, Value, ID};
use chrono::{DateTime, Utc};
use reachspark_projections::queries::{self, LeadColumns, LeadCursor, LeadFilter, LeadOrder, LeadRow};
use reachspark_store::Store;
use uuid::Uuid;

use super::analytics::SenderAccount;
use super::audit::Decision;
use super::fast::{Fast, ScalarFields};
use super::{loaders, ApiError, Code, MAX_PAGE};
use crate::auth::{Permission, Principal};

/// The verified caller, if it may do `permission`: `UNAUTHENTICATED` without a token,
/// `FORBIDDEN` when its role may not.
pub(super) fn allowed<'a>(ctx: &Context<'a>, permission: Permission) -> Result<&'a Principal, ApiError> {
    let principal = ctx
        .data_opt::<Principal>()
        .ok_or_else(|| ApiError::new(Code::Unauthenticated, "a valid bearer token is required"))?;
    if principal.allows(permission) {
        Ok(principal)
    } else {
        Err(ApiError::new(Code::Forbidden, format!("the {} role may not do this", principal.role.as_str())))
    }
}

pub(super) fn store<'a>(ctx: &Context<'a>) -> Result<&'a Store, ApiError> {
    ctx.data::<Store>().map_err(|e| ApiError::internal(&e.message))
}

pub(super) fn parse_id(field: &str, id: &ID) -> Result<Uuid, ApiError> {
    id.parse::<Uuid>().map_err(|_| ApiError::validation(field, "not a UUID"))
}

/// A lead, as in the seed sheet.
pub(super) struct Lead {
    row: LeadRow,
    pii: bool,
}

impl Lead {
    /// The row as a caller sees it: personal data masked unless `pii`.
    pub(super) fn new(row: LeadRow, pii: bool) -> Self {
        Self { row, pii }
    }

    fn personal(&self, value: &Option<String>) -> Option<String> {
        if self.pii {
            value.clone()
        } else {
            value.as_ref().map(|_| "***".to_owned())
        }
    }
}

/// The columns of a lead, answered in place on a page (see [`Fast`]); each arm gives what the
/// field's resolver below gives (`graphql::fast::tests` compares the two).
impl ScalarFields for Lead {
    fn scalar_field(&self, name: &str) -> Option<Value> {
        fn text(value: Option<&str>) -> Value {
            value.map_or(Value::Null, |v| Value::String(v.to_owned()))
        }
        // As `personal`, without its intermediate copy.
        let personal = |value: &Option<String>| match value {
            Some(_) if !self.pii => Value::String("***".to_owned()),
            value => text(value.as_deref()),
        };
        fn id(value: Option<Uuid>) -> Value {
            value.map_or(Value::Null, |v| Value::String(v.to_string()))
        }
        fn time(value: Option<DateTime<Utc>>) -> Value {
            value.map_or(Value::Null, |v| ScalarType::to_value(&v))
        }
        let row = &self.row;
        Some(match name {
            "id" => id(Some(row.lead_id)),
            "name" => personal(&row.name),
            "position" => text(row.position.as_deref()),
            "company" => text(row.company.as_deref()),
            "linkedinUrl" => personal(&row.linkedin_url),
            "email" => personal(&row.email),
            "classification" => text(row.classification.as_deref()),
            "qualityScore" => row.quality_score.map_or(Value::Null, Value::from),
            "contactStatus" => Value::String(row.contact_status.clone()),
            "lastContacted" => time(row.last_contacted),
            "messageSent" => personal(&row.message_sent),
            "response" => personal(&row.response),
            "responseSentiment" => text(row.response_sentiment.as_deref()),
            "responseIntent" => text(row.response_intent.as_deref()),
            "assignedTo" => id(row.assigned_to),
            "notes" => personal(&row.notes),
            "campaignId" => id(row.campaign_id),
            "source" => text(row.source.as_deref()),
            "optedOut" => Value::Boolean(row.opted_out),
            "erased" => Value::Boolean(row.erased),
            "version" => Value::from(row.stream_version),
            "updatedAt" => time(row.updated_at),
            _ => return None,
        })
    }
}

#[Object]
impl Lead {
    /// Lead ID.
    async fn id(&self) -> ID {
        ID(self.row.lead_id.to_string())
    }
    /// Name (personal data: masked as `***` without the `pii` scope; null once erased).
    async fn name(&self) -> Option<String> {
        self.personal(&self.row.name)
    }
    async fn position(&self) -> Option<&str> {
        self.row.position.as_deref()
    }
    async fn company(&self) -> Option<&str> {
        self.row.company.as_deref()
    }
    /// LinkedIn URL (personal data).
    async fn linkedin_url(&self) -> Option<String> {
        self.personal(&self.row.linkedin_url)
    }
    /// Email (personal data).
    async fn email(&self) -> Option<String> {
        self.personal(&self.row.email)
    }
    /// Speaker, Sponsor or Other.
    async fn classification(&self) -> Option<&str> {
        self.row.classification.as_deref()
    }
    /// 1–10.
    async fn quality_score(&self) -> Option<i16> {
        self.row.quality_score
    }
    async fn contact_status(&self) -> &str {
        &self.row.contact_status
    }
    async fn last_contacted(&self) -> Option<DateTime<Utc>> {
        self.row.last_contacted
    }
    /// The last message sent (personal data).
    async fn message_sent(&self) -> Option<String> {
        self.personal(&self.row.message_sent)
    }
    /// The last reply (personal data).
    async fn response(&self) -> Option<String> {
        self.personal(&self.row.response)
    }
    async fn response_sentiment(&self) -> Option<&str> {
        self.row.response_sentiment.as_deref()
    }
    async fn response_intent(&self) -> Option<&str> {
        self.row.response_intent.as_deref()
    }
    /// The sender account.
    async fn assigned_to(&self) -> Option<ID> {
        self.row.assigned_to.map(|id| ID(id.to_string()))
    }
    /// The last note (personal data).
    async fn notes(&self) -> Option<String> {
        self.personal(&self.row.notes)
    }
    async fn campaign_id(&self) -> Option<ID> {
        self.row.campaign_id.map(|id| ID(id.to_string()))
    }
    async fn source(&self) -> Option<&str> {
        self.row.source.as_deref()
    }
    async fn opted_out(&self) -> bool {
        self.row.opted_out
    }
    async fn erased(&self) -> bool {
        self.row.erased
    }
    /// The lead's stream version (for `expectedVersion` on commands).
    async fn version(&self) -> i64 {
        self.row.stream_version
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.row.updated_at
    }
    /// The decisions about this lead (of `kind`, if given), oldest first. Loaded for a whole
    /// page at once.
    async fn decisions(&self, ctx: &Context<'_>, kind: Option<String>) -> async_graphql::Result<Vec<Fast<Decision>>> {
        allowed(ctx, Permission::ReadDecisions)?;
        let rows = loaders::decisions(ctx, self.row.lead_id, kind).await?;
        Ok(rows.into_iter().map(|row| Fast(Decision::from(row))).collect())
    }
    /// The sender account it is assigned to. Loaded for a whole page at once.
    async fn assigned_account(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SenderAccount>> {
        let Some(id) = self.row.assigned_to else { return Ok(None) };
        Ok(loaders::account(ctx, id).await?.map(SenderAccount))
    }
}

/// Which leads to list.
#[derive(InputObject, Default)]
pub(super) struct LeadsFilter {
    contact_status: Option<String>,
    classification: Option<String>,
    min_score: Option<i16>,
    max_score: Option<i16>,
    campaign_id: Option<ID>,
    assigned_to: Option<ID>,
    /// Matches company or position, case-insensitively.
    text: Option<String>,
}

/// The order of `leads`.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub(super) enum LeadsOrder {
    /// Most recently changed first.
    #[default]
    RecentlyUpdated,
    /// Highest score first.
    QualityScore,
}

/// `Lead`'s fields that show an optional text column, and the column.
const TEXT_FIELDS: [(&str, &str); 12] = [
    ("name", "name"),
    ("position", "position"),
    ("company", "company"),
    ("linkedinUrl", "linkedin_url"),
    ("email", "email"),
    ("classification", "classification"),
    ("messageSent", "message_sent"),
    ("response", "response"),
    ("responseSentiment", "response_sentiment"),
    ("responseIntent", "response_intent"),
    ("notes", "notes"),
    ("source", "source"),
];

/// The text columns the query's `edges { node { ... } }` selects (fragments included).
fn selected_columns(ctx: &Context<'_>) -> LeadColumns {
    let node = ctx.look_ahead().field("edges").field("node");
    TEXT_FIELDS
        .iter()
        .filter(|(field, _)| node.field(field).exists())
        .fold(LeadColumns::NONE, |columns, (_, column)| columns.with(column))
}

fn encode(cursor: LeadCursor) -> String {
    format!("{}:{}", cursor.key, cursor.lead_id)
}

fn decode(cursor: &str) -> Result<LeadCursor, ApiError> {
    let bad = || ApiError::validation("after", "not a cursor returned by this connection");
    let (key, id) = cursor.split_once(':').ok_or_else(bad)?;
    Ok(LeadCursor { key: key.parse().map_err(|_| bad())?, lead_id: id.parse().map_err(|_| bad())? })
}

/// A page of leads: the Relay connection async-graphql's `Connection` would make, with edges
/// and leads resolved in place ([`Fast`]): a page of 50 is 700 fields.
pub(super) struct LeadConnection {
    page_info: PageInfo,
    edges: Vec<Fast<LeadEdge>>,
}

#[Object]
impl LeadConnection {
    /// Information to aid in pagination.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// A list of edges.
    async fn edges(&self) -> &[Fast<LeadEdge>] {
        &self.edges
    }
    /// A list of nodes.
    async fn nodes(&self) -> Vec<&Fast<Lead>> {
        self.edges.iter().map(|edge| &edge.0.node).collect()
    }
}

/// One lead of a page and its cursor.
pub(super) struct LeadEdge {
    cursor: String,
    node: Fast<Lead>,
}

/// An edge in a connection.
#[Object]
impl LeadEdge {
    /// The item at the end of the edge
    async fn node(&self) -> &Fast<Lead> {
        &self.node
    }
    /// A cursor for use in pagination
    async fn cursor(&self) -> &str {
        &self.cursor
    }
}

impl ScalarFields for LeadEdge {
    fn scalar_field(&self, name: &str) -> Option<Value> {
        (name == "cursor").then(|| Value::String(self.cursor.clone()))
    }
}

#[derive(Default, Debug)]
pub(super) struct LeadQuery;

#[Object]
impl LeadQuery {
    /// One lead by id.
    async fn lead(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Lead>> {
        let viewer = allowed(ctx, Permission::ReadLeads)?;
        let pii = viewer.allows(Permission::ReadPersonalData);
        let row = queries::lead(store(ctx)?.pool(), parse_id("id", &id)?).await.map_err(ApiError::from)?;
        Ok(row.map(|row| Lead { row, pii }))
    }

    /// Leads, filtered and ordered, a page at a time (`first` at most 100).
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<LeadsFilter>,
        order_by: Option<LeadsOrder>,
    ) -> async_graphql::Result<LeadConnection> {
        let viewer = allowed(ctx, Permission::ReadLeads)?;
        let pii = viewer.allows(Permission::ReadPersonalData);
        let first = first.unwrap_or(20);
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(ApiError::validation("first", "must be between 1 and 100").into());
        }
        let filter = filter.unwrap_or_default();
        let order = match order_by.unwrap_or_default() {
            LeadsOrder::RecentlyUpdated => LeadOrder::RecentlyUpdated,
            LeadsOrder::QualityScore => LeadOrder::QualityScore,
        };
        let query_filter = LeadFilter {
            contact_status: filter.contact_status,
            classification: filter.classification,
            min_score: filter.min_score,
            max_score: filter.max_score,
            campaign_id: filter.campaign_id.as_ref().map(|id| parse_id("filter.campaignId", id)).transpose()?,
            assigned_to: filter.assigned_to.as_ref().map(|id| parse_id("filter.assignedTo", id)).transpose()?,
            text: filter.text,
        };
        let after = after.as_deref().map(decode).transpose()?;
        let columns = selected_columns(ctx);
        let mut rows =
            queries::leads_with(store(ctx)?.pool(), &query_filter, order, after, i64::from(first) + 1, columns)
                .await
                .map_err(ApiError::from)?;
        let has_next = rows.len() > usize::try_from(first).unwrap_or(0);
        rows.truncate(usize::try_from(first).unwrap_or(0));
        let edges: Vec<Fast<LeadEdge>> = rows
            .into_iter()
            .map(|row| Fast(LeadEdge { cursor: encode(order.cursor(&row)), node: Fast(Lead { row, pii }) }))
            .collect();
        let page_info = PageInfo {
            has_previous_page: after.is_some(),
            has_next_page: has_next,
            start_cursor: edges.first().map(|edge| edge.0.cursor.clone()),
            end_cursor: edges.last().map(|edge| edge.0.cursor.clone()),
        };
        let connection = LeadConnection { page_info, edges };
        Ok(connection)
    }
}
