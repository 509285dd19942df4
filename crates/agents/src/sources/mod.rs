//! Where the Lead Finder finds people beyond the sandbox. CSV imports are parsed by the API's
//! `importLeads` mutation, so only the web source lives here.

pub mod web;
