//! End-to-end: the `reachspark` binary as a newcomer runs it, against a fresh database
//! (`DATABASE_URL` when set, else an embedded cluster), over a real socket.

mod agents;
mod agents_run;
mod audit;
mod demo;
mod embedded;
mod graphql;
mod http;
mod projections;
mod sales_manager;
mod serve;
mod subscriptions;
mod support;
mod ws;
