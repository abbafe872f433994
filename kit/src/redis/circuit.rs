//! A circuit breaker in front of Redis: once a command fails for want of Redis (refused,
//! dropped, timed out), every command for the next `open_for` fails at once instead of
//! waiting on a connection that is not there; then one command at a time is let through to
//! probe, and the first success closes the circuit. Requests that need Redis get their 503
//! in microseconds during an outage rather than piling up (SECURITY.md: a dependency that
//! hangs costs a request a bounded, short wait).
//!
//! Written here rather than taken from a crate: it is one atomic deadline with no policy
//! to configure beyond one duration, and the crates that offer breakers wrap futures with
//! their own error types that the `redis::aio::ConnectionLike` seam (`redis/mod.rs`) does not fit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The breaker's state, shared by every clone of a `Kv`.
#[derive(Debug)]
pub struct Circuit {
    /// The reference point of `open_until`.
    epoch: Instant,
    /// Milliseconds since `epoch` until which commands fail at once (0: closed).
    open_until: AtomicU64,
    /// How long the circuit stays open after a failure.
    open_for: Duration,
}

/// Whether a command may go to Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: go.
    Go,
    /// Open, past its time: this command probes (the others still fail fast).
    Probe,
    /// Open: fail now.
    Refuse,
}

impl Circuit {
    /// A closed circuit that opens for `open_for` after each failure.
    pub fn new(open_for: Duration) -> Self {
        Self {
            epoch: Instant::now(),
            open_until: AtomicU64::new(0),
            open_for,
        }
    }

    /// Whether the next command may go. The probe holds the circuit open for another
    /// `open_for` while it runs: one probe at a time, and a probe that never settles (its
    /// request cancelled, a timeout around it) only delays the next one — it can never leave
    /// the circuit open for good.
    pub fn admit(&self) -> Admission {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return Admission::Go;
        }
        let now = self.now_ms();
        if now < until {
            return Admission::Refuse;
        }
        let next = now.saturating_add(self.open_for_ms()).max(1);
        match self
            .open_until
            .compare_exchange(until, next, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Admission::Probe,
            Err(_) => Admission::Refuse,
        }
    }

    /// Redis answered: the circuit closes.
    pub fn succeeded(&self) {
        self.open_until.store(0, Ordering::Release);
    }

    /// Redis could not be reached: the circuit opens (again) for `open_for`.
    pub fn failed(&self) {
        let until = self.now_ms().saturating_add(self.open_for_ms()).max(1);
        self.open_until.store(until, Ordering::Release);
    }

    /// Whether the circuit is open (Redis is known to be down).
    pub fn is_open(&self) -> bool {
        self.open_until.load(Ordering::Acquire) != 0
    }

    fn open_for_ms(&self) -> u64 {
        u64::try_from(self.open_for.as_millis()).unwrap_or(u64::MAX)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_opens_the_circuit_then_one_probe_at_a_time_closes_it() {
        let circuit = Circuit::new(Duration::from_millis(30));
        assert_eq!(circuit.admit(), Admission::Go, "closed at first");
        circuit.failed();
        assert_eq!(circuit.admit(), Admission::Refuse, "open: fail fast");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(circuit.admit(), Admission::Probe, "time to probe");
        assert_eq!(circuit.admit(), Admission::Refuse, "one probe at a time");
        circuit.failed();
        assert_eq!(
            circuit.admit(),
            Admission::Refuse,
            "the probe failed: open again"
        );
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(circuit.admit(), Admission::Probe);
        circuit.succeeded();
        assert_eq!(circuit.admit(), Admission::Go, "the probe answered: closed");
        assert!(!circuit.is_open());
    }

    #[test]
    fn a_probe_that_never_settles_only_delays_the_next_one() {
        let circuit = Circuit::new(Duration::from_millis(30));
        circuit.failed();
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(circuit.admit(), Admission::Probe, "a probe goes…");
        // …and is cancelled: neither `succeeded` nor `failed` is ever called.
        assert_eq!(circuit.admit(), Admission::Refuse, "still one at a time");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(
            circuit.admit(),
            Admission::Probe,
            "another probe after a while"
        );
        circuit.succeeded();
        assert_eq!(circuit.admit(), Admission::Go);
    }
}
