//! Turning the workers' latencies and the CPU snapshots into one line of results and a
//! Markdown table row.

use std::fmt::Write as _;
use std::time::Duration;

use crate::Outcome;
use crate::hashref::{HashSamples, mean};
use crate::procfs::MachineTicks;

/// CPU clock ticks at one instant.
#[derive(Debug, Clone, Copy)]
pub struct CpuSnapshot {
    /// The idp process.
    pub server: Option<u64>,
    /// Every Postgres process, with the backends they reaped.
    pub postgres: Option<u64>,
    /// Every Redis process.
    pub redis: Option<u64>,
    /// This process.
    pub loadgen: u64,
    /// The whole machine.
    pub machine: MachineTicks,
}

/// Figures to hold the results against.
#[derive(Debug, Clone, Copy, Default)]
pub struct Targets {
    /// idp CPU per operation, µs.
    pub cpu_us: Option<f64>,
    /// p99, ms.
    pub p99_ms: Option<f64>,
    /// idp CPU per operation (login, recovery attempt) / CPU of one Argon2id hash.
    pub hash_ratio: Option<f64>,
}

/// What a report is made from.
#[derive(Debug)]
pub struct ReportInput {
    /// Scenario name.
    pub scenario: String,
    /// Workers.
    pub concurrency: usize,
    /// A new connection per operation.
    pub new_connections: bool,
    /// Length of the measured phase.
    pub elapsed: Duration,
    /// Per worker.
    pub outcomes: Vec<Outcome>,
    /// CPU before.
    pub before: CpuSnapshot,
    /// CPU after.
    pub after: CpuSnapshot,
    /// `CLK_TCK`.
    pub ticks_per_second: u64,
    /// Refresh chains restarted by a login during the phase.
    pub relogins: u64,
    /// CPU of one Argon2id hash, sampled during the phase (login).
    pub hash: Option<HashSamples>,
    /// Targets.
    pub targets: Targets,
    /// The idp's resident memory after the phase, KiB.
    pub server_rss_kib: Option<u64>,
}

/// The results of one run.
#[derive(Debug)]
pub struct Report {
    scenario: String,
    concurrency: usize,
    new_connections: bool,
    ops: u64,
    errors: u64,
    ops_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    server_us: Option<f64>,
    postgres_us: Option<f64>,
    redis_us: Option<f64>,
    loadgen_us: f64,
    other_pct: f64,
    steal_pct: f64,
    relogins: u64,
    /// Mean of the reused-memory samples.
    hash_us: Option<f64>,
    /// Lowest and highest reused-memory sample.
    hash_spread: Option<(f64, f64)>,
    /// Mean of the fresh-memory samples.
    hash_fresh_us: Option<f64>,
    /// Samples taken.
    hash_samples: usize,
    targets: Targets,
    server_rss_kib: Option<u64>,
    /// The first error any worker saw.
    pub first_error: Option<String>,
}

