//! The report: one line per round and read with both servers' figures and the ratios, then the
//! medians. Ratios are taken per round (side by side under the same machine noise) before the
//! median, like every other bench here.

use super::queries::Read;
use super::wrk::LoadResult;

#[derive(Debug, Default)]
pub(super) struct Table {
    rows: Vec<Row>,
}

#[derive(Debug)]
struct Row {
    round: usize,
    read: Read,
    ours: LoadResult,
    theirs: LoadResult,
}

impl Row {
    /// Our requests/s over theirs (goal: at least 2).
    fn rps_ratio(&self) -> f64 {
        self.ours.rps() / self.theirs.rps()
    }

    /// Our p99 over theirs (goal: at most 0.5).
    fn p99_ratio(&self) -> f64 {
        self.ours.p99_ms() / self.theirs.p99_ms()
    }
}

impl Table {
    pub(super) fn push(&mut self, round: usize, read: Read, ours: LoadResult, theirs: LoadResult) {
        let row = Row { round, read, ours, theirs };
        println!(
            "  round {round} {:<8} ours {:>8.0} req/s p50 {:>7.2} ms p99 {:>7.2} ms | postgraphile {:>8.0} req/s \
             p50 {:>7.2} ms p99 {:>7.2} ms | req/s x{:.2}, p99 x{:.2}",
            read.name(),
            ours.rps(),
            ours.p50_ms(),
            ours.p99_ms(),
            theirs.rps(),
            theirs.p50_ms(),
            theirs.p99_ms(),
            row.rps_ratio(),
            row.p99_ratio(),
        );
        self.rows.push(row);
    }

    pub(super) fn print(&self) {
        println!(
            "{:<8} {:>5} | {:>9} {:>8} {:>8} | {:>9} {:>8} {:>8} | {:>7} {:>7}",
            "read", "round", "ours r/s", "p50 ms", "p99 ms", "pgl r/s", "p50 ms", "p99 ms", "r/s x", "p99 x"
        );
        for read in Read::ALL {
            let rows: Vec<&Row> = self.rows.iter().filter(|r| r.read == read).collect();
            for r in &rows {
                println!(
                    "{:<8} {:>5} | {:>9.0} {:>8.2} {:>8.2} | {:>9.0} {:>8.2} {:>8.2} | {:>7.2} {:>7.2}",
                    read.name(),
                    r.round,
                    r.ours.rps(),
                    r.ours.p50_ms(),
                    r.ours.p99_ms(),
                    r.theirs.rps(),
                    r.theirs.p50_ms(),
                    r.theirs.p99_ms(),
                    r.rps_ratio(),
                    r.p99_ratio()
                );
            }
            let median = |f: &dyn Fn(&Row) -> f64| super::super::median(&mut rows.iter().map(|r| f(r)).collect::<Vec<_>>());
            println!(
                "{:<8} {:>5} | {:>9.0} {:>8.2} {:>8.2} | {:>9.0} {:>8.2} {:>8.2} | {:>7.2} {:>7.2}",
                read.name(),
                "median",
                median(&|r| r.ours.rps()),
                median(&|r| r.ours.p50_ms()),
                median(&|r| r.ours.p99_ms()),
                median(&|r| r.theirs.rps()),
                median(&|r| r.theirs.p50_ms()),
                median(&|r| r.theirs.p99_ms()),
                median(&Row::rps_ratio),
                median(&Row::p99_ratio)
            );
        }
    }
}
