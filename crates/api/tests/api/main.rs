//! The API crate's tests: the GraphQL schema through `schema.execute` against real read models.

mod leads_order;
mod queries;
mod schema_file;
