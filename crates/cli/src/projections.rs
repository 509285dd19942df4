//! `reachspark projections status | rebuild [NAME] | resume NAME`.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use reachspark_projections::rebuild::{rebuild, Progress};
use reachspark_projections::{runner, status, Projection};

use crate::config::ProjectionsCommand;
use crate::database::Database;

pub(crate) async fn run(database: &Database, command: ProjectionsCommand) -> anyhow::Result<ExitCode> {
    let store = database.store().await?;
    let all = reachspark_projections::all();
    runner::ensure_ready(&store, &all).await?;
    match command {
        ProjectionsCommand::Status { json } => {
            let statuses = status::status(&store).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&statuses)?);
            } else {
                println!("{:<22} {:>12} {:>10} {:>10}  state", "projection", "position", "applied", "lag");
                for s in &statuses {
                    println!(
                        "{:<22} {:>12} {:>10} {:>10}  {}",
                        s.name, s.position.global_position, s.events_applied, s.lag, s.state
                    );
                    if let (Some(event), Some(error)) = (s.failed_event_id, &s.error) {
                        println!(
                            "    stopped at event {event} (position {}): {error}",
                            s.failed_position.unwrap_or_default()
                        );
                    }
                }
            }
            let failed = statuses.iter().any(|s| s.state == "failed");
            Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        ProjectionsCommand::Rebuild { name, batch } => {
            let chosen: Vec<Arc<dyn Projection>> = match &name {
                Some(name) => vec![all
                    .iter()
                    .find(|p| p.name() == name)
                    .cloned()
                    .with_context(|| format!("no projection named {name}; see `reachspark projections status`"))?],
                None => all,
            };
            let report = rebuild(&store, &chosen, batch, reporter()).await?;
            let secs = report.elapsed.as_secs_f64().max(f64::EPSILON);
            println!(
                "rebuilt {} from {} events in {:.1} s ({:.0} events/s)",
                report.projections.join(", "),
                report.events,
                secs,
                precise(report.events) / secs
            );
            Ok(ExitCode::SUCCESS)
        }
        ProjectionsCommand::Resume { name } => {
            runner::resume(&store, &name).await?;
            println!("{name} will retry the event it stopped on");
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[expect(clippy::cast_precision_loss, reason = "event counts are far below 2^52")]
fn precise(n: u64) -> f64 {
    n as f64
}

/// A progress bar on a terminal (events done, events/s, time left); log lines otherwise.
fn reporter() -> impl FnMut(Progress) + Send {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} events  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let mut last_log = Duration::ZERO;
    move |p: Progress| match &bar {
        Some(bar) => {
            bar.set_length(p.total.max(p.done));
            bar.set_position(p.done);
            if p.done >= p.total {
                bar.finish();
            }
        }
        None => {
            if p.elapsed >= last_log + Duration::from_secs(2) || p.done >= p.total {
                last_log = p.elapsed;
                let rate = precise(p.done) / p.elapsed.as_secs_f64().max(f64::EPSILON);
                let left = precise(p.total.saturating_sub(p.done)) / rate.max(1.0);
                tracing::info!(
                    done = p.done,
                    total = p.total,
                    events_per_sec = rate.round(),
                    seconds_left = left.round(),
                    "rebuilding"
                );
            }
        }
    }
}
