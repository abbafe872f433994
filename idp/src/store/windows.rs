//! Counting windows shared by every node, counted atomically in Redis: per-IP requests per
//! minute (beside tower-governor's per-process shaping) and events per id (e-mails per account).

use redis::Script;
use std::net::IpAddr;
use std::sync::LazyLock;

use super::{Kv, StoreError};

static HIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local n = redis.call('INCR', KEYS[1])
          if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
          return n",
    )
});

/// Counts one request of `what` from `ip` in the current minute; returns whether it is within
/// `limit`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn allow(kv: &Kv, what: &str, ip: IpAddr, limit: u32) -> Result<bool, StoreError> {
    let minute = chrono::Utc::now().timestamp() / 60;
    let key = kv.key(&format!("window:{what}:{minute}"), &ip.to_string());
    Ok(hit(kv, key, 61).await? <= limit)
}

/// Counts one event of `kind` for `id` in a window of `window_secs` that opens at its first
/// event; returns whether the count is within `limit` (e-mails per account per hour).
#[tracing::instrument(level = "debug", skip_all, fields(kind = %kind))]
pub async fn within(
    kv: &Kv,
    kind: &str,
    id: &str,
    window_secs: u64,
    limit: u32,
) -> Result<bool, StoreError> {
    Ok(add(kv, kind, id, window_secs).await? <= limit)
}

/// Counts one event of `kind` for `id` in a window of `window_secs` that opens at its first
/// event; returns the count so far, this one included.
#[tracing::instrument(level = "debug", skip_all, fields(kind = %kind))]
pub async fn add(kv: &Kv, kind: &str, id: &str, window_secs: u64) -> Result<u32, StoreError> {
    hit(kv, kv.key(kind, id), window_secs).await
}

/// The events of `kind` for `id` in its current window (0 when none).
#[tracing::instrument(level = "debug", skip_all, fields(kind = %kind))]
pub async fn count(kv: &Kv, kind: &str, id: &str) -> Result<u32, StoreError> {
    let mut conn = kv.conn();
    let n: Option<u32> = redis::cmd("GET")
        .arg(kv.key(kind, id))
        .query_async(&mut conn)
        .await?;
    Ok(n.unwrap_or(0))
}

#[tracing::instrument(level = "debug", skip_all)]
async fn hit(kv: &Kv, key: String, window_secs: u64) -> Result<u32, StoreError> {
    let mut conn = kv.conn();
    Ok(HIT
        .key(key)
        .arg(window_secs.max(1))
        .invoke_async(&mut conn)
        .await?)
}
