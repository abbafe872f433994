//! Per-person quotas in Redis, shared by every node: fixed one-minute and one-day windows,
//! checked and counted in one script so two nodes never both let the last message through.
//! Both keys carry the person's `sub` as hash tag (one slot on Redis Cluster).

use redis::{RedisError, Script};
use service_kit::redis::Redis;

use crate::config::RedisConfig;

/// What a quota check decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Within the quota; counted.
    Allowed,
    /// Over it: try again in this many seconds.
    Refused {
        /// Seconds until the window that is full ends.
        retry_after: u64,
    },
}

/// The counters.
#[derive(Clone)]
pub struct Quotas {
    conn: Redis,
    prefix: String,
    script: Script,
}

impl std::fmt::Debug for Quotas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quotas")
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// KEYS: minute, day. ARGV: per-minute limit, per-day limit, seconds left in the minute, in
/// the day. Returns 0 when allowed, else the seconds to wait.
const CHECK_AND_COUNT: &str = r"
local minute = tonumber(redis.call('GET', KEYS[1]) or '0')
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
if minute >= tonumber(ARGV[1]) then return tonumber(ARGV[3]) end
if day >= tonumber(ARGV[2]) then return tonumber(ARGV[4]) end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3] + 1) end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4] + 1) end
return 0
";

impl Quotas {
    /// A handle on Redis (dialled on first use; bounded waits, no retry inside a request, the
    /// circuit breaker of `service_kit::redis`).
    pub fn open(config: &RedisConfig) -> Result<Self, RedisError> {
        Ok(Self {
            conn: Redis::open(config)?,
            prefix: config.key_prefix.clone(),
            script: Script::new(CHECK_AND_COUNT),
        })
    }

    /// Counts one `action` (`send`, `upload`) for `sub` unless a window is full.
    pub async fn take(
        &self,
        action: &str,
        sub: &str,
        per_minute: u32,
        per_day: u32,
    ) -> Result<Decision, RedisError> {
        let now = chrono::Utc::now().timestamp();
        let (minute, day) = (now / 60, now / 86_400);
        let minute_left = 60 - now % 60;
        let day_left = 86_400 - now % 86_400;
        let mut conn = self.conn.clone();
        let wait: u64 = self
            .script
            .key(format!(
                "{}quota:{{{sub}}}:{action}:m:{minute}",
                self.prefix
            ))
            .key(format!("{}quota:{{{sub}}}:{action}:d:{day}", self.prefix))
            .arg(per_minute)
            .arg(per_day)
            .arg(minute_left)
            .arg(day_left)
            .invoke_async(&mut conn)
            .await?;
        Ok(if wait == 0 {
            Decision::Allowed
        } else {
            Decision::Refused { retry_after: wait }
        })
    }
}
