//! The Redis connection and its key namespace. Keys that one script touches together share a
//! hash tag (`{…}`) so the design holds on Redis Cluster. The connection itself (one server, a
//! Sentinel set or a Cluster; bounded waits; the circuit breaker) is `service_kit::redis`'s.

use redis::RedisError;
use service_kit::redis::Redis;

use crate::config::RedisConfig;

/// The Redis connection and the prefix of every key this idp writes.
#[derive(Clone)]
pub struct Kv {
    conn: Redis,
    prefix: String,
}

impl std::fmt::Debug for Kv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kv").field("prefix", &self.prefix).finish()
    }
}

impl Kv {
    /// A handle on `config.url`. Nothing is dialled yet; an error here is a malformed URL.
    pub fn open(config: &RedisConfig) -> Result<Self, RedisError> {
        Ok(Self {
            conn: Redis::open(config)?,
            prefix: config.key_prefix.clone(),
        })
    }

    /// A connection handle (cheap clone of the shared connection and its circuit).
    pub fn conn(&self) -> Redis {
        self.conn.clone()
    }

    /// `prefix` + `kind` + `:{` + `id` + `}`: the id is the hash tag.
    pub fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{{{id}}}", self.prefix)
    }

    /// Whether Redis answers (readiness); at once `false` while the circuit is open.
    pub async fn ping(&self) -> bool {
        self.conn.ping().await
    }
}
