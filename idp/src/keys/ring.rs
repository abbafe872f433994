//! [`KeyRing`]: this node's cached view of the published keys.
//!
//! The decrypted key set is held behind an `Arc` and swapped whole on reload, so the request
//! path (sign, verify, JWKS) never waits on Postgres once a set is loaded. Which key signs is
//! decided at each call from the cached timestamps (see [`super::state`]), so a scheduled
//! activation takes effect on time even between reloads.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use openidconnect::core::CoreJsonWebKey;
use serde::Serialize;

use super::jws::{self, Parsed};
use super::state::active_index;
use super::store::{self, SealedRow};
use super::{KeyError, KeyMeta, SigningAlg, SigningKey, sealed};
use crate::config::Secret32;

/// After a failed reload, how long the previous set is served before trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// An unknown kid forces a reload only if the set is at least this old: a flood of tokens
/// with made-up kids costs at most one query per interval.
const MIN_FORCED_RELOAD: Duration = Duration::from_secs(1);

/// The key set as this node sees it, refreshed from Postgres every `keys.cache_secs`.
#[derive(Clone)]
pub struct KeyRing {
    inner: Arc<Inner>,
}

struct Inner {
    db: deadpool_postgres::Pool,
    kek: Secret32,
    cache: Duration,
    current: RwLock<Option<Arc<KeySet>>>,
    /// Held by the one task reloading; the others keep using `current`.
    reload: tokio::sync::Mutex<()>,
    last_failure: RwLock<Option<Instant>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("cache", &self.inner.cache)
            .finish_non_exhaustive()
    }
}

/// One loaded key with its current timestamps.
#[derive(Debug)]
struct Entry {
    meta: KeyMeta,
    key: Arc<SigningKey>,
}

impl AsRef<KeyMeta> for Entry {
    fn as_ref(&self) -> &KeyMeta {
        &self.meta
    }
}

/// Every unretired key, decrypted, and the JWKS serialised once.
#[derive(Debug)]
struct KeySet {
    loaded_at: Instant,
    entries: Vec<Entry>,
    jwks: Arc<str>,
}

/// RFC 7517 §5: `{"keys": [...]}`.
#[derive(Serialize)]
struct Jwks<'a> {
    keys: Vec<&'a CoreJsonWebKey>,
}

impl KeySet {
    /// Decrypts `rows`, reusing keys already decrypted in `previous` (a kid never changes
    /// its key material, only its timestamps).
    fn build(
        rows: Vec<SealedRow>,
        kek: &Secret32,
        previous: Option<&KeySet>,
        now: DateTime<Utc>,
    ) -> Result<Self, KeyError> {
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            if row.meta.is_retired(now) {
                continue;
            }
            let reused = previous.and_then(|p| {
                p.entries
                    .iter()
                    .find(|e| e.meta.kid == row.meta.kid && e.meta.alg == row.meta.alg)
            });
            let key = match reused {
                Some(entry) => Arc::clone(&entry.key),
                None => {
                    let der = sealed::unseal(kek, &row.meta.kid, &row.sealed)?;
                    Arc::new(SigningKey::from_pkcs8(&row.meta.kid, row.meta.alg, &der)?)
                }
            };
            entries.push(Entry {
                meta: row.meta,
                key,
            });
        }
        let jwks = Jwks {
            keys: entries.iter().map(|e| e.key.jwk()).collect(),
        };
        let jwks = serde_json::to_string(&jwks).map_err(|e| KeyError::Other(e.to_string()))?;
        Ok(KeySet {
            loaded_at: Instant::now(),
            entries,
            jwks: jwks.into(),
        })
    }

    fn active(&self, alg: SigningAlg, now: DateTime<Utc>) -> Option<&Arc<SigningKey>> {
        active_index(&self.entries, alg, now).map(|i| &self.entries[i].key)
    }

    /// Verifies with the published key named by the token; `None` if the kid is unknown here.
    fn verify(&self, parsed: &Parsed<'_>, now: DateTime<Utc>) -> Option<Result<Vec<u8>, KeyError>> {
        let entry = self.entries.iter().find(|e| e.meta.kid == parsed.kid)?;
        if entry.meta.is_retired(now) {
            // Out of the JWKS (state rules): it verifies nothing any more.
            return Some(Err(KeyError::InvalidToken));
        }
        Some(jws::verify(parsed, &entry.key))
    }
}

impl KeyRing {
    /// A key ring over the database.
    pub fn new(db: deadpool_postgres::Pool, kek: Secret32, cache_secs: u64) -> Self {
        KeyRing {
            inner: Arc::new(Inner {
                db,
                kek,
                cache: Duration::from_secs(cache_secs),
                current: RwLock::new(None),
                reload: tokio::sync::Mutex::new(()),
                last_failure: RwLock::new(None),
            }),
        }
    }

