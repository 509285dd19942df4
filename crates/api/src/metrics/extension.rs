//! The schema extension that times each GraphQL request, counts its errors by
//! `extensions.code`, and gives a code to the errors async-graphql raises itself.
//!
//! Errors from our resolvers carry a code already (`ApiError`). The ones without come from
//! async-graphql: the document does not parse or validate (depth and complexity limits
//! included), a variable or argument does not coerce, the operation name is unknown. All of
//! them are the client's input being wrong, so they get `VALIDATION`: every error a client
//! sees has a code.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextRequest,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerError, ServerResult, Value, Variables};
use metrics::histogram;

use super::{count_error, GRAPHQL_DURATION};
use crate::graphql::Code;

/// Register with `Schema::build(..).extension(GraphqlMetrics)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GraphqlMetrics;

impl ExtensionFactory for GraphqlMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestMetrics::default())
    }
}

/// One request's view: which operation it names, and what type that operation turned out to be.
#[derive(Default)]
struct RequestMetrics {
    operation_name: OnceLock<Option<String>>,
    operation_type: OnceLock<&'static str>,
}

#[async_trait::async_trait]
impl Extension for RequestMetrics {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let mut response = next.run(ctx).await;
        // A request that never parsed has no operation type.
        let operation = self.operation_type.get().copied().unwrap_or("invalid");
        histogram!(GRAPHQL_DURATION, "operation" => operation).record(started.elapsed().as_secs_f64());
        for error in &mut response.errors {
            count_error(&code_of(error));
        }
        response
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let _ = self.operation_name.set(request.operation_name.clone());
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let name = self.operation_name.get().and_then(Option::as_deref);
        let operation = match (&document.operations, name) {
            (DocumentOperations::Single(op), _) => Some(op),
            (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
            (DocumentOperations::Multiple(_), None) => None,
        };
        if let Some(op) = operation {
            let _ = self.operation_type.set(match op.node.ty {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            });
        }
        Ok(document)
    }
}

/// The type of the operation `request` runs (`query`, `mutation`, `subscription`), or
/// `invalid` when its document does not parse or names no operation it holds.
pub(crate) fn operation_type(request: &mut Request) -> &'static str {
    let name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else { return "invalid" };
    let operation = match (&document.operations, name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.map_or("invalid", |op| match op.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    })
}

/// What [`GraphqlMetrics`] records for a request run without it: its time by operation type,
/// and its errors by code (giving `VALIDATION` to those without one).
pub(crate) fn record_http_graphql(operation: &'static str, took: std::time::Duration, response: &mut Response) {
    histogram!(GRAPHQL_DURATION, "operation" => operation).record(took.as_secs_f64());
    for error in &mut response.errors {
        count_error(&code_of(error));
    }
}

/// The error's code, after giving one (`VALIDATION`) to an error that had none.
fn code_of(error: &mut ServerError) -> String {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    match extensions.get("code") {
        Some(Value::String(code)) => code.clone(),
        _ => {
            extensions.set("code", Code::Validation.as_str());
            Code::Validation.as_str().to_owned()
        }
    }
}
