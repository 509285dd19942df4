//! `reachspark bench ...`: measurements taken side by side with a baseline in the same run,
//! reported as medians over rounds. Each bench runs in a scratch database it drops afterwards.

mod api;
mod append;
mod mutations;
mod projections;
mod scratch;
mod seed;
mod server;
mod subscribers;
mod subscriptions;

use crate::config::BenchCommand;
use crate::database::Database;

pub(crate) async fn run(database: &Database, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Append(args) => append::run(database, args).await,
        BenchCommand::Projections(args) => projections::run(database, args).await,
        BenchCommand::Api(args) => api::run(database, args).await,
        BenchCommand::Subscriptions(args) => subscriptions::run(database, args).await,
        BenchCommand::Mutations(args) => mutations::run(database, args).await,
    }
}

/// The median of a non-empty list.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}