    /// The key that signs with `alg` now.
    pub async fn signer(&self, alg: SigningAlg) -> Result<Arc<SigningKey>, KeyError> {
        let set = self.current().await?;
        set.active(alg, Utc::now())
            .cloned()
            .ok_or(KeyError::NoActiveKey(alg))
    }

    /// The JWKS document (every published key), serialised.
    pub async fn jwks(&self) -> Result<Arc<str>, KeyError> {
        Ok(Arc::clone(&self.current().await?.jwks))
    }

    /// Verifies a compact JWS signed by one of our published keys; returns the payload.
    ///
    /// The header `alg` must be on the allowlist and be the key's own; claims are not checked.
    /// An unknown kid forces one reload (the key may come from a rotation on another node).
    pub async fn verify(&self, jws: &str) -> Result<Vec<u8>, KeyError> {
        self.verify_parsed(&jws::parse(jws)?).await
    }

    /// [`Self::verify`] for a token already parsed (by [`super::parse_jws`]), so a caller
    /// that first checks the header `typ` does not decode the header twice.
    pub async fn verify_parsed(&self, parsed: &Parsed<'_>) -> Result<Vec<u8>, KeyError> {
        let set = self.current().await?;
        if let Some(result) = set.verify(parsed, Utc::now()) {
            return result;
        }
        let set = self.reload_after(&set).await;
        set.verify(parsed, Utc::now())
            .unwrap_or(Err(KeyError::InvalidToken))
    }

    /// Reads the key set from Postgres now (start-up check, tests); waits for a reload in flight.
    pub async fn reload(&self) -> Result<(), KeyError> {
        let _guard = self.inner.reload.lock().await;
        let previous = self.snapshot();
        self.load(previous.as_deref()).await.map(drop)
    }

    fn snapshot(&self) -> Option<Arc<KeySet>> {
        self.inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn fresh(&self, set: &KeySet) -> bool {
        set.loaded_at.elapsed() < self.inner.cache
    }

    fn failed_recently(&self) -> bool {
        self.inner
            .last_failure
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < RETRY_AFTER_FAILURE)
    }

    /// The set to use now: the cached one while fresh; otherwise one task reloads while the
    /// others keep the old set. Only the very first load makes callers wait.
    async fn current(&self) -> Result<Arc<KeySet>, KeyError> {
        match self.snapshot() {
            Some(set) if self.fresh(&set) || self.failed_recently() => Ok(set),
            Some(set) => {
                let Ok(_guard) = self.inner.reload.try_lock() else {
                    return Ok(set);
                };
                Ok(self.load_or_keep(set).await)
            }
            None => {
                let _guard = self.inner.reload.lock().await;
                if let Some(set) = self.snapshot() {
                    return Ok(set);
                }
                if self.failed_recently() {
                    // Callers queued behind a failed first load do not each retry it.
                    return Err(KeyError::Other(
                        "key set not loaded yet; retrying soon".into(),
                    ));
                }
                self.load(None).await
            }
        }
    }

    /// One reload after `seen` lacked a kid, unless `seen` is brand new or another task
    /// reloaded meanwhile.
    async fn reload_after(&self, seen: &Arc<KeySet>) -> Arc<KeySet> {
        if seen.loaded_at.elapsed() < MIN_FORCED_RELOAD {
            return Arc::clone(seen);
        }
        let _guard = self.inner.reload.lock().await;
        match self.snapshot() {
            Some(current) if !Arc::ptr_eq(&current, seen) => current,
            _ => self.load_or_keep(Arc::clone(seen)).await,
        }
    }

    /// Reloads (the caller holds the reload lock); on failure keeps serving `old`.
    async fn load_or_keep(&self, old: Arc<KeySet>) -> Arc<KeySet> {
        match self.load(Some(&old)).await {
            Ok(set) => set,
            Err(error) => {
                tracing::warn!(%error, "signing keys: reload failed, serving the previous set");
                old
            }
        }
    }

