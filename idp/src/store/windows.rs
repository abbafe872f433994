//! Per-IP request windows shared by every node (beside tower-governor's per-process shaping):
//! a fixed one-minute window counted atomically in Redis.

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
pub async fn allow(kv: &Kv, what: &str, ip: IpAddr, limit: u32) -> Result<bool, StoreError> {
    let minute = chrono::Utc::now().timestamp() / 60;
    let mut conn = kv.conn();
    let n: u32 = HIT
        .key(kv.key(&format!("window:{what}:{minute}"), &ip.to_string()))
        .arg(61)
        .invoke_async(&mut conn)
        .await?;
    Ok(n <= limit)
}
