//! The event store's guarantees, each proven against a real PostgreSQL (a fresh database per
//! test: `DATABASE_URL` when set, else an embedded cluster).

mod append_only;
mod commands;
mod concurrency;
mod format;
mod gap_free;
mod idempotency;
mod identity;
mod integrity;
mod notify;
mod shredding;
mod support;
mod upcasting;
