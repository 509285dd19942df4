//! The API crate's tests: the GraphQL schema through `schema.execute` against real read models.

mod import;
mod mutations;
mod queries;
mod schema_file;
