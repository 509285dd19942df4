//! The server under test as a child process (`reachspark serve`), so that the memory and CPU
//! time measured are the server's alone, not the load generator's.

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub(super) struct Server {
    child: Child,
    pid: i32,
    /// `host:port` it listens on.
    pub(super) address: String,
}

/// Resident and peak resident memory, in MiB.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Memory {
    pub(super) rss: f64,
    pub(super) peak: f64,
}

impl Server {
    /// Starts `serve` on a free port against `database_url`, and waits until it listens.
    pub(super) async fn spawn(database_url: &str, master_key: &str, jwt_secret: &str) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the reachspark binary")?;
        let mut child = Command::new(exe)
            .args(["serve", "--listen", "127.0.0.1:0", "--checkpoint-secs", "0"])
            .env("DATABASE_URL", database_url)
            .env("REACHSPARK_MASTER_KEY", master_key)
            .env("REACHSPARK_JWT_SECRET", jwt_secret)
            // Thousands of sockets open from one address: the limiter still runs, but must not
            // throttle the load the bench itself makes.
            .env("REACHSPARK_RATE_LIMIT_PER_SEC", "10000000")
            .env("REACHSPARK_RATE_LIMIT_BURST", "10000000")
            .env_remove("REACHSPARK_JWT_PUBLIC_KEY_PEM")
            .env("REACHSPARK_LOG_FORMAT", "json")
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting reachspark serve")?;
        let pid = i32::try_from(child.id().context("the server exited at once")?).context("pid")?;
        let mut lines = BufReader::new(child.stderr.take().context("piped stderr")?).lines();
        let address = tokio::time::timeout(Duration::from_secs(120), async {
            while let Some(line) = lines.next_line().await? {
                let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
                if entry["message"] == "listening" {
                    return Ok(entry["address"].as_str().context("address field")?.to_owned());
                }
            }
            anyhow::bail!("the server exited before listening")
        })
        .await
        .context("the server did not listen within two minutes")??;
        // Keep draining its log so it never blocks on a full pipe; pass warnings and errors on.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("\"level\":\"WARN\"") || line.contains("\"level\":\"ERROR\"") {
                    tracing::warn!(server_log = %line, "from the server under test");
                }
            }
        });
        Ok(Self { child, pid, address })
    }

    /// Its memory now (VmRSS) and at its peak so far (VmHWM).
    pub(super) fn memory(&self) -> anyhow::Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).context("reading /proc status")?;
        let field = |name: &str| -> f64 {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<f64>().ok())
                .map_or(0.0, |kib| kib / 1024.0)
        };
        Ok(Memory { rss: field("VmRSS:"), peak: field("VmHWM:") })
    }

    /// CPU seconds it has used (user + system).
    pub(super) fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).context("reading /proc stat")?;
        // Fields after the command name, which ends at the last ')': state is the first, then
        // utime and stime are the 12th and 13th (clock ticks of 1/100 s on Linux).
        let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        Ok((ticks(11) + ticks(12)) / 100.0)
    }

    /// SIGTERM, then waits for it to exit.
    pub(super) async fn stop(mut self) -> anyhow::Result<()> {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid), nix::sys::signal::Signal::SIGTERM)
            .context("signalling the server")?;
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .context("the server did not stop within 30 s")??;
        anyhow::ensure!(status.success(), "the server exited with {status}");
        Ok(())
    }
}
