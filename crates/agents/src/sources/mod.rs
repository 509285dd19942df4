//! Where the Lead Finder finds people. CSV imports are parsed by the API's `importLeads`
//! mutation; the web source reads speaker and team pages; the sandbox source walks the
//! synthetic world.

pub mod sandbox;
pub mod web;
