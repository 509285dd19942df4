//! The GraphQL schema: queries over the read models and the log, mutations that are the
//! domain's commands, and subscriptions fed by the [`Hub`](crate::hub::Hub).

mod analytics;
mod audit;
mod documents;
mod error;
mod events;
mod fast;
mod leads;
mod loaders;
mod mutations;
mod subscriptions;

use std::sync::Arc;

use async_graphql::{MergedObject, Schema};
use reachspark_store::Store;

pub use documents::DocumentCache;
pub use error::{ApiError, Code};
pub use mutations::MutationRoot;
pub use subscriptions::SubscriptionRoot;

use crate::clock::{SharedClock, SystemClock};

/// The most rows one connection field returns per page.
pub const MAX_PAGE: i32 = 100;

/// Every query, merged from one object per concern.
#[derive(MergedObject, Default, Debug)]
pub struct QueryRoot(leads::LeadQuery, audit::AuditQuery, events::EventQuery, analytics::AnalyticsQuery);

/// The API's schema type.
pub type ApiSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The deepest selection a query may nest.
pub const MAX_DEPTH: usize = 12;
/// The most a query may cost: each field 1, a connection field its page size times its
/// selection (so `first` counts).
pub const MAX_COMPLEXITY: usize = 5_000;

/// The schema over `store` on the wall clock, with depth and complexity limits against
/// hostile queries, and metrics (latency, errors by code; every error gets a code).
pub fn schema(store: Store) -> ApiSchema {
    schema_with_clock(store, Arc::new(SystemClock))
}

/// The schema over `store`, taking commands' times from `clock`, with the metrics extension
/// (request time and error codes): the schema subscriptions run on.
pub fn schema_with_clock(store: Store, clock: SharedClock) -> ApiSchema {
    builder(store, clock).extension(crate::metrics::GraphqlMetrics).finish()
}

/// The same schema without any extension, for plain HTTP requests, whose handler records the
/// same metrics itself ([`crate::metrics::record_http_graphql`]). With any extension present,
/// async-graphql routes every field through the extension chain: ~40 % more CPU for a page of
/// 50 leads (docs/BENCHMARKS.md).
pub fn http_schema(store: Store, clock: SharedClock) -> ApiSchema {
    builder(store, clock).finish()
}

fn builder(
    store: Store,
    clock: SharedClock,
) -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    crate::metrics::handle();
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
        .data(loaders::loaders(store.pool().clone()))
        .data(crate::hub::Hub::new(store.clone()))
        .data(store)
        .data(clock)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default()).finish().sdl()
}
