//! Shared by the API tests: running a query as someone, and catching the read models up.

use async_graphql::{Request, Variables};
use reachspark_api::auth::Principal;
use reachspark_api::graphql::ApiSchema;
use reachspark_projections::runner::{self, RunnerConfig, Step};
use reachspark_store::testing::settle;
use reachspark_store::Store;
use serde_json::Value;

/// The response to `query` with `variables`, as `viewer` (anonymous with `None`), as JSON.
pub(crate) async fn run(schema: &ApiSchema, viewer: Option<Principal>, query: &str, variables: Value) -> Value {
    let mut request = Request::new(query).variables(Variables::from_json(variables));
    if let Some(viewer) = viewer {
        request = request.data(viewer);
    }
    serde_json::to_value(schema.execute(request).await).expect("a response serialises")
}

/// Applies every committed event to every read model.
pub(crate) async fn project(store: &Store) {
    settle(store).await;
    let all = reachspark_projections::all();
    runner::ensure_ready(store, &all).await.expect("read models created");
    for p in &all {
        while runner::step(store, p.as_ref(), &RunnerConfig::default()).await.expect("events applied") != Step::Idle {}
    }
}
