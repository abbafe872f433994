//! Short-lived JSON records in Redis under a random id, shared by every node: parked
//! authorization requests, forced credential changes, recovery challenges. Each expires by
//! itself; `take` reads and deletes in one step for single-use records.

use std::sync::LazyLock;

use redis::{ExistenceCheck, Script, SetExpiry, SetOptions};
use serde::{Serialize, de::DeserializeOwned};

use super::{Kv, StoreError};

/// Stores a record for `ttl_secs`.
#[tracing::instrument(level = "debug", skip_all, fields(kind = %kind))]
pub async fn put<T: Serialize>(
    kv: &Kv,
    kind: &str,
    id: &str,
    value: &T,
    ttl_secs: u64,
) -> Result<(), StoreError> {
    let options = SetOptions::default().with_expiration(SetExpiry::EX(ttl_secs.max(1)));
    set(kv, kind, id, value, options).await.map(drop)
}

/// Stores a record for `ttl_secs` unless one exists under that id (`SET NX`); whether it was
/// stored. Two nodes racing to create the same record: exactly one wins.
#[tracing::instrument(level = "debug", skip_all, fields(kind = %kind))]
pub async fn put_new<T: Serialize>(
    kv: &Kv,
    kind: &str,
    id: &str,
    value: &T,
    ttl_secs: u64,
) -> Result<bool, StoreError> {
    let options = SetOptions::default()
        .conditional_set(ExistenceCheck::NX)
        .with_expiration(SetExpiry::EX(ttl_secs.max(1)));
    set(kv, kind, id, value, options).await
}

/// Replaces a record that still exists, keeping its expiry (`SET XX KEEPTTL`); whether it
/// existed. A record taken or expired meanwhile is never brought back.
#[tracing::instrument(level = "debug", skip_all, fields(kind = %kind))]
pub async fn replace<T: Serialize>(
    kv: &Kv,
    kind: &str,
    id: &str,
    value: &T,
) -> Result<bool, StoreError> {
    let options = SetOptions::default()
        .conditional_set(ExistenceCheck::XX)
        .with_expiration(SetExpiry::KEEPTTL);
    set(kv, kind, id, value, options).await
}

/// `SET key <json> <options>`: whether Redis stored it (a conditional SET that does not
/// apply answers nil).
async fn set<T: Serialize>(
    kv: &Kv,
    kind: &str,
    id: &str,
    value: &T,
    options: SetOptions,
) -> Result<bool, StoreError> {
    let json = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.into()))?;
    let mut conn = kv.conn();
    let stored: Option<String> = redis::cmd("SET")
        .arg(kv.key(kind, id))
        .arg(json)
        .arg(options)
        .query_async(&mut conn)
        .await?;
    Ok(stored.is_some())
}

/// Deletes a record only while it still holds `value` (a lock released by its holder only).
#[tracing::instrument(level = "debug", skip_all, fields(kind = %kind))]
pub async fn delete_if<T: Serialize>(
    kv: &Kv,
    kind: &str,
    id: &str,
    value: &T,
) -> Result<(), StoreError> {
    static DELETE_IF: LazyLock<Script> = LazyLock::new(|| {
        Script::new(
            r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
              return 0",
        )
    });
    let json = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.into()))?;
    let mut conn = kv.conn();
    let _: i64 = DELETE_IF
        .key(kv.key(kind, id))
        .arg(json)
        .invoke_async(&mut conn)
        .await?;
    Ok(())
}

/// Reads a record, if it has not expired.
#[tracing::instrument(level = "debug", skip_all, fields(kind = %kind))]
pub async fn get<T: DeserializeOwned>(
    kv: &Kv,
    kind: &str,
    id: &str,
) -> Result<Option<T>, StoreError> {
    let mut conn = kv.conn();
    let json: Option<String> = redis::cmd("GET")
        .arg(kv.key(kind, id))
        .query_async(&mut conn)
        .await?;
    parse(json)
}

/// Reads and deletes a record at once: only one caller ever gets it.
#[tracing::instrument(level = "debug", skip_all, fields(kind = %kind))]
pub async fn take<T: DeserializeOwned>(
    kv: &Kv,
    kind: &str,
    id: &str,
) -> Result<Option<T>, StoreError> {
    let mut conn = kv.conn();
    let json: Option<String> = redis::cmd("GETDEL")
        .arg(kv.key(kind, id))
        .query_async(&mut conn)
        .await?;
    parse(json)
}

/// Forgets a record.
#[tracing::instrument(level = "debug", skip_all, fields(kind = %kind))]
pub async fn delete(kv: &Kv, kind: &str, id: &str) -> Result<(), StoreError> {
    let mut conn = kv.conn();
    let _: u8 = redis::cmd("DEL")
        .arg(kv.key(kind, id))
        .query_async(&mut conn)
        .await?;
    Ok(())
}

fn parse<T: DeserializeOwned>(json: Option<String>) -> Result<Option<T>, StoreError> {
    json.map(|j| serde_json::from_str(&j).map_err(|e| StoreError::Corrupt(e.into())))
        .transpose()
}
