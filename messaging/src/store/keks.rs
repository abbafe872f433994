//! Key-encryption keys (KEKs), sealed by the master key, and the thread data keys they wrap
//! (migration V1, `keks` and `threads.wrapped_key`).

use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// A KEK as stored.
#[derive(Debug, Clone)]
pub struct StoredKek {
    /// Its id (the AAD of its sealing).
    pub id: Uuid,
    /// Sealed under the master key; `None` once retired.
    pub sealed: Option<Vec<u8>>,
}

fn stored(row: &tokio_postgres::Row) -> Result<StoredKek, StoreError> {
    Ok(StoredKek {
        id: row.col("id")?,
        sealed: row.col("sealed")?,
    })
}

/// The active KEK, locked `FOR SHARE` until the caller's transaction ends: a rotation that
/// would demote it waits, so a data key is never wrapped under a KEK that is being retired
/// without the rotation seeing it.
pub async fn active_for_share(
    client: &impl GenericClient,
) -> Result<Option<StoredKek>, StoreError> {
    const SQL: &str = "SELECT id, sealed FROM keks WHERE state = 'active' FOR SHARE";
    sql::query_opt(client, SQL, &[])
        .await?
        .map(|r| stored(&r))
        .transpose()
}

/// A KEK by id.
pub async fn get(client: &impl GenericClient, id: Uuid) -> Result<Option<StoredKek>, StoreError> {
    const SQL: &str = "SELECT id, sealed FROM keks WHERE id = $1";
    sql::query_opt(client, SQL, &[&id])
        .await?
        .map(|r| stored(&r))
        .transpose()
}

/// Demotes the active KEK to `retiring` and stores `sealed` as the new active one.
pub async fn replace_active(
    client: &impl GenericClient,
    id: Uuid,
    sealed: &[u8],
) -> Result<(), StoreError> {
    const DEMOTE: &str = "UPDATE keks SET state = 'retiring' WHERE state = 'active'";
    const INSERT: &str = "INSERT INTO keks (id, sealed, state) VALUES ($1, $2, 'active')";
    sql::execute(client, DEMOTE, &[]).await?;
    sql::execute(client, INSERT, &[&id, &sealed]).await?;
    Ok(())
}

/// A thread whose data key a retiring KEK still wraps.
#[derive(Debug)]
pub struct ToRewrap {
    /// What holds the key.
    pub owner: KeyOwner,
    /// The thread, or the draft of a new thread (the id its key is wrapped under).
    pub thread_id: Uuid,
    /// The KEK wrapping its key now.
    pub kek_id: Uuid,
    /// The wrapped data key.
    pub wrapped_key: Vec<u8>,
}

/// Where a wrapped data key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOwner {
    /// A thread's.
    Thread,
    /// A new thread's draft's.
    Draft,
}

/// Up to `limit` data keys of `owner` that a non-active KEK wraps, locked for the caller's
/// transaction.
pub async fn to_rewrap(
    client: &impl GenericClient,
    owner: KeyOwner,
    limit: i64,
) -> Result<Vec<ToRewrap>, StoreError> {
    const THREADS: &str = "SELECT t.id, t.kek_id, t.wrapped_key FROM threads t \
                           JOIN keks k ON k.id = t.kek_id WHERE k.state <> 'active' \
                           LIMIT $1 FOR UPDATE OF t";
    const DRAFTS: &str = "SELECT d.id, d.kek_id, d.wrapped_key FROM drafts d \
                          JOIN keks k ON k.id = d.kek_id WHERE k.state <> 'active' \
                          LIMIT $1 FOR UPDATE OF d";
    let sql = match owner {
        KeyOwner::Thread => THREADS,
        KeyOwner::Draft => DRAFTS,
    };
    sql::query(client, sql, &[&limit])
        .await?
        .iter()
        .map(|row| {
            Ok(ToRewrap {
                owner,
                thread_id: row.col("id")?,
                kek_id: row.col("kek_id")?,
                wrapped_key: row.col("wrapped_key")?,
            })
        })
        .collect()
}

/// Stores a data key wrapped under another KEK.
pub async fn rewrap(
    client: &impl GenericClient,
    owner: KeyOwner,
    id: Uuid,
    kek: Uuid,
    wrapped: &[u8],
) -> Result<(), StoreError> {
    const THREADS: &str = "UPDATE threads SET kek_id = $2, wrapped_key = $3 WHERE id = $1";
    const DRAFTS: &str = "UPDATE drafts SET kek_id = $2, wrapped_key = $3 WHERE id = $1";
    let sql = match owner {
        KeyOwner::Thread => THREADS,
        KeyOwner::Draft => DRAFTS,
    };
    sql::execute(client, sql, &[&id, &kek, &wrapped]).await?;
    Ok(())
}

/// Retires every retiring KEK that no thread uses any more, erasing its material. Returns
/// how many were retired.
pub async fn retire_unused(client: &impl GenericClient) -> Result<u64, StoreError> {
    const SQL: &str = "UPDATE keks k SET state = 'retired', sealed = NULL, retired_at = now() \
                       WHERE k.state = 'retiring' \
                         AND NOT EXISTS (SELECT 1 FROM threads t WHERE t.kek_id = k.id) \
                         AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.kek_id = k.id)";
    Ok(sql::execute(client, SQL, &[]).await?)
}

/// One line of `messaging keys list`.
#[derive(Debug)]
pub struct Listed {
    /// Id.
    pub id: Uuid,
    /// `active`, `retiring` or `retired`.
    pub state: String,
    /// When it was made.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Data keys it wraps (threads' and new threads' drafts').
    pub data_keys: i64,
}

/// Every KEK, newest first, with the number of data keys it wraps.
pub async fn list(client: &impl GenericClient) -> Result<Vec<Listed>, StoreError> {
    const SQL: &str = "SELECT k.id, k.state, k.created_at, \
                              (SELECT count(*) FROM threads t WHERE t.kek_id = k.id) \
                              + (SELECT count(*) FROM drafts d WHERE d.kek_id = k.id) AS data_keys \
                         FROM keks k ORDER BY k.created_at DESC, k.id DESC";
    sql::query(client, SQL, &[])
        .await?
        .iter()
        .map(|row| {
            Ok(Listed {
                id: row.col("id")?,
                state: row.col("state")?,
                created_at: row.col("created_at")?,
                data_keys: row.col("data_keys")?,
            })
        })
        .collect()
}

/// Whether a rotation is unfinished: some KEK is still `retiring`.
pub async fn rotation_unfinished(client: &impl GenericClient) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT 1 FROM keks WHERE state = 'retiring' LIMIT 1";
    Ok(sql::query_opt(client, SQL, &[]).await?.is_some())
}

/// Stores the first KEK of a database as active; `false` when another node made one first.
pub async fn insert_first(
    client: &impl GenericClient,
    id: Uuid,
    sealed: &[u8],
) -> Result<bool, StoreError> {
    const SQL: &str = "INSERT INTO keks (id, sealed, state) VALUES ($1, $2, 'active') \
                       ON CONFLICT (state) WHERE state = 'active' DO NOTHING";
    Ok(sql::execute(client, SQL, &[&id, &sealed]).await? == 1)
}
