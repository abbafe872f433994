//! The Redis connection and its key namespace. Keys that one script touches together share a
//! hash tag (`{…}`) so the design holds on Redis Cluster.
//!
//! Every command is bounded: dialling waits at most `redis.connect_timeout_ms`, an answer at
//! most `redis.command_timeout_ms`, a lost connection is dialled once per command (no retry
//! loop inside a request), and while Redis is known to be down the circuit (`circuit.rs`)
//! fails commands at once. Nothing is dialled before the first command: a node starts while
//! Redis is down and reports not-ready (`/readyz`) until it answers.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use super::circuit::{Admission, Circuit};
use crate::config::RedisConfig;

/// A Redis connection manager and the prefix of every key this idp writes.
#[derive(Clone)]
pub struct Kv {
    conn: KvConn,
    prefix: String,
}

impl std::fmt::Debug for Kv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kv").field("prefix", &self.prefix).finish()
    }
}

impl Kv {
    /// A handle on `config.url`. Nothing is dialled yet (see the module's documentation); an
    /// error here is a malformed URL.
    pub fn open(config: &RedisConfig) -> Result<Self, RedisError> {
        let client = redis::Client::open(config.url.as_str())?;
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(config.connect_timeout_ms)))
            .set_response_timeout(Some(Duration::from_millis(config.command_timeout_ms)))
            .set_number_of_retries(0);
        let inner = ConnectionManager::new_lazy_with_config(client, manager)?;
        let circuit = Circuit::new(Duration::from_millis(config.circuit_open_ms));
        Ok(Self {
            conn: KvConn {
                inner,
                circuit: Arc::new(circuit),
            },
            prefix: config.key_prefix.clone(),
        })
    }

    /// A connection handle (cheap clone of the multiplexed connection and its circuit).
    pub fn conn(&self) -> KvConn {
        self.conn.clone()
    }

    /// `prefix` + `kind` + `:{` + `id` + `}`: the id is the hash tag.
    pub fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{{{id}}}", self.prefix)
    }

    /// Whether Redis answers (readiness); at once `false` while the circuit is open.
    pub async fn ping(&self) -> bool {
        let mut conn = self.conn();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok()
    }
}

/// The connection every store function uses: the manager behind the circuit.
#[derive(Clone)]
pub struct KvConn {
    inner: ConnectionManager,
    circuit: Arc<Circuit>,
}

impl std::fmt::Debug for KvConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvConn")
            .field("circuit", &self.circuit)
            .finish()
    }
}

impl KvConn {
    /// Lets a command through the circuit, or fails it at once.
    fn admit(&self) -> RedisResult<()> {
        match self.circuit.admit() {
            Admission::Go | Admission::Probe => Ok(()),
            Admission::Refuse => Err(RedisError::from(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "redis is unreachable (circuit open: failing fast until the next probe)",
            ))),
        }
    }

    /// Feeds a command's outcome to the circuit: only a failure to reach Redis opens it; a
    /// command Redis refused (a script error, a wrong type) still proves it is there.
    fn settle<T>(&self, result: &RedisResult<T>) {
        match result {
            Err(e)
                if e.is_io_error()
                    || e.is_timeout()
                    || e.is_connection_refusal()
                    || e.is_connection_dropped() =>
            {
                self.circuit.failed();
            }
            _ if self.circuit.is_open() => self.circuit.succeeded(),
            _ => {}
        }
    }
}

impl ConnectionLike for KvConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            self.admit()?;
            let result = self.inner.req_packed_command(cmd).await;
            self.settle(&result);
            result
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            self.admit()?;
            let result = self
                .inner
                .req_packed_commands(pipeline, offset, count)
                .await;
            self.settle(&result);
            result
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}
