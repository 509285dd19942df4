//! The API crate's tests: the GraphQL schema through `schema.execute` against real read models,
//! and the HTTP surface (spec conformance, limits, tampered tokens, metrics) through
//! `router.oneshot`.

mod harness;
mod http_spec;
mod internal;
mod limits;
mod metrics;
mod queries;
mod schema_file;
mod tampered;
