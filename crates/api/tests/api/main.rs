//! The API crate's tests: the GraphQL schema through `schema.execute` against real read models.

mod leads_page;
mod queries;
mod schema_file;