/// The `q` quantile (0..=1) of sorted values, nearest rank.
pub fn quantile(sorted: &[u32], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

impl Report {
    /// Aggregates the workers' outcomes.
    pub fn new(input: ReportInput) -> Self {
        let mut latencies: Vec<u32> = Vec::new();
        let mut errors = 0;
        let mut first_error = None;
        for outcome in input.outcomes {
            latencies.extend_from_slice(&outcome.latencies_us);
            errors += outcome.errors;
            if first_error.is_none() {
                first_error = outcome.first_error;
            }
        }
        latencies.sort_unstable();
        let ops = latencies.len() as u64;
        let ms = |q| quantile(&latencies, q).map_or(f64::NAN, |us| f64::from(us) / 1000.0);
        let per_op = |before: u64, after: u64| {
            let us = after.saturating_sub(before) as f64 * 1e6 / input.ticks_per_second as f64;
            if ops == 0 { f64::NAN } else { us / ops as f64 }
        };
        let pair = |b: Option<u64>, a: Option<u64>| Some(per_op(b?, a?));
        let delta = |b: Option<u64>, a: Option<u64>| match (b, a) {
            (Some(b), Some(a)) => a.saturating_sub(b),
            _ => 0,
        };
        let (mb, ma) = (input.before.machine, input.after.machine);
        let total = ma.total.saturating_sub(mb.total).max(1) as f64;
        let ours = delta(input.before.server, input.after.server)
            + delta(input.before.postgres, input.after.postgres)
            + delta(input.before.redis, input.after.redis)
            + input.after.loadgen.saturating_sub(input.before.loadgen);
        let others = ma.busy.saturating_sub(mb.busy).saturating_sub(ours);
        let sampler_us = input.hash.as_ref().map_or(0.0, HashSamples::total_us);
        let samples = input.hash.unwrap_or_default();
        let spread = samples
            .reused_us
            .iter()
            .fold(None, |acc: Option<(f64, f64)>, &v| {
                Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
            });
        Report {
            scenario: input.scenario.clone(),
            concurrency: input.concurrency,
            new_connections: input.new_connections,
            ops,
            errors,
            ops_per_sec: ops as f64 / input.elapsed.as_secs_f64().max(1e-9),
            p50_ms: ms(0.50),
            p99_ms: ms(0.99),
            max_ms: ms(1.0),
            server_us: pair(input.before.server, input.after.server),
            postgres_us: pair(input.before.postgres, input.after.postgres),
            redis_us: pair(input.before.redis, input.after.redis),
            loadgen_us: per_op(input.before.loadgen, input.after.loadgen)
                - if ops == 0 {
                    0.0
                } else {
                    sampler_us / ops as f64
                },
            other_pct: others as f64 * 100.0 / total,
            steal_pct: ma.steal.saturating_sub(mb.steal) as f64 * 100.0 / total,
            relogins: input.relogins,
            hash_us: mean(&samples.reused_us),
            hash_spread: spread,
            hash_fresh_us: mean(&samples.fresh_us),
            hash_samples: samples.reused_us.len(),
            targets: input.targets,
            server_rss_kib: input.server_rss_kib,
            first_error,
        }
    }

    fn connections(&self) -> &'static str {
        if self.new_connections {
            "new per request"
        } else {
            "keep-alive"
        }
    }

    fn hash_ratio(&self) -> Option<f64> {
        Some(self.server_us? / self.hash_us?)
    }

    /// One line for the terminal.
    pub fn line(&self) -> String {
        let opt = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.0}"));
        let mut line = format!(
            "scenario={} concurrency={} connections={} ops={} errors={} ops/s={:.1} \
             p50={:.2}ms p99={:.2}ms max={:.2}ms server_cpu={}us/op postgres_cpu={}us/op \
             redis_cpu={}us/op loadgen_cpu={:.0}us/op",
            self.scenario,
            self.concurrency,
            self.connections().replace(' ', "-"),
            self.ops,
            self.errors,
            self.ops_per_sec,
            self.p50_ms,
            self.p99_ms,
            self.max_ms,
            opt(self.server_us),
            opt(self.postgres_us),
            opt(self.redis_us),
            self.loadgen_us,
        );
        let _ = write!(
            line,
            " other_processes_cpu={:.1}% steal={:.1}%",
            self.other_pct, self.steal_pct
        );
        if let Some(kib) = self.server_rss_kib {
            let _ = write!(line, " server_rss={:.1}MiB", kib as f64 / 1024.0);
        }
        if self.relogins > 0 {
            let _ = write!(line, " relogins={}", self.relogins);
        }
        if let (Some(hash), Some((lo, hi)), Some(fresh)) =
            (self.hash_us, self.hash_spread, self.hash_fresh_us)
        {
            let _ = write!(
                line,
                " argon2id_hash_cpu={hash:.0}us (n={}, {lo:.0}..{hi:.0}; \
                 into fresh memory {fresh:.0}us)",
                self.hash_samples
            );
        }
        if let Some(ratio) = self.hash_ratio() {
            let _ = write!(line, " server_cpu_per_op/hash={ratio:.2}");
        }
        line
    }

    /// The Markdown header matching [`Report::markdown_row`].
    pub fn markdown_header() -> &'static str {
        "| Scenario | Conc. | Connections | Ops | Errors | Ops/s | p50 ms | p99 ms | idp CPU µs/op | Postgres CPU µs/op | Redis CPU µs/op | loadgen CPU µs/op | Against the targets |\n\
         |---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    }

    /// One Markdown table row.
    pub fn markdown_row(&self) -> String {
        let opt = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.0}"));
        let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
        let mut notes = Vec::new();
        if let (Some(target), Some(cpu)) = (self.targets.cpu_us, self.server_us) {
            notes.push(format!("CPU ≤ {target:.0} µs: {}", verdict(cpu <= target)));
        }
        if let Some(target) = self.targets.p99_ms {
            notes.push(format!(
                "p99 < {target:.0} ms: {}",
                verdict(self.p99_ms < target)
            ));
        }
        if let (Some(hash), Some((lo, hi)), Some(fresh)) =
            (self.hash_us, self.hash_spread, self.hash_fresh_us)
        {
            notes.push(format!(
                "one Argon2id hash = {hash:.0} µs (mean of {} timed during the run, \
                 {lo:.0}–{hi:.0}; {fresh:.0} µs into freshly allocated memory)",
                self.hash_samples
            ));
        }
        if let Some(ratio) = self.hash_ratio() {
            let met = self.targets.hash_ratio.map(|t| verdict(ratio <= t));
            notes.push(match (met, self.targets.hash_ratio) {
                (Some(m), Some(t)) => {
                    format!("{}/hash = {ratio:.2} (≤ {t}: {m})", self.scenario)
                }
                _ => format!("{}/hash = {ratio:.2}", self.scenario),
            });
        }
        if self.relogins > 0 {
            notes.push(format!("{} chains restarted", self.relogins));
        }
        if self.other_pct >= 5.0 || self.steal_pct >= 5.0 {
            notes.push(format!(
                "other processes used {:.0}% of the machine, steal {:.0}%",
                self.other_pct, self.steal_pct
            ));
        }
        format!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {} | {:.0} | {} |",
            self.scenario,
            self.concurrency,
            self.connections(),
            self.ops,
            self.errors,
            self.ops_per_sec,
            self.p50_ms,
            self.p99_ms,
            opt(self.server_us),
            opt(self.postgres_us),
            opt(self.redis_us),
            self.loadgen_us,
            notes.join("; "),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.5), Some(50));
        assert_eq!(quantile(&v, 0.99), Some(99));
        assert_eq!(quantile(&v, 1.0), Some(100));
        assert_eq!(quantile(&v, 0.0), Some(1));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn cpu_per_operation_comes_from_ticks() {
        let snap = |server, loadgen| CpuSnapshot {
            server: Some(server),
            postgres: None,
            redis: Some(0),
            loadgen,
            machine: MachineTicks {
                busy: server + loadgen,
                steal: 0,
                total: 1000 + server,
            },
        };
        let report = Report::new(ReportInput {
            scenario: "jwks".to_owned(),
            concurrency: 2,
            new_connections: false,
            elapsed: Duration::from_secs(1),
            outcomes: vec![Outcome {
                latencies_us: vec![1000; 1000],
                errors: 0,
                first_error: None,
            }],
            before: snap(100, 0),
            after: snap(102, 1),
            ticks_per_second: 100,
            relogins: 0,
            hash: None,
            targets: Targets {
                cpu_us: Some(40.0),
                ..Targets::default()
            },
            server_rss_kib: None,
        });
        // 2 ticks = 20 ms over 1000 operations.
        assert_eq!(report.server_us, Some(20.0));
        assert!(report.postgres_us.is_none());
        assert!(report.markdown_row().contains("CPU ≤ 40 µs: met"));
        assert!(report.line().contains("ops/s=1000.0"));
        assert!(report.line().contains("other_processes_cpu=0.0%"));
    }
}
