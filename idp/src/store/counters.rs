//! Per-account failure counter and temporary lock, atomic in Redis so every node sees the same
//! count (the lockout policy itself grows in the credential-lifecycle issue).

use redis::Script;
use std::sync::LazyLock;
use uuid::Uuid;

use super::{Kv, StoreError};

static FAIL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local n = redis.call('INCR', KEYS[1])
          if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
          if n >= tonumber(ARGV[1]) then
            redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
            redis.call('DEL', KEYS[1])
            return 1
          end
          return 0",
    )
});

/// Whether the account is temporarily locked.
pub async fn is_locked(kv: &Kv, account: Uuid) -> Result<bool, StoreError> {
    let mut conn = kv.conn();
    let n: u8 = redis::cmd("EXISTS")
        .arg(kv.key("lock", &account.to_string()))
        .query_async(&mut conn)
        .await?;
    Ok(n == 1)
}

/// Counts a failure; at `max_failures` the account locks for `lock_secs`. Returns whether
/// this failure locked it.
pub async fn record_failure(
    kv: &Kv,
    account: Uuid,
    max_failures: u32,
    lock_secs: u64,
) -> Result<bool, StoreError> {
    let id = account.to_string();
    let mut conn = kv.conn();
    let locked: u8 = FAIL
        .key(kv.key("fail", &id))
        .key(kv.key("lock", &id))
        .arg(max_failures)
        .arg(lock_secs)
        .invoke_async(&mut conn)
        .await?;
    Ok(locked == 1)
}

/// Forgets the failures after a successful login.
pub async fn clear(kv: &Kv, account: Uuid) -> Result<(), StoreError> {
    let mut conn = kv.conn();
    let _: u8 = redis::cmd("DEL")
        .arg(kv.key("fail", &account.to_string()))
        .query_async(&mut conn)
        .await?;
    Ok(())
}
