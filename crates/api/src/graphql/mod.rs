//! The GraphQL schema: queries over the read models and the log. Mutations and subscriptions
//! are not built yet (issue 4).

mod audit;
mod error;
mod events;
mod leads;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema};
use reachspark_store::Store;

pub use error::{ApiError, Code};

/// The most rows one connection field returns per page.
pub const MAX_PAGE: i32 = 100;

/// Every query, merged from one object per concern.
#[derive(MergedObject, Default, Debug)]
pub struct QueryRoot(leads::LeadQuery, audit::AuditQuery, events::EventQuery);

/// The API's schema type.
pub type ApiSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// The deepest selection a query may nest.
pub const MAX_DEPTH: usize = 12;
/// The most a query may cost: each field 1, a connection field its page size times its
/// selection (so `first` counts).
pub const MAX_COMPLEXITY: usize = 5_000;

/// The schema over `store`, with depth and complexity limits against hostile queries, and
/// metrics (latency, errors by code; every error gets a code).
pub fn schema(store: Store) -> ApiSchema {
    crate::metrics::handle();
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .data(store)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(crate::metrics::GraphqlMetrics)
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription).finish().sdl()
}
