//! CPU time and memory read from `/proc`: the server's, the database's and our own.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};

/// Clock ticks per second for the `utime`/`stime` fields (`getconf CLK_TCK`, asked once).
pub fn clock_ticks_per_second() -> anyhow::Result<u64> {
    let out = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .context("cannot run `getconf CLK_TCK`")?;
    if !out.status.success() {
        bail!("`getconf CLK_TCK` failed: {}", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let ticks: u64 = text
        .trim()
        .parse()
        .with_context(|| format!("`getconf CLK_TCK` printed {text:?}"))?;
    anyhow::ensure!(ticks > 0, "`getconf CLK_TCK` printed 0");
    Ok(ticks)
}

/// The fields of a `/proc/…/stat` line we use.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stat {
    /// `utime + stime` of the task or process, in clock ticks.
    pub own: u64,
    /// `cutime + cstime`: reaped children, in clock ticks.
    pub children: u64,
}

/// Parses a stat line: `pid (comm) state ppid … utime stime cutime cstime …`. The comm may
/// hold spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_stat(line: &str) -> anyhow::Result<(String, Stat)> {
    let open = line.find('(').context("stat line without `(`")?;
    let close = line.rfind(')').context("stat line without `)`")?;
    let comm = line.get(open + 1..close).unwrap_or_default().to_owned();
    let rest: Vec<&str> = line
        .get(close + 1..)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    // rest[0] is field 3 (state); utime is field 14.
    let field = |n: usize| -> anyhow::Result<u64> {
        rest.get(n - 3)
            .with_context(|| format!("stat line has no field {n}"))?
            .parse::<i64>()
            .map(|v| v.max(0) as u64)
            .with_context(|| format!("stat field {n} is not a number"))
    };
    Ok((
        comm,
        Stat {
            own: field(14)? + field(15)?,
            children: field(16)? + field(17)?,
        },
    ))
}

/// CPU ticks (utime + stime, all threads, live and exited) of one process.
pub fn process_ticks(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let line = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    Ok(parse_stat(&line)?.1.own)
}

/// CPU ticks of every process whose `comm` is `comm`, including the children they reaped
/// (so a Postgres backend that exits during the run still counts, through the postmaster).
pub fn ticks_of_comm(comm: &str) -> anyhow::Result<(u64, usize)> {
    let mut total = 0;
    let mut count = 0;
    for entry in std::fs::read_dir("/proc").context("cannot list /proc")? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // A process may exit between the listing and the read: skip it.
        let Ok(line) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Ok((this_comm, stat)) = parse_stat(&line) else {
            continue;
        };
        if this_comm == comm {
            total += stat.own + stat.children;
            count += 1;
        }
    }
    Ok((total, count))
}

/// CPU time of the calling thread in nanoseconds: `/proc/thread-self/schedstat` (ns
/// resolution) when the kernel has it, else the thread's stat ticks.
pub fn thread_cpu_ns(ticks_per_second: u64) -> anyhow::Result<u64> {
    if let Ok(text) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(Ok(ns)) = text.split_whitespace().next().map(str::parse::<u64>)
    {
        return Ok(ns);
    }
    let line = std::fs::read_to_string("/proc/thread-self/stat")
        .context("cannot read /proc/thread-self/stat")?;
    let ticks = parse_stat(&line)?.1.own;
    Ok(ticks * 1_000_000_000 / ticks_per_second)
}

/// Machine-wide CPU time from the first line of `/proc/stat`, in clock ticks.
#[derive(Debug, Clone, Copy, Default)]
pub struct MachineTicks {
    /// user + nice + system + irq + softirq: time some process or the kernel ran.
    pub busy: u64,
    /// Time the hypervisor gave our virtual CPUs to someone else.
    pub steal: u64,
    /// busy + steal + idle + iowait.
    pub total: u64,
}

/// Reads the machine-wide counters.
pub fn machine_ticks() -> anyhow::Result<MachineTicks> {
    let text = std::fs::read_to_string("/proc/stat").context("cannot read /proc/stat")?;
    let line = text
        .lines()
        .find(|l| l.starts_with("cpu "))
        .context("/proc/stat has no `cpu` line")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let busy = at(0) + at(1) + at(2) + at(5) + at(6);
    let steal = at(7);
    Ok(MachineTicks {
        busy,
        steal,
        total: busy + steal + at(3) + at(4),
    })
}

/// Resident set size of a process in KiB (`VmRSS` in `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let path = Path::new("/proc").join(pid.to_string()).join("status");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let line = text
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS line")?;
    line.split_whitespace()
        .nth(1)
        .context("empty VmRSS line")?
        .parse()
        .context("VmRSS is not a number")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_with_a_tricky_comm_parses() {
        let line = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 11 13 20 0 1 0 \
                    100 1000 10 18446744073709551615";
        let (comm, stat) = parse_stat(line).unwrap();
        assert_eq!(comm, "a) b (c)");
        assert_eq!(stat.own, 10);
        assert_eq!(stat.children, 24);
    }

    #[test]
    fn our_own_process_has_a_stat_and_an_rss() {
        let pid = std::process::id();
        assert!(process_ticks(pid).is_ok());
        assert!(rss_kib(pid).unwrap() > 0);
        assert!(thread_cpu_ns(100).is_ok());
        let m = machine_ticks().unwrap();
        assert!(m.total >= m.busy);
    }
}
