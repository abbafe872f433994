//! `messaging keys rotate`: a new key-encryption key, every data key (threads', and new
//! threads' drafts') re-wrapped under it in small transactions (no message is re-encrypted), then the old KEK retired and its
//! material erased. Interrupted, the next `keys rotate` finishes the unfinished rotation
//! before anything else; every message stays readable throughout, because a data key is
//! always wrapped by a KEK that still has its material.

use deadpool_postgres::Pool;

use super::{CryptoError, Kek, Keyring};
use crate::store::StoreError;
use crate::store::keks::{self, KeyOwner};

/// What a rotation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// A new KEK was made (false when an unfinished rotation was resumed).
    pub started: bool,
    /// Data keys re-wrapped.
    pub rewrapped: u64,
    /// KEKs retired.
    pub retired: u64,
}

/// Makes a new active KEK; the previous one becomes `retiring`. Waits for transactions that
/// are wrapping a new thread's key under the previous one to end.
pub async fn begin(pool: &Pool, keyring: &Keyring) -> Result<(), CryptoError> {
    let mut db = pool.get().await.map_err(StoreError::from)?;
    let tx = db.transaction().await.map_err(StoreError::from)?;
    let (kek, sealed) = Kek::generate(keyring.master())?;
    keks::replace_active(&tx, kek.id, &sealed).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(kek = %kek.id, "key-encryption key rotation begun");
    Ok(())
}

/// Re-wraps up to `limit` data keys under the active KEK, in one transaction. Returns how
/// many it re-wrapped (0: none left).
pub async fn rewrap_batch(pool: &Pool, keyring: &Keyring, limit: i64) -> Result<u64, CryptoError> {
    let mut db = pool.get().await.map_err(StoreError::from)?;
    let tx = db.transaction().await.map_err(StoreError::from)?;
    let active = keks::active_for_share(&tx)
        .await?
        .ok_or(CryptoError::NoActiveKek)?;
    let active = keyring.kek_by_id(&tx, active.id).await?;
    let mut batch = keks::to_rewrap(&tx, KeyOwner::Thread, limit).await?;
    let room = limit - batch.len() as i64;
    if room > 0 {
        batch.extend(keks::to_rewrap(&tx, KeyOwner::Draft, room).await?);
    }
    for held in &batch {
        let old = keyring.kek_by_id(&tx, held.kek_id).await?;
        let key = old.unwrap_key(held.thread_id, &held.wrapped_key)?;
        let wrapped = active.wrap(held.thread_id, &key)?;
        keks::rewrap(&tx, held.owner, held.thread_id, active.id, &wrapped).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(batch.len() as u64)
}

/// Rotates (or resumes an unfinished rotation) to the end.
pub async fn rotate(pool: &Pool, keyring: &Keyring, batch: i64) -> Result<Report, CryptoError> {
    let mut report = Report::default();
    let unfinished = {
        let db = pool.get().await.map_err(StoreError::from)?;
        keks::rotation_unfinished(&db).await?
    };
    if !unfinished {
        begin(pool, keyring).await?;
        report.started = true;
    }
    loop {
        let done = rewrap_batch(pool, keyring, batch).await?;
        report.rewrapped += done;
        if done == 0 {
            break;
        }
    }
    let db = pool.get().await.map_err(StoreError::from)?;
    report.retired = keks::retire_unused(&db).await?;
    Ok(report)
}
