//! Argon2id password hashing (ASVS 11.4.2), bounded: at most `max_concurrent_hashes` run at
//! once on the blocking pool; a login that cannot get a slot within `hash_wait_ms` is refused
//! with 503 rather than joining an ever-growing queue.
//!
//! Each slot keeps its Argon2 memory (19 MiB at the default cost) and reuses it: resident
//! memory stays bounded by the slot count, and no login pays for zeroing fresh pages.
//! Hashes are PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), written and read by the
//! `password-hash` crate's [`PasswordHash`] (re-exported by `argon2`), so they stay compatible
//! with every Argon2 library. The derivation itself goes through
//! `hash_password_into_with_memory` rather than the `PasswordHasher`/`PasswordVerifier` traits:
//! those allocate fresh Argon2 memory on every call, which is what the slots avoid.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use subtle::ConstantTimeEq as _;
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::config::PasswordConfig;
use crate::domain::Password;

/// Length of the derived hash (bytes).
const HASH_LEN: usize = 32;
/// Length of the random salt (bytes).
const SALT_LEN: usize = 16;

/// Hashes and verifies passwords with the configured Argon2id cost.
#[derive(Clone, Debug)]
pub struct Hasher {
    params: Params,
    slots: Arc<Semaphore>,
    /// Argon2 memory of the idle slots, reused from one hash to the next.
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
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
    /// Argon2, the stored hash or the blocking pool failed.
    #[error("password hashing failed")]
    Failed(#[source] crate::error::BoxError),
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
            Some(HASH_LEN),
        )
        .map_err(|e| HashError::Failed(e.into()))?;
        let mut random = Zeroizing::new([0u8; 24]);
        aws_lc_rs::rand::fill(&mut *random).map_err(|_| HashError::Failed("rng".into()))?;
        let dummy_phc = hash_with(&params, &*random, &mut Vec::new())?;
        Ok(Self {
            params,
            slots: Arc::new(Semaphore::new(max_concurrent)),
            memory: Arc::default(),
            wait,
            dummy_phc: dummy_phc.into(),
        })
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let bytes = Zeroizing::new(password.expose_bytes().to_vec());
        let params = self.params.clone();
        self.run(move |memory| hash_with(&params, &bytes, memory))
            .await
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
        let bytes = Zeroizing::new(password.expose_bytes().to_vec());
        let current = self.params.clone();
        let verdict = self
            .run(move |memory| {
                let stored = Stored::parse(&phc)?;
                let mut out = Zeroizing::new(vec![0u8; stored.hash.len()]);
                derive(&stored.params, &bytes, &stored.salt, &mut out, memory)?;
                if !bool::from(out.ct_eq(stored.hash.as_bytes())) {
                    return Ok(Verdict::Mismatch);
                }
                let same = stored.params.m_cost() == current.m_cost()
                    && stored.params.t_cost() == current.t_cost()
                    && stored.params.p_cost() == current.p_cost()
                    && stored.hash.len() == HASH_LEN;
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
        work: impl FnOnce(&mut Vec<Block>) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Busy)?;
        let mut memory = self
            .memory
            .lock()
            .ok()
            .and_then(|mut idle| idle.pop())
            .unwrap_or_default();
        let pool = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let result = work(&mut memory);
            if let Ok(mut idle) = pool.lock() {
                idle.push(memory);
            }
            drop(permit);
            result
        })
        .await
        .map_err(|e| HashError::Failed(e.into()))?
    }
}

/// Argon2id into `out`, in `memory` (grown once to the parameters' size, then reused).
fn derive(
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> Result<(), HashError> {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::new());
    }
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt, out, &mut memory[..])
        .map_err(|e| HashError::Failed(e.into()))
}

fn hash_with(
    params: &Params,
    password: &[u8],
    memory: &mut Vec<Block>,
) -> Result<String, HashError> {
    let mut salt = [0u8; SALT_LEN];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| HashError::Failed("rng".into()))?;
    let mut out = Zeroizing::new([0u8; HASH_LEN]);
    derive(params, password, &salt, &mut *out, memory)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(failed)?,
        salt: Some(Salt::new(&salt).map_err(failed)?),
        hash: Some(Output::new(&*out).map_err(failed)?),
    };
    Ok(phc.to_string())
}

/// A stored hash, parsed: only Argon2id version 0x13 (19), the one we write.
struct Stored {
    params: Params,
    salt: Salt,
    hash: Output,
}

impl Stored {
    fn parse(phc: &str) -> Result<Self, HashError> {
        let bad = || HashError::Failed("stored password hash is not an argon2id PHC string".into());
        let parsed = PasswordHash::new(phc).map_err(|_| bad())?;
        if parsed.algorithm != Algorithm::Argon2id.ident()
            || parsed.version != Some(Version::V0x13.into())
        {
            return Err(bad());
        }
        // Every hash we wrote names its cost; without one the crate would assume its defaults.
        if ["m", "t", "p"]
            .into_iter()
            .any(|name| parsed.params.get_decimal(name).is_none())
        {
            return Err(bad());
        }
        // Carries the output length of the stored hash, so an old length still verifies.
        let params = Params::try_from(&parsed).map_err(|_| bad())?;
        let (Some(salt), Some(hash)) = (parsed.salt, parsed.hash) else {
            return Err(bad());
        };
        Ok(Self { params, salt, hash })
    }
}

