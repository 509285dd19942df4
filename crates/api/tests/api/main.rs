//! The API crate's tests: the GraphQL schema through `schema.execute` against real read models,
//! and the HTTP surface (spec conformance, limits, tampered tokens, metrics) through
//! `router.oneshot`.

mod analytics;
mod dataloaders;
mod harness;
mod http_spec;
mod hub;
mod import;
mod internal;
mod leads_page;
mod limits;
mod metrics;
mod mutations;
mod queries;
mod schema_file;
mod subscriptions;
mod support;
mod tampered;