    /// Reads and decrypts the unretired keys and installs them (caller holds the reload lock).
    async fn load(&self, previous: Option<&KeySet>) -> Result<Arc<KeySet>, KeyError> {
        let result = async {
            let client = self.inner.db.get().await?;
            let now = Utc::now();
            let rows = store::unretired(&client, now).await?;
            KeySet::build(rows, &self.inner.kek, previous, now)
        }
        .await;
        let mut last_failure = self
            .inner
            .last_failure
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(set) => {
                *last_failure = None;
                drop(last_failure);
                let set = Arc::new(set);
                *self
                    .inner
                    .current
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&set));
                Ok(set)
            }
            Err(error) => {
                *last_failure = Some(Instant::now());
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeDelta;

    use super::*;
    use crate::keys::state::{KeyState, key_states};

    fn kek() -> Secret32 {
        Secret32::new(Box::new([3; 32]))
    }

    /// A sealed row for a fresh key, activating `activate` seconds from `now`.
    fn row(
        alg: SigningAlg,
        now: DateTime<Utc>,
        activate: i64,
        retire: Option<i64>,
    ) -> (SealedRow, SigningKey) {
        let (key, der) = SigningKey::generate(alg).unwrap();
        let meta = KeyMeta {
            kid: key.kid().to_owned(),
            alg,
            created_at: now - TimeDelta::seconds(3600),
            activate_at: now + TimeDelta::seconds(activate),
            retire_at: retire.map(|r| now + TimeDelta::seconds(r)),
        };
        let sealed = sealed::seal(&kek(), key.kid(), &der).unwrap();
        (SealedRow { meta, sealed }, key)
    }

    #[test]
    fn key_set_signs_publishes_and_verifies() {
        let now = Utc::now();
        let (rs_old, rs_old_key) = row(SigningAlg::Rs256, now, -100, Some(60));
        let (rs, _) = row(SigningAlg::Rs256, now, -10, None);
        let (es, _) = row(SigningAlg::Es256, now, -10, None);
        let (ed, _) = row(SigningAlg::EdDsa, now, -10, None);
        let (ed_next, ed_next_key) = row(SigningAlg::EdDsa, now, 60, None);
        let (gone, gone_key) = row(SigningAlg::Es256, now, -100, Some(-1));
        let rows = vec![rs_old, rs, es, ed, ed_next, gone];
        let kids: Vec<String> = rows.iter().map(|r| r.meta.kid.clone()).collect();
        let set = KeySet::build(rows, &kek(), None, now).unwrap();

        // The retired row is dropped; the state rules give one active key per alg.
        assert_eq!(set.entries.len(), 5);
        assert_eq!(
            key_states(&set.entries, now),
            [
                KeyState::Retiring,
                KeyState::Active,
                KeyState::Active,
                KeyState::Active,
                KeyState::Next
            ]
        );
        assert_eq!(set.active(SigningAlg::Rs256, now).unwrap().kid(), kids[1]);
        assert_eq!(set.active(SigningAlg::Es256, now).unwrap().kid(), kids[2]);
        assert_eq!(set.active(SigningAlg::EdDsa, now).unwrap().kid(), kids[3]);
        // Once its activation passes, the next key signs, with no reload.
        let later = now + TimeDelta::seconds(61);
        assert_eq!(set.active(SigningAlg::EdDsa, later).unwrap().kid(), kids[4]);

        // JWKS: next, active and retiring keys; not the retired one; no private member.
        let jwks: serde_json::Value = serde_json::from_str(&set.jwks).unwrap();
        let listed: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(
            listed,
            kids[..5].iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert!(!set.jwks.contains("\"d\""));

        // Verification through the same path KeyRing::verify takes.
        for alg in SigningAlg::ALL {
            let signer = set.active(alg, now).unwrap();
            let jws = signer
                .sign_jwt("JWT", &serde_json::json!({"a": 1}))
                .unwrap();
            let payload = set
                .verify(&jws::parse(&jws).unwrap(), now)
                .unwrap()
                .unwrap();
            assert_eq!(payload, br#"{"a":1}"#);
        }
        for key in [&rs_old_key, &ed_next_key] {
            let jws = key.sign_jwt("JWT", &1).unwrap();
            assert!(set.verify(&jws::parse(&jws).unwrap(), now).unwrap().is_ok());
        }
        // Retiring key: refused once its retire_at passes.
        let jws = rs_old_key.sign_jwt("JWT", &1).unwrap();
        let parsed = jws::parse(&jws).unwrap();
        assert!(matches!(
            set.verify(&parsed, now + TimeDelta::seconds(60)),
            Some(Err(KeyError::InvalidToken))
        ));
        // Retired (never loaded) and unknown kids: None, i.e. "reload, then give up".
        let jws = gone_key.sign_jwt("JWT", &1).unwrap();
        assert!(set.verify(&jws::parse(&jws).unwrap(), now).is_none());
        let stranger = SigningKey::generate(SigningAlg::EdDsa).unwrap().0;
        let jws = stranger.sign_jwt("JWT", &1).unwrap();
        assert!(set.verify(&jws::parse(&jws).unwrap(), now).is_none());
    }

    #[test]
    fn rebuild_reuses_decrypted_keys_and_refuses_bad_seals() {
        let now = Utc::now();
        let (a, _) = row(SigningAlg::Es256, now, -10, None);
        let again = SealedRow {
            meta: a.meta.clone(),
            sealed: Vec::new(), // would not open: proves the previous key is reused
        };
        let first = KeySet::build(vec![a], &kek(), None, now).unwrap();
        let second = KeySet::build(vec![again], &kek(), Some(&first), now).unwrap();
        assert!(Arc::ptr_eq(&first.entries[0].key, &second.entries[0].key));

        let (b, _) = row(SigningAlg::Es256, now, -10, None);
        let wrong = Secret32::new(Box::new([4; 32]));
        assert!(matches!(
            KeySet::build(vec![b], &wrong, Some(&first), now),
            Err(KeyError::Unseal { .. })
        ));
    }
}
