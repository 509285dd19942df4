//! The report: one line per round and read with both servers' figures and the ratios, then the
//! medians. Ratios are taken per round (side by side under the same machine noise) before the
//! median, like every other bench here.

use super::cpu::CpuCost;
use super::queries::Read;
use super::wrk::LoadResult;

/// One server's figures for one run.
#[derive(Debug, Clone, Copy)]
pub(super) struct Measured {
    pub(super) load: LoadResult,
    pub(super) cpu: CpuCost,
}

#[derive(Debug, Default)]
pub(super) struct Table {
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    round: usize,
    read: Read,
    ours: Measured,
    theirs: Measured,
}

impl Row {
    /// Our requests/s over theirs (goal: at least 2).
    fn rps_ratio(&self) -> f64 {
        self.ours.load.rps() / self.theirs.load.rps()
    }

    /// Our p99 over theirs (goal: at most 0.5).
    fn p99_ratio(&self) -> f64 {
        self.ours.load.p99_ms() / self.theirs.load.p99_ms()
    }

    /// Their server CPU per request over ours: how many times cheaper a request is here.
    fn cpu_ratio(&self) -> f64 {
        match (self.ours.cpu.server_us, self.theirs.cpu.server_us) {
            (Some(ours), Some(theirs)) if ours > 0.0 => theirs / ours,
            _ => f64::NAN,
        }
    }
}

/// `[req/s, p50, p99, server CPU µs, database CPU µs]` of one side.
fn figures(m: &Measured) -> [f64; 5] {
    let nan = f64::NAN;
    [m.load.rps(), m.load.p50_ms(), m.load.p99_ms(), m.cpu.server_us.unwrap_or(nan), m.cpu.database_us.unwrap_or(nan)]
}

fn line(read: &str, round: &str, ours: [f64; 5], theirs: [f64; 5], ratios: [f64; 3]) -> String {
    let side = |f: [f64; 5]| format!("{:>7.0} {:>7.1} {:>7.1} {:>6.0} {:>6.0}", f[0], f[1], f[2], f[3], f[4]);
    format!(
        "{read:<8} {round:>6} | {} | {} | {:>6.2} {:>6.2} {:>6.2}",
        side(ours),
        side(theirs),
        ratios[0],
        ratios[1],
        ratios[2]
    )
}

impl Table {
    pub(super) fn push(&mut self, round: usize, read: Read, ours: Measured, theirs: Measured) {
        let row = Row { round, read, ours, theirs };
        tracing::info!(
            round,
            read = read.name(),
            ours_rps = ours.load.rps(),
            ours_p99_ms = ours.load.p99_ms(),
            theirs_rps = theirs.load.rps(),
            theirs_p99_ms = theirs.load.p99_ms(),
            rps_ratio = row.rps_ratio(),
            p99_ratio = row.p99_ratio(),
            "run"
        );
        self.rows.push(row);
    }

    pub(super) fn print(&self) {
        println!(
            "{:<8} {:>6} | {:>39} | {:>39} | {:>6} {:>6} {:>6}",
            "", "", "ours (reachspark serve)", "PostGraphile", "req/s", "p99", "CPU"
        );
        let side = "  req/s  p50 ms  p99 ms cpu µs  db µs";
        println!("{:<8} {:>6} | {side} | {side} | {:>6} {:>6} {:>6}", "read", "round", "x", "x", "÷");
        for read in Read::ALL {
            let rows: Vec<&Row> = self.rows.iter().filter(|r| r.read == read).collect();
            for r in &rows {
                let ratios = [r.rps_ratio(), r.p99_ratio(), r.cpu_ratio()];
                println!("{}", line(read.name(), &r.round.to_string(), figures(&r.ours), figures(&r.theirs), ratios));
            }
            let median = |f: &dyn Fn(&Row) -> f64| {
                let mut values: Vec<f64> = rows.iter().map(|r| f(r)).filter(|v| !v.is_nan()).collect();
                if values.is_empty() {
                    f64::NAN
                } else {
                    super::super::median(&mut values)
                }
            };
            let ours: [f64; 5] = std::array::from_fn(|i| median(&|r: &Row| figures(&r.ours)[i]));
            let theirs: [f64; 5] = std::array::from_fn(|i| median(&|r: &Row| figures(&r.theirs)[i]));
            let ratios = [median(&Row::rps_ratio), median(&Row::p99_ratio), median(&Row::cpu_ratio)];
            println!("{}", line(read.name(), "median", ours, theirs, ratios));
        }
        println!(
            "cpu µs / db µs: CPU time per request of the server process / of the PostgreSQL backends serving it. \
             CPU ÷: their server CPU per request over ours."
        );
    }
}
