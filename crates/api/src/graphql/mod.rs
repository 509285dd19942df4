//! The GraphQL schema: queries over the read models and the log. Mutations and subscriptions
//! are not built yet (issue 4).

mod audit;
mod documents;
mod error;
mod events;
mod leads;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema};
use reachspark_store::Store;

pub use documents::DocumentCache;
pub use error::{ApiError, Code};

/// The most rows one connection field returns per page.
pub const MAX_PAGE: i32 = 100;

/// Every query, merged from one object per concern.
#[derive(MergedObject, Default, Debug)]
pub struct QueryRoot(leads::LeadQuery, audit::AuditQuery, events::EventQuery);

/// The API's schema type.
pub type ApiSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// The schema over `store`, with depth and complexity limits against hostile queries.
pub fn schema(store: Store) -> ApiSchema {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .data(store)
        .limit_depth(12)
        .limit_complexity(5_000)
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription).finish().sdl()
}
