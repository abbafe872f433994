//! Argon2id password hashing (ASVS 11.4.2), bounded: at most `max_concurrent_hashes` run at
//! once on the blocking pool; a login that cannot get a slot within `hash_wait_ms` is refused
//! with 503 rather than joining an ever-growing queue.

use std::sync::Arc;
use std::time::Duration;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
};
use tokio::sync::Semaphore;

use crate::config::PasswordConfig;
use crate::domain::Password;

/// Hashes and verifies passwords with the configured Argon2id cost.
#[derive(Clone, Debug)]
pub struct Hasher {
    params: Params,
    slots: Arc<Semaphore>,
    wait: Duration,
    /// A hash of a random password, verified for unknown users so timing tells nothing
    /// (ASVS 6.3.8).
    dummy_phc: Arc<str>,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The password matches and the hash uses today's parameters.
    Match,
    /// The password matches; the stored hash should be recomputed with today's parameters.
    MatchNeedsRehash,
    /// No match.
    Mismatch,
}

/// Why hashing could not be done.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every slot stayed busy for the whole wait.
    #[error("password hashing is saturated")]
    Busy,
    /// Argon2 or the blocking pool failed.
    #[error("password hashing failed: {0}")]
    Failed(String),
}

impl Hasher {
    /// A hasher with the configured cost and concurrency bound.
    pub fn new(
        config: PasswordConfig,
        max_concurrent: usize,
        wait: Duration,
    ) -> Result<Self, HashError> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(|e| HashError::Failed(e.to_string()))?;
        let mut random = [0u8; 24];
        aws_lc_rs::rand::fill(&mut random).map_err(|_| HashError::Failed("rng".into()))?;
        let dummy_phc = hash_with(&params, &random)?;
        Ok(Self {
            params,
            slots: Arc::new(Semaphore::new(max_concurrent)),
            wait,
            dummy_phc: dummy_phc.into(),
        })
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let bytes = zeroize::Zeroizing::new(password.expose_bytes().to_vec());
        let params = self.params.clone();
        self.run(move || hash_with(&params, &bytes)).await
    }

    /// Verifies against a stored PHC string, or against the dummy hash when there is none, so
    /// an unknown user costs the same as a known one.
    pub async fn verify(
        &self,
        password: &Password,
        phc: Option<&str>,
    ) -> Result<Verdict, HashError> {
        let known = phc.is_some();
        let phc: String = phc.map_or_else(|| self.dummy_phc.to_string(), str::to_owned);
        let bytes = zeroize::Zeroizing::new(password.expose_bytes().to_vec());
        let params = self.params.clone();
        let verdict = self
            .run(move || {
                let parsed =
                    PasswordHash::new(&phc).map_err(|e| HashError::Failed(e.to_string()))?;
                let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
                if argon.verify_password(&bytes, &parsed).is_err() {
                    return Ok(Verdict::Mismatch);
                }
                let current = Params::try_from(&parsed).ok();
                let same = current.is_some_and(|p| {
                    p.m_cost() == params.m_cost()
                        && p.t_cost() == params.t_cost()
                        && p.p_cost() == params.p_cost()
                }) && parsed.algorithm.as_str() == "argon2id";
                Ok(if same {
                    Verdict::Match
                } else {
                    Verdict::MatchNeedsRehash
                })
            })
            .await?;
        Ok(if known { verdict } else { Verdict::Mismatch })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| HashError::Failed(e.to_string()))?
    }
}

fn hash_with(params: &Params, password: &[u8]) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| HashError::Failed("rng".into()))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_with_salt(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError::Failed(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn hasher(memory_kib: u32) -> Hasher {
        let config = PasswordConfig {
            memory_kib,
            iterations: 1,
            parallelism: 1,
        };
        Hasher::new(config, 2, Duration::from_secs(5)).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let h = hasher(1024);
        let phc = h
            .hash(&Password::parse("correct horse battery").unwrap())
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$"));
        let ok = h
            .verify(
                &Password::parse("correct horse battery").unwrap(),
                Some(&phc),
            )
            .await;
        assert_eq!(ok.unwrap(), Verdict::Match);
        let bad = h
            .verify(
                &Password::parse("Correct horse battery").unwrap(),
                Some(&phc),
            )
            .await;
        assert_eq!(bad.unwrap(), Verdict::Mismatch);
    }

    #[tokio::test]
    async fn a_hash_with_old_parameters_asks_for_a_rehash() {
        let old = hasher(1024)
            .hash(&Password::parse("pw pw pw pw").unwrap())
            .await
            .unwrap();
        let verdict = hasher(2048)
            .verify(&Password::parse("pw pw pw pw").unwrap(), Some(&old))
            .await;
        assert_eq!(verdict.unwrap(), Verdict::MatchNeedsRehash);
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches_even_the_dummy() {
        let verdict = hasher(1024)
            .verify(&Password::parse("anything").unwrap(), None)
            .await;
        assert_eq!(verdict.unwrap(), Verdict::Mismatch);
    }

    #[tokio::test]
    async fn a_saturated_hasher_answers_busy() {
        let config = PasswordConfig {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        let h = Hasher::new(config, 1, Duration::from_millis(10)).unwrap();
        let _held = h.slots.clone().acquire_owned().await.unwrap();
        let result = h.hash(&Password::parse("pw pw pw pw").unwrap()).await;
        assert!(matches!(result, Err(HashError::Busy)));
    }
}
