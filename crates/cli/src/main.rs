//! `reachspark`: the composition root. Parses configuration, sets up telemetry, opens the
//! database (embedded by default), and runs one subcommand. Every other crate is a library
//! wired together here; nothing depends on this crate.

#![expect(clippy::print_stdout, reason = "a CLI prints its reports on stdout; logs go to stderr")]

mod agents;
mod audit;
mod bench;
mod config;
mod database;
mod demo;
mod projections;
mod serve;
mod telemetry;
mod token;

use std::process::ExitCode;

use clap::Parser;

use crate::config::{Cli, Command};

/// The event and read-model paths allocate many small JSON values; mimalloc makes that
/// markedly cheaper than glibc's allocator (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    match run(cli).await {
        Ok(code) => code,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "reachspark failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = match cli.command.unwrap_or_default() {
        // Minting a token needs the secret only, not the database.
        Command::Token(cmd) => return token::run(cmd),
        // The agents reach the system through its API only: no database of their own.
        Command::Agents(args) => {
            return agents::run(args, serve::shutdown_signal()).await.map(|()| ExitCode::SUCCESS);
        }
        command => command,
    };
    let database = database::open(&cli.database).await?;
    let outcome = match command {
        Command::Serve(args) => {
            serve::run(&database, &args, serve::shutdown_signal()).await.map(|()| ExitCode::SUCCESS)
        }
        Command::Migrate => database.store().await.map(|_| {
            tracing::info!("migrations applied");
            ExitCode::SUCCESS
        }),
        Command::Audit(cmd) => audit::run(&database, cmd).await,
        Command::Projections(cmd) => projections::run(&database, cmd).await,
        Command::Bench(cmd) => bench::run(&database, cmd).await.map(|()| ExitCode::SUCCESS),
        Command::Demo(args) => demo::run(&database, &args).await,
        Command::Token(_) | Command::Agents(_) => unreachable!("handled before the database opens"),
    };
    database.close().await;
    outcome
}
