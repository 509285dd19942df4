//! `reachspark audit verify | checkpoint`.

use std::process::ExitCode;

use crate::config::AuditCommand;
use crate::database::Database;

pub(crate) async fn run(database: &Database, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let store = database.store().await?;
    match command {
        AuditCommand::Verify { json } => {
            let report = store.verify().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "checked {} events in {} streams and {} checkpoints",
                    report.events, report.streams, report.checkpoints
                );
                for problem in &report.problems {
                    println!("PROBLEM {:?}: {}", problem.kind, problem.detail);
                }
                println!(
                    "{}",
                    if report.is_intact() { "OK: the log is intact" } else { "FAILED: the log was altered" }
                );
            }
            Ok(if report.is_intact() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        AuditCommand::Checkpoint => {
            match store.checkpoint().await? {
                Some(cp) => {
                    println!("checkpoint {} covers {} new events up to {}", cp.checkpoint_id, cp.event_count, cp.upto)
                }
                None => println!("nothing appended since the last checkpoint"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