fn failed(e: impl std::fmt::Display) -> HashError {
    HashError::Failed(e.to_string().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier as _;

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
        assert!(phc.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
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
    async fn our_hashes_are_standard_phc_strings_other_libraries_verify() {
        let phc = hasher(1024)
            .hash(&Password::parse("interoperable pw").unwrap())
            .await
            .unwrap();
        let parsed = argon2::PasswordHash::new(&phc).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"interoperable pw", &parsed)
                .is_ok()
        );
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
    async fn memory_is_reused_across_hashes_of_different_costs() {
        let small = hasher(1024);
        let big = hasher(2048);
        let phc = big
            .hash(&Password::parse("grow then shrink").unwrap())
            .await
            .unwrap();
        // The small hasher's reused buffer must grow for the bigger stored cost, and still work.
        let verdict = small
            .verify(&Password::parse("grow then shrink").unwrap(), Some(&phc))
            .await;
        assert_eq!(verdict.unwrap(), Verdict::MatchNeedsRehash);
        assert_eq!(
            small.memory.lock().unwrap().len(),
            1,
            "one idle buffer kept for the slot"
        );
    }

    #[tokio::test]
    async fn hashes_stored_by_the_hand_written_codec_still_verify() {
        // Written by the codec this module had before it used `PasswordHash`: 16-byte salt and
        // 32-byte hash in unpadded standard base64.
        let stored = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$myV+hkLhrPMixLzEjpvPG5GEXNsYhl/BQmPhQEzcrYs";
        // Older shapes the parser must keep reading: an 8-byte salt, a 24-byte hash.
        let short = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$eN8mlqgr/M28IFXFk5PVuVUsWvfeDbHh";
        let right = Password::parse("stored before the codec changed").unwrap();
        let wrong = Password::parse("stored before the codec changes").unwrap();
        let h = hasher(1024);
        // (stored hash, password, verdict, why)
        let cases = [
            (
                stored,
                &right,
                Verdict::Match,
                "today's parameters and lengths",
            ),
            (stored, &wrong, Verdict::Mismatch, "another password"),
            (
                short,
                &right,
                Verdict::MatchNeedsRehash,
                "a shorter hash asks for a rehash",
            ),
            (
                short,
                &wrong,
                Verdict::Mismatch,
                "another password, short hash",
            ),
        ];
        for (phc, password, verdict, why) in cases {
            assert_eq!(
                h.verify(password, Some(phc)).await.unwrap(),
                verdict,
                "{why}"
            );
        }
        // And what we write now reads back the same way, in the same shape.
        let fresh = h.hash(&right).await.unwrap();
        let parsed = argon2::PasswordHash::new(&fresh).unwrap();
        assert_eq!(parsed.salt.map(|s| s.len()), Some(SALT_LEN));
        assert_eq!(parsed.hash.map(|o| o.len()), Some(HASH_LEN));
        assert_eq!(fresh.len(), stored.len(), "same length as before: {fresh}");
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches_even_the_dummy() {
        let verdict = hasher(1024)
            .verify(&Password::parse("anything").unwrap(), None)
            .await;
        assert_eq!(verdict.unwrap(), Verdict::Mismatch);
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_an_error_not_a_match() {
        let h = hasher(1024);
        for bad in [
            "",
            "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
            "$argon2id$v=19$m=x,t=1,p=1$a$b",
            "$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHQ$eN8mlqgr/M28IFXFk5PVuVUsWvfeDbHh",
            "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ",
            "$argon2id$v=19$c2FsdHNhbHQ$eN8mlqgr/M28IFXFk5PVuVUsWvfeDbHh",
            "$argon2id$v=19$m=1024,t=1$c2FsdHNhbHQ$eN8mlqgr/M28IFXFk5PVuVUsWvfeDbHh",
            "$argon2id$v=19$m=1024,t=1,p=1,x=2$c2FsdHNhbHQ$eN8mlqgr/M28IFXFk5PVuVUsWvfeDbHh",
            "plain",
        ] {
            assert!(
                h.verify(&Password::parse("pw").unwrap(), Some(bad))
                    .await
                    .is_err(),
                "{bad:?}"
            );
        }
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

/// Any stored text is a PHC string we wrote or refused, never a panic.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_stored_text_is_read_or_refused(phc in "\\PC{0,300}") {
            let _ = Stored::parse(&phc);
        }

        #[test]
        fn any_argon2id_shaped_text_is_read_or_refused(
            m in "[0-9]{0,12}", t in "[0-9]{0,12}", p in "[0-9]{0,4}",
            salt in "[A-Za-z0-9+/]{0,40}", hash in "[A-Za-z0-9+/]{0,80}",
        ) {
            let _ = Stored::parse(&format!("$argon2id$v=19$m={m},t={t},p={p}${salt}${hash}"));
        }
    }
}
