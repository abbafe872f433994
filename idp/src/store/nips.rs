//! NIPs (migration V7): keyed hashes only, one live per professional.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// Invalidates the professional's live NIP, if any (another is being issued).
pub async fn invalidate_live(client: &impl GenericClient, number: &str) -> Result<u64, StoreError> {
    const SQL: &str = "UPDATE nips SET invalidated_at = now() WHERE professional_number = $1 \
                       AND used_at IS NULL AND invalidated_at IS NULL";
    Ok(sql::execute(client, SQL, &[&number]).await?)
}

/// Stores a new NIP's hash.
pub async fn insert(
    client: &impl GenericClient,
    number: &str,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    const SQL: &str = "INSERT INTO nips (id, professional_number, nip_hash, expires_at) \
                       VALUES ($1, $2, $3, $4)";
    let id = Uuid::now_v7();
    sql::execute(client, SQL, &[&id, &number, &hash, &expires_at]).await?;
    Ok(id)
}

/// A professional's live NIP (not used, not invalidated), locked for the caller's
/// transaction.
#[derive(Debug)]
pub struct Live {
    /// Its id.
    pub id: Uuid,
    /// Its keyed hash.
    pub hash: Vec<u8>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// The professional's date of birth in the register, if any.
    pub birth_date: Option<chrono::NaiveDate>,
}

/// The live NIP of `number`, locked.
pub async fn live_for_update(
    client: &impl GenericClient,
    number: &str,
) -> Result<Option<Live>, StoreError> {
    const SQL: &str = "SELECT n.id, n.nip_hash, n.expires_at, p.birth_date \
                       FROM nips n JOIN professionals p ON p.number = n.professional_number \
                       WHERE n.professional_number = $1 \
                       AND n.used_at IS NULL AND n.invalidated_at IS NULL FOR UPDATE OF n";
    let Some(row) = sql::query_opt(client, SQL, &[&number]).await? else {
        return Ok(None);
    };
    Ok(Some(Live {
        id: row.col("id")?,
        hash: row.col("nip_hash")?,
        expires_at: row.col("expires_at")?,
        birth_date: row.col("birth_date")?,
    }))
}

/// Counts a wrong try; at `max` the NIP dies. Returns whether it died.
pub async fn wrong_try(
    client: &impl GenericClient,
    id: Uuid,
    max: i32,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE nips SET wrong_tries = wrong_tries + 1, \
                       invalidated_at = CASE WHEN wrong_tries + 1 >= $2 THEN now() END \
                       WHERE id = $1 RETURNING invalidated_at IS NOT NULL AS dead";
    let row = sql::query_one(client, SQL, &[&id, &max]).await?;
    row.col("dead")
}

/// Uses a NIP (once): `false` when it is no longer live or has expired meanwhile.
pub async fn consume(client: &impl GenericClient, id: Uuid) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE nips SET used_at = now() WHERE id = $1 AND used_at IS NULL \
                       AND invalidated_at IS NULL AND expires_at > now()";
    Ok(sql::execute(client, SQL, &[&id]).await? == 1)
}
