//! The read models, each proven against a real PostgreSQL (a fresh database per test) with
//! events written by real domain commands.

mod support;

mod agent_activity;
mod agent_errors;

mod pipeline_daily;
mod sender_usage;
mod template_performance;

mod as_of;
mod erasure;
mod fixtures;
mod randomized;
mod rebuild;
mod runner;
