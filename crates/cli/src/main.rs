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
    let batch = matches!(cli.command, Some(Command::Projections(_) | Command::Bench(_)));
    telemetry::init(cli.log_format, batch);
    match run(cli).await {
        Ok(code) => code,
        Err(err) => {
            tracing::error!(error = describe(&err), "reachspark failed");
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, joined with ": ", each said once: most of our errors already quote
/// their source in their own message ("store: {0}"), which `{:#}` would then repeat.
fn describe(err: &anyhow::Error) -> String {
    let mut said = String::new();
    for cause in err.chain() {
        let message = cause.to_string();
        if said.contains(&message) {
            continue;
        }
        if !said.is_empty() {
            said.push_str(": ");
        }
        said.push_str(&message);
    }
    said
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

#[cfg(test)]
mod tests {
    use super::describe;

    #[derive(Debug, thiserror::Error)]
    #[error("store: {0}")]
    struct Quoting(#[from] std::io::Error);

    #[test]
    fn each_cause_is_said_once() {
        let quoting = anyhow::Error::from(Quoting(std::io::Error::other("wrong key")));
        assert_eq!(describe(&quoting), "store: wrong key");
        // A context says only its own words: its cause follows.
        let context = quoting.context("opening the store");
        assert_eq!(describe(&context), "opening the store: store: wrong key");
        let plain = anyhow::Error::from(std::io::Error::other("refused")).context("connecting to PostgreSQL");
        assert_eq!(describe(&plain), "connecting to PostgreSQL: refused");
    }
}
