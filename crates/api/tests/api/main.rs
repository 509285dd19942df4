//! The API crate's tests: the GraphQL schema through `schema.execute` against real read models.

mod hub;
mod queries;
mod schema_file;
mod subscriptions;
