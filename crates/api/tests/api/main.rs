//! The API crate's tests: the GraphQL schema through `schema.execute` against real read models.

mod analytics;
mod dataloaders;
mod import;
mod mutations;
mod queries;
mod schema_file;
mod support;
