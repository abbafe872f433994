//! Seeding, rotating and listing keys: what start-up and `idp keys …` call.
//!
//! Every function takes `client: &impl GenericClient`, a pooled client or a transaction.
//! [`ensure_keys`] and [`rotate`] take a transaction-scoped advisory lock first, so when the
//! caller passes a transaction (READ COMMITTED, the default) two nodes doing the same thing
//! at once are serialised and the second sees the first's keys.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;

use super::state::key_states;
use super::store::{self, NewRow};
use super::{KeyError, KeyMeta, KeyState, SigningAlg, SigningKey, sealed};
use crate::config::Secret32;

/// One key as `idp keys list` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlg,
    /// State now.
    pub state: KeyState,
    /// When the row was written.
    pub created_at: DateTime<Utc>,
    /// When it signs from.
    pub activate_at: DateTime<Utc>,
    /// When it leaves the JWKS, if scheduled.
    pub retire_at: Option<DateTime<Utc>>,
}

impl KeyInfo {
    fn new(meta: KeyMeta, state: KeyState) -> Self {
        KeyInfo {
            kid: meta.kid,
            alg: meta.alg,
            state,
            created_at: meta.created_at,
            activate_at: meta.activate_at,
            retire_at: meta.retire_at,
        }
    }
}

/// A generated key with its private part already sealed (the plaintext is zeroized here).
struct Prepared {
    key: SigningKey,
    sealed: Vec<u8>,
}

/// Generates off the async threads (RSA generation takes a noticeable fraction of a second).
async fn prepare(kek: &Secret32, alg: SigningAlg) -> Result<Prepared, KeyError> {
    let (key, pkcs8) = tokio::task::spawn_blocking(move || SigningKey::generate(alg))
        .await
        .map_err(|e| KeyError::Other(format!("key generation task: {e}")))??;
    let sealed = sealed::seal(kek, key.kid(), &pkcs8)?;
    Ok(Prepared { key, sealed })
}

async fn insert(
    client: &impl GenericClient,
    prepared: &Prepared,
    created_at: DateTime<Utc>,
    activate_at: DateTime<Utc>,
) -> Result<KeyMeta, KeyError> {
    let meta = KeyMeta {
        kid: prepared.key.kid().to_owned(),
        alg: prepared.key.alg(),
        created_at,
        activate_at,
        retire_at: None,
    };
    let public_jwk =
        serde_json::to_value(prepared.key.jwk()).map_err(|e| KeyError::Other(e.to_string()))?;
    let row = NewRow {
        meta: &meta,
        public_jwk,
        sealed: &prepared.sealed,
    };
    store::insert(client, &row).await?;
    Ok(meta)
}

fn distinct(algs: &[SigningAlg]) -> Vec<SigningAlg> {
    let mut out = Vec::with_capacity(algs.len());
    for alg in algs {
        if !out.contains(alg) {
            out.push(*alg);
        }
    }
    out
}

fn delta(d: Duration, what: &str) -> Result<TimeDelta, KeyError> {
    TimeDelta::from_std(d).map_err(|_| KeyError::Other(format!("{what} out of range")))
}

/// For each alg with neither an active nor a next key, inserts one that signs from now
/// (first start, dev seeding). Idempotent.
///
/// Pass a transaction to make concurrent starts insert one key per alg; without one a race
/// can insert two, which is harmless: both are published and the state rules pick the same
/// signer on every node.
pub async fn ensure_keys(
    client: &impl GenericClient,
    kek: &Secret32,
    algs: &[SigningAlg],
) -> Result<(), KeyError> {
    store::lock(client).await?;
    let keys = store::all(client).await?;
    let states = key_states(&keys, Utc::now());
    for alg in distinct(algs) {
        let covered = keys
            .iter()
            .zip(&states)
            .any(|(k, s)| k.alg == alg && matches!(s, KeyState::Active | KeyState::Next));
        if covered {
            continue;
        }
        let prepared = prepare(kek, alg).await?;
        let now = store::now();
        let meta = insert(client, &prepared, now, now).await?;
        tracing::info!(kid = %meta.kid, %alg, "signing key created");
    }
    Ok(())
}

/// Schedules a new key per alg, signing from `now + pre_publication`, and sets `retire_at`
/// on every older unretired key of that alg (the active one and any earlier `next`) to the
/// new key's `activate_at + longest_token`: a token signed just before the switch stays
/// verifiable until it expires. Returns the new keys.
///
/// Run it inside a transaction (`client` should be one): the inserts and the retirement
/// updates must land together, and the advisory lock serialises concurrent rotations.
/// `pre_publication` should be at least `keys.cache_secs` (and the relying parties' JWKS
/// cache time) so every node has the new key before it signs.
pub async fn rotate(
    client: &impl GenericClient,
    kek: &Secret32,
    algs: &[SigningAlg],
    pre_publication: Duration,
    longest_token: Duration,
) -> Result<Vec<KeyInfo>, KeyError> {
    let pre_publication = delta(pre_publication, "pre-publication")?;
    let longest_token = delta(longest_token, "longest token lifetime")?;
    let mut prepared = Vec::new();
    for alg in distinct(algs) {
        prepared.push(prepare(kek, alg).await?);
    }
    store::lock(client).await?;
    let now = store::now();
    let activate_at = now
        .checked_add_signed(pre_publication)
        .ok_or_else(|| KeyError::Other("pre-publication out of range".into()))?;
    let retire_at = activate_at
        .checked_add_signed(longest_token)
        .ok_or_else(|| KeyError::Other("longest token lifetime out of range".into()))?;
    let mut out = Vec::with_capacity(prepared.len());
    for p in &prepared {
        let meta = insert(client, p, now, activate_at).await?;
        let retiring = store::schedule_retirement(client, meta.alg, &meta.kid, retire_at).await?;
        tracing::info!(kid = %meta.kid, alg = %meta.alg, %activate_at, retiring, %retire_at,
            "signing key rotation scheduled");
        let state = if now < activate_at {
            KeyState::Next
        } else {
            KeyState::Active
        };
        out.push(KeyInfo::new(meta, state));
    }
    Ok(out)
}

/// A rotation by the configuration's rules — its algorithms, `keys.pre_publication_secs`, and
/// retirement after the longest token lifetime — the one `idp keys rotate` and the security
/// console both run.
pub async fn rotate_as_configured(
    client: &impl GenericClient,
    kek: &Secret32,
    config: &crate::config::Config,
) -> Result<Vec<KeyInfo>, KeyError> {
    rotate(
        client,
        kek,
        &config.keys.algorithms,
        Duration::from_secs(config.keys.pre_publication_secs),
        Duration::from_secs(config.longest_token_secs()),
    )
    .await
}

/// Every key with its state now, by alg then activation.
pub async fn list(client: &impl GenericClient) -> Result<Vec<KeyInfo>, KeyError> {
    let keys = store::all(client).await?;
    let states = key_states(&keys, Utc::now());
    Ok(keys
        .into_iter()
        .zip(states)
        .map(|(meta, state)| KeyInfo::new(meta, state))
        .collect())
}
