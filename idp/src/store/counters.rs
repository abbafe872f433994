//! Per-account failure counter and escalating lock, atomic in Redis so every node sees the
//! same count. `failures` wrong answers lock the account for `lock_secs`, the next lock for
//! twice that, and so on; past `max_temporary_locks` the script says so and the caller records
//! a help-desk lock in Postgres. The three keys share the account's hash tag (Redis Cluster).
//!
//! A lock is one event however many attempts race it (docs/SECURITY.md, « Lockout »): while
//! the lock key exists a failure changes nothing here — attempts already in flight when the
//! lock fell land on it and are only audited — so the next lock needs `max_failures` new
//! failures *after* this one has ended, and the help-desk lock needs several separate lock
//! periods, never one burst.

use redis::Script;
use std::sync::LazyLock;
use uuid::Uuid;

use super::{Kv, StoreError};
use crate::config::LockoutConfig;

/// KEYS: failures, lock, lock count. ARGV: max failures, base lock secs, max temporary locks,
/// how long past locks are remembered. Returns 0 (counted), the new lock's seconds, -1 (too
/// many locks: the help desk must unlock) or -2 (already locked: not counted).
static FAIL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('EXISTS', KEYS[2]) == 1 then return -2 end
          local n = redis.call('INCR', KEYS[1])
          if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
          if n < tonumber(ARGV[1]) then return 0 end
          redis.call('DEL', KEYS[1])
          local locks = redis.call('INCR', KEYS[3])
          redis.call('EXPIRE', KEYS[3], ARGV[4])
          if locks > tonumber(ARGV[3]) then
            -- Attempts in flight while the caller records the help-desk lock in Postgres
            -- land on this key and are not counted. A minute is plenty for that write; should
            -- it fail, the account is not left locked with no record of it.
            redis.call('SET', KEYS[2], '1', 'EX', 60)
            return -1
          end
          local secs = tonumber(ARGV[2]) * (2 ^ (locks - 1))
          redis.call('SET', KEYS[2], '1', 'EX', secs)
          return secs",
    )
});

/// What one more failure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Counted; not locked.
    Counted,
    /// This failure locked the account for this many seconds.
    LockedFor(u64),
    /// This failure was one lock too many: lock until the help desk unlocks.
    HelpDeskLock,
    /// The account was already locked: the failure counts toward nothing.
    AlreadyLocked,
}

/// Whether the account is temporarily locked.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn is_locked(kv: &Kv, account: Uuid) -> Result<bool, StoreError> {
    let mut conn = kv.conn();
    let n: u8 = redis::cmd("EXISTS")
        .arg(kv.key("lock", &account.to_string()))
        .query_async(&mut conn)
        .await?;
    Ok(n == 1)
}

/// Counts a failure under the lockout policy.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn record_failure(
    kv: &Kv,
    account: Uuid,
    policy: &LockoutConfig,
) -> Result<AfterFailure, StoreError> {
    let id = account.to_string();
    let mut conn = kv.conn();
    let outcome: i64 = FAIL
        .key(kv.key("fail", &id))
        .key(kv.key("lock", &id))
        .key(kv.key("locks", &id))
        .arg(policy.max_failures)
        .arg(policy.lock_secs)
        .arg(policy.max_temporary_locks)
        .arg(policy.escalation_window_secs)
        .invoke_async(&mut conn)
        .await?;
    Ok(match outcome {
        0 => AfterFailure::Counted,
        secs if secs > 0 => AfterFailure::LockedFor(secs.unsigned_abs()),
        -1 => AfterFailure::HelpDeskLock,
        _ => AfterFailure::AlreadyLocked,
    })
}

/// Forgets failures and past locks (a successful login, or the help desk's unlock).
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn clear(kv: &Kv, account: Uuid) -> Result<(), StoreError> {
    let id = account.to_string();
    let mut conn = kv.conn();
    let _: u8 = redis::cmd("DEL")
        .arg(kv.key("fail", &id))
        .arg(kv.key("lock", &id))
        .arg(kv.key("locks", &id))
        .query_async(&mut conn)
        .await?;
    Ok(())
}
