//! The Redis connection and its key namespace. Keys that one script touches together share a
//! hash tag (`{…}`) so the design holds on Redis Cluster.

use redis::aio::ConnectionManager;

/// A Redis connection manager and the prefix of every key this idp writes.
#[derive(Clone)]
pub struct Kv {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for Kv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kv").field("prefix", &self.prefix).finish()
    }
}

impl Kv {
    /// Connects (the manager reconnects by itself afterwards).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(std::time::Duration::from_secs(2)))
            .set_response_timeout(Some(std::time::Duration::from_secs(2)));
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
        })
    }

    /// A connection handle (cheap clone of the multiplexed connection).
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// `prefix` + `kind` + `:{` + `id` + `}`: the id is the hash tag.
    pub fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{{{id}}}", self.prefix)
    }

    /// Whether Redis answers (readiness).
    pub async fn ping(&self) -> bool {
        let mut conn = self.conn();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok()
    }
}
