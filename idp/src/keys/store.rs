//! The `signing_keys` table (migrations/V1__provider_core.sql).

use chrono::{DateTime, SubsecRound as _, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{KeyError, KeyMeta, SigningAlg};

const SELECT_ALL: &str = "SELECT kid, alg, created_at, activate_at, retire_at FROM signing_keys \
                          ORDER BY alg, activate_at, created_at, kid";

const SELECT_UNRETIRED: &str = "SELECT kid, alg, created_at, activate_at, retire_at, private_sealed \
                                FROM signing_keys WHERE retire_at IS NULL OR retire_at > $1 \
                                ORDER BY alg, activate_at, created_at, kid";

const INSERT: &str = "INSERT INTO signing_keys \
                      (kid, alg, public_jwk, private_sealed, created_at, activate_at) \
                      VALUES ($1, $2, $3, $4, $5, $6)";

const SCHEDULE_RETIREMENT: &str = "UPDATE signing_keys SET retire_at = $3 \
                                   WHERE alg = $1 AND kid <> $2 AND retire_at IS NULL";

/// Serialises key-set changes across nodes for the rest of the caller's transaction
/// (outside a transaction it is released at once and only costs a round trip).
/// The key is ASCII "idp_keys".
const LOCK: &str = "SELECT pg_advisory_xact_lock(7594318426779515251)";

/// A row with its sealed private part.
#[derive(Debug)]
pub(super) struct SealedRow {
    pub(super) meta: KeyMeta,
    pub(super) sealed: Vec<u8>,
}

/// A row to insert.
#[derive(Debug)]
pub(super) struct NewRow<'a> {
    pub(super) meta: &'a KeyMeta,
    pub(super) public_jwk: serde_json::Value,
    pub(super) sealed: &'a [u8],
}

/// The current time at the precision `timestamptz` keeps (microseconds), so what a caller
/// returns equals what a later read gives back.
pub(super) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn corrupt(kid: &str, reason: impl ToString) -> KeyError {
    KeyError::Corrupt {
        kid: kid.to_owned(),
        reason: reason.to_string(),
    }
}

fn meta(row: &Row) -> Result<KeyMeta, KeyError> {
    let kid: String = row.try_get("kid")?;
    let alg: String = row.try_get("alg")?;
    let alg = SigningAlg::parse(&alg).ok_or_else(|| corrupt(&kid, format!("alg {alg}")))?;
    Ok(KeyMeta {
        alg,
        created_at: row.try_get("created_at")?,
        activate_at: row.try_get("activate_at")?,
        retire_at: row.try_get("retire_at")?,
        kid,
    })
}

/// Takes the key-set lock until the caller's transaction ends.
pub(super) async fn lock(client: &impl GenericClient) -> Result<(), KeyError> {
    client.execute(LOCK, &[]).await?;
    Ok(())
}

/// Every key, retired ones included.
pub(super) async fn all(client: &impl GenericClient) -> Result<Vec<KeyMeta>, KeyError> {
    client
        .query(SELECT_ALL, &[])
        .await?
        .iter()
        .map(meta)
        .collect()
}

/// Every key not retired at `now`, with its sealed private part.
pub(super) async fn unretired(
    client: &impl GenericClient,
    now: DateTime<Utc>,
) -> Result<Vec<SealedRow>, KeyError> {
    client
        .query(SELECT_UNRETIRED, &[&now])
        .await?
        .iter()
        .map(|row| {
            Ok(SealedRow {
                meta: meta(row)?,
                sealed: row.try_get("private_sealed")?,
            })
        })
        .collect()
}

/// Inserts a key.
pub(super) async fn insert(client: &impl GenericClient, row: &NewRow<'_>) -> Result<(), KeyError> {
    let m = row.meta;
    client
        .execute(
            INSERT,
            &[
                &m.kid,
                &m.alg.as_str(),
                &row.public_jwk,
                &row.sealed,
                &m.created_at,
                &m.activate_at,
            ],
        )
        .await?;
    Ok(())
}

/// Sets `retire_at` on every unretired key of `alg` but `except`; returns how many.
pub(super) async fn schedule_retirement(
    client: &impl GenericClient,
    alg: SigningAlg,
    except: &str,
    retire_at: DateTime<Utc>,
) -> Result<u64, KeyError> {
    Ok(client
        .execute(SCHEDULE_RETIREMENT, &[&alg.as_str(), &except, &retire_at])
        .await?)
}
