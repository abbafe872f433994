//! NIPs (migration V7): keyed hashes only, one live per professional.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, StoreError, sql};

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
