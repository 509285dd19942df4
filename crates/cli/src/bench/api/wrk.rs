//! The load generator: `wrk` (Debian's package) with a Lua script that sends one of a list of
//! prepared GraphQL bodies at random per request, counts answers that are not a clean 200 (a
//! GraphQL `errors` member included), and prints its figures as one JSON line at the end.
//! Both servers get the same script, the same bodies in the same random order and the same load.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

const SCRIPT: &str = r#"-- written by `reachspark bench api`
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
failures = 0
local prepared = {}
function init(args)
  math.randomseed(id * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local auth = os.getenv("BENCH_AUTHORIZATION")
  if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
  for line in io.lines(args[1]) do prepared[#prepared + 1] = wrk.format(nil, nil, nil, line) end
end
function request()
  return prepared[math.random(#prepared)]
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then failures = failures + 1 end
end
function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("failures") end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"socket_errors":%d,"failed":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.timeout, failed,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"#;

/// One load run's figures.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(super) struct LoadResult {
    requests: u64,
    duration_us: u64,
    bytes: u64,
    socket_errors: u64,
    failed: u64,
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
}

impl LoadResult {
    /// Requests per second.
    #[expect(clippy::cast_precision_loss, reason = "request counts are far below 2^52")]
    pub(super) fn rps(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }

    /// Requests answered.
    pub(super) fn requests(&self) -> u64 {
        self.requests
    }

    /// Median latency in milliseconds.
    pub(super) fn p50_ms(&self) -> f64 {
        ms(self.p50_us)
    }

    /// 99th percentile latency in milliseconds.
    pub(super) fn p99_ms(&self) -> f64 {
        ms(self.p99_us)
    }

    /// Why this run does not count, if it does not: any socket error or failed answer.
    pub(super) fn problem(&self) -> Option<String> {
        (self.socket_errors > 0 || self.failed > 0 || self.requests == 0).then(|| {
            format!(
                "{} of {} answers failed, {} socket errors (max latency {:.1} ms, {} bytes read)",
                self.failed,
                self.requests,
                self.socket_errors,
                ms(self.max_us),
                self.bytes
            )
        })
    }
}

#[expect(clippy::cast_precision_loss, reason = "microseconds to milliseconds for display")]
fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// `wrk` with the script written once into a private directory.
#[derive(Debug)]
pub(super) struct Wrk {
    script: PathBuf,
    threads: u32,
    connections: u32,
}

impl Wrk {
    /// Checks that `wrk` runs and writes the script into `dir`.
    pub(super) fn new(dir: &Path, threads: u32, connections: u32) -> anyhow::Result<Self> {
        let found = std::process::Command::new("wrk").arg("--version").output();
        anyhow::ensure!(
            found.is_ok(),
            "the load generator `wrk` is not installed: `apt-get install wrk` (Debian's package)"
        );
        let script = dir.join("bench.lua");
        std::fs::write(&script, SCRIPT).context("writing the wrk script")?;
        Ok(Self { script, threads, connections })
    }

    /// Loads `url` for `duration` with the bodies in `bodies` (one JSON document a line).
    pub(super) async fn run(
        &self,
        url: &str,
        authorization: Option<&str>,
        bodies: &Path,
        duration: Duration,
    ) -> anyhow::Result<LoadResult> {
        let output = tokio::process::Command::new("wrk")
            .arg(format!("--threads={}", self.threads))
            .arg(format!("--connections={}", self.connections))
            .arg(format!("--duration={}s", duration.as_secs().max(1)))
            .arg("--timeout=10s")
            .arg(format!("--script={}", self.script.display()))
            .arg(url)
            .arg("--")
            .arg(bodies)
            // The token goes through the environment, never the command line (visible in `ps`).
            .env("BENCH_AUTHORIZATION", authorization.unwrap_or_default())
            .kill_on_drop(true)
            .output()
            .await
            .context("running wrk")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().find_map(|l| l.strip_prefix("WRK_RESULT ")).with_context(|| {
            format!("wrk printed no result ({}): {}", output.status, String::from_utf8_lossy(&output.stderr))
        })?;
        serde_json::from_str(line).context("parsing wrk's result")
    }
}
