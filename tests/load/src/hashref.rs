//! The login scenario's reference: the CPU of one Argon2id hash at the idp's configured cost,
//! timed in this process on one thread *while the load runs*, so that it sees the same
//! machine (other processes, caches, frequency) as the server it is compared with.
//!
//! Each sample times one hash into memory allocated once and reused (the hash's own work, the
//! reference of the target) and one into freshly allocated memory, as `hash_password_into`
//! and the idp's verifier do, page faults of those 19 MiB included.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::anyhow;
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::procfs;

/// Pause between two samples: keeps the sampler near 5 % of one core.
const PAUSE: Duration = Duration::from_millis(800);

/// What the sampler measured.
#[derive(Debug, Clone, Default)]
pub struct HashSamples {
    /// µs of CPU per hash into reused memory.
    pub reused_us: Vec<f64>,
    /// µs of CPU per hash into freshly allocated memory.
    pub fresh_us: Vec<f64>,
}

impl HashSamples {
    /// CPU the sampler itself spent, µs (to leave out of the load generator's own figure).
    pub fn total_us(&self) -> f64 {
        self.reused_us.iter().chain(&self.fresh_us).sum()
    }
}

/// The mean of some samples, if any.
pub fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// A running sampler thread.
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<anyhow::Result<HashSamples>>,
}

impl Sampler {
    /// Starts sampling with the given cost. The memory is touched once before it returns, so
    /// the first sample does not pay for it.
    pub fn start(cost: idp::config::PasswordConfig, ticks_per_second: u64) -> anyhow::Result<Self> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| anyhow!("argon2 parameters: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || -> anyhow::Result<HashSamples> {
            let mut blocks = vec![Block::default(); params.block_count()];
            let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
            let salt = [0x5au8; 16];
            let password = b"demo-professionnel-2026";
            let mut out = [0u8; 32];
            let failed = |e: argon2::Error| anyhow!("argon2: {e}");
            argon
                .hash_password_into_with_memory(password, &salt, &mut out, &mut blocks)
                .map_err(failed)?;
            let _ = ready_tx.send(());
            let mut samples = HashSamples::default();
            // At least one sample, however short the run.
            loop {
                let t0 = procfs::thread_cpu_ns(ticks_per_second)?;
                argon
                    .hash_password_into_with_memory(password, &salt, &mut out, &mut blocks)
                    .map_err(failed)?;
                let t1 = procfs::thread_cpu_ns(ticks_per_second)?;
                argon
                    .hash_password_into(password, &salt, &mut out)
                    .map_err(failed)?;
                let t2 = procfs::thread_cpu_ns(ticks_per_second)?;
                samples
                    .reused_us
                    .push(t1.saturating_sub(t0) as f64 / 1000.0);
                samples.fresh_us.push(t2.saturating_sub(t1) as f64 / 1000.0);
                if flag.load(Ordering::Relaxed) {
                    return Ok(samples);
                }
                std::thread::sleep(PAUSE);
                if flag.load(Ordering::Relaxed) {
                    return Ok(samples);
                }
            }
        });
        // Wait for the warm-up hash (or the thread's early failure).
        let _ = ready_rx.recv();
        Ok(Self { stop, handle })
    }

    /// Stops the sampler and returns its samples.
    pub fn finish(self) -> anyhow::Result<HashSamples> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .join()
            .map_err(|_| anyhow!("the hashing thread panicked"))?
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_cheap_sampler_gives_samples() {
        let cost = idp::config::PasswordConfig {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let sampler = Sampler::start(cost, 100).unwrap();
        let samples = sampler.finish().unwrap();
        assert!(!samples.reused_us.is_empty());
        assert_eq!(samples.reused_us.len(), samples.fresh_us.len());
        assert!(mean(&samples.reused_us).is_some());
        assert!(mean(&[]).is_none());
    }
}
