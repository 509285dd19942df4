//! CPU time per request, from /proc: the server process (all its threads) and the PostgreSQL
//! backends serving it (found by `application_name`). On a shared, noisy machine requests/s
//! depend on what else runs; the CPU each request costs much less so.

use std::collections::HashMap;
use std::time::Duration;

use sqlx::PgPool;

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux).
fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .filter(|&hz: &u64| hz > 0)
        .unwrap_or(100)
}

/// User plus system time of a process so far; `None` when it is not on this machine.
fn process_cpu(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its ')' are fixed.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let (utime, stime) = (fields.get(11)?.parse::<u64>().ok()?, fields.get(12)?.parse::<u64>().ok()?);
    Some(utime + stime)
}

/// A snapshot of the CPU used so far by one server and its database backends.
#[derive(Debug)]
pub(super) struct CpuMark {
    server: Option<u64>,
    backends: HashMap<u32, u64>,
}

/// CPU per request over a run, in microseconds; `None` where /proc could not tell.
#[derive(Debug, Clone, Copy)]
pub(super) struct CpuCost {
    pub(super) server_us: Option<f64>,
    pub(super) database_us: Option<f64>,
}

/// Reads marks for one server process and the backends it holds open.
#[derive(Debug)]
pub(super) struct CpuMeter {
    pid: Option<u32>,
    application: &'static str,
    hz: u64,
}

impl CpuMeter {
    pub(super) fn new(pid: Option<u32>, application: &'static str) -> Self {
        Self { pid, application, hz: ticks_per_second() }
    }

    pub(super) async fn mark(&self, pool: &PgPool) -> CpuMark {
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
        )
        .bind(self.application)
        .fetch_all(pool)
        .await
        .unwrap_or_default();
        let backends = pids
            .into_iter()
            .filter_map(|pid| u32::try_from(pid).ok())
            .filter_map(|pid| process_cpu(pid).map(|cpu| (pid, cpu)))
            .collect();
        CpuMark { server: self.pid.and_then(process_cpu), backends }
    }

    /// The cost per request between two marks. Backends that appeared in between count whole;
    /// ones that went away are lost (both pools keep their connections open, so they are rare).
    #[expect(clippy::cast_precision_loss, reason = "tick and request counts are far below 2^52")]
    pub(super) fn cost(&self, start: &CpuMark, end: &CpuMark, requests: u64) -> CpuCost {
        let per_request = |ticks: u64| {
            let cpu = Duration::from_secs_f64(ticks as f64 / self.hz as f64);
            cpu.as_secs_f64() * 1e6 / requests.max(1) as f64
        };
        let server = start.server.zip(end.server).map(|(a, b)| per_request(b.saturating_sub(a)));
        let database = (!end.backends.is_empty()).then(|| {
            let ticks =
                end.backends.iter().map(|(pid, &cpu)| cpu.saturating_sub(*start.backends.get(pid).unwrap_or(&0)));
            per_request(ticks.sum())
        });
        CpuCost { server_us: server, database_us: database }
    }
}
