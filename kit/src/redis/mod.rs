//! Redis for both services: one connection handle over a single server, a Sentinel set or a
//! Cluster (`target.rs` reads which from the URL), behind a circuit breaker (`circuit.rs`).
//!
//! Every command is bounded: dialling waits at most `connect_timeout_ms`, an answer at most
//! `command_timeout_ms`, a lost connection is dialled again on the next command, and no command
//! is sent twice unless it certainly was not applied (a demoted Sentinel master's `READONLY`):
//! a command whose answer was lost may have run, and the scripts (a code's one redemption, a
//! failure count) must not run twice. On a Cluster that means no redirections are followed
//! either: a command that meets a moved slot fails (503) while the client learns the new map.
//! While a single server or a Sentinel master is known to be down the circuit fails commands at
//! once; a Cluster has none (one shard down must not stop the others). Nothing is dialled before
//! the first command: a node starts while Redis is down and reports not-ready until it answers.
//!
//! On a Cluster every script and multi-key command must keep its keys in one hash slot: the
//! services name keys `prefix kind:{id}` so that the keys one script touches share the tag.

pub mod circuit;
mod sentinel;
pub mod target;

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value};
use serde::Deserialize;

use circuit::{Admission, Circuit};
use sentinel::SentinelMaster;
pub use target::{Target, TargetError};

/// `[redis]` of either service.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://…`, `redis+sentinel://…` or `redis+cluster://…` (see [`target`]).
    pub url: String,
    /// Prefix of every key the service writes (no braces: they are hash tags).
    pub key_prefix: String,
    /// Longest wait to dial Redis, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Longest wait for one answer, in milliseconds.
    pub command_timeout_ms: u64,
    /// After Redis could not be reached, commands fail at once for this long before one probes
    /// again, in milliseconds.
    pub circuit_open_ms: u64,
}

// The URL may hold a password: print what `Target` prints.
impl std::fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &Target::parse(&self.url).map_err(|_| "(malformed)"))
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("command_timeout_ms", &self.command_timeout_ms)
            .field("circuit_open_ms", &self.circuit_open_ms)
            .finish()
    }
}

impl RedisConfig {
    /// `url` and `prefix` with the default timeouts of the services' `default.toml` (tools,
    /// tests).
    pub fn new(url: &str, key_prefix: &str) -> Self {
        Self {
            url: url.to_owned(),
            key_prefix: key_prefix.to_owned(),
            connect_timeout_ms: 250,
            command_timeout_ms: 500,
            circuit_open_ms: 1000,
        }
    }

    /// The first setting that cannot work: its key (`redis.…`) and why.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if let Err(e) = Target::parse(&self.url) {
            return Some(("redis.url", e.to_string()));
        }
        if self.key_prefix.contains(['{', '}']) {
            return Some(("redis.key_prefix", "must not contain braces".into()));
        }
        [
            ("redis.connect_timeout_ms", self.connect_timeout_ms),
            ("redis.command_timeout_ms", self.command_timeout_ms),
            ("redis.circuit_open_ms", self.circuit_open_ms),
        ]
        .into_iter()
        .find(|(_, value)| *value == 0)
        .map(|(key, _)| (key, "must be positive".into()))
    }
}

/// A connection handle: cheap to clone, shared by every request of the process.
#[derive(Clone)]
pub struct Redis {
    backend: Backend,
    circuit: Arc<Circuit>,
}

#[derive(Clone)]
enum Backend {
    Single(ConnectionManager),
    Sentinel(Arc<SentinelMaster>),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.backend {
            Backend::Single(_) => "single",
            Backend::Sentinel(_) => "sentinel",
            Backend::Cluster(_) => "cluster",
        };
        f.debug_struct("Redis")
            .field("backend", &kind)
            .field("circuit", &self.circuit)
            .finish()
    }
}

impl Redis {
    /// A handle on `config.url`. Nothing is dialled yet; an error here is a malformed URL.
    pub fn open(config: &RedisConfig) -> Result<Self, RedisError> {
        let connect = Duration::from_millis(config.connect_timeout_ms);
        let answer = Duration::from_millis(config.command_timeout_ms);
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(connect))
            .set_response_timeout(Some(answer))
            .set_number_of_retries(0);
        let target = Target::parse(&config.url).map_err(|e| {
            RedisError::from((redis::ErrorKind::InvalidClientConfig, "", e.to_string()))
        })?;
        let backend = match target {
            Target::Single(url) => Backend::Single(ConnectionManager::new_lazy_with_config(
                redis::Client::open(url)?,
                manager,
            )?),
            Target::Sentinel {
                sentinels,
                master,
                credentials,
                db,
            } => Backend::Sentinel(Arc::new(SentinelMaster::new(
                sentinels,
                master,
                &credentials,
                db,
                manager,
                connect + answer,
            )?)),
            Target::Cluster { nodes } => {
                let client = ClusterClientBuilder::new(nodes)
                    // No resend of any kind (see the module's documentation).
                    .retries(0)
                    .overall_response_timeout(Some(connect + answer))
                    .build()?;
                Backend::Cluster(
                    client.get_pending_async_connection_with_config(
                        ClusterConfig::new()
                            .set_connection_timeout(connect)
                            .set_response_timeout(answer),
                    ),
                )
            }
        };
        Ok(Self {
            backend,
            circuit: Arc::new(Circuit::new(Duration::from_millis(config.circuit_open_ms))),
        })
    }

    /// Whether Redis answers (readiness); at once `false` while the circuit is open. On a
    /// Cluster, whether the shard of one key answers: a `PING` goes to every master and fails
    /// when one shard is down, which would take every node out of the load balancer at once.
    pub async fn ping(&self) -> bool {
        let mut conn = self.clone();
        match self.backend {
            Backend::Cluster(_) => redis::cmd("EXISTS")
                .arg("readiness-probe")
                .query_async::<u8>(&mut conn)
                .await
                .is_ok(),
            _ => redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .is_ok(),
        }
    }

    /// Lets a command through the circuit, or fails it at once (a Cluster has no circuit).
    fn admit(&self) -> RedisResult<()> {
        if matches!(self.backend, Backend::Cluster(_)) {
            return Ok(());
        }
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
            Err(e) if is_unreachable(e) => self.circuit.failed(),
            _ if self.circuit.is_open() => self.circuit.succeeded(),
            _ => {}
        }
    }
}

/// Redis could not be reached, or stopped answering.
fn is_unreachable(e: &RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_refusal() || e.is_connection_dropped()
}

/// Whether a command failed because Redis is away or between masters (unreachable, a
/// failover under way, a shard down, loading its data): the request gets a 503 and may be
/// tried again. Anything else — a script error, a wrong type, a cross-slot command — is a bug:
/// a 500.
pub fn is_unavailable(e: &RedisError) -> bool {
    use redis::{ErrorKind, ServerErrorKind};
    is_unreachable(e)
        || matches!(
            e.kind(),
            ErrorKind::Server(
                ServerErrorKind::TryAgain
                    | ServerErrorKind::ClusterDown
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::BusyLoading
                    | ServerErrorKind::ReadOnly
                    | ServerErrorKind::Moved
                    | ServerErrorKind::Ask
            ) | ErrorKind::ClusterConnectionNotFound
                | ErrorKind::MasterNameNotFoundBySentinel
                | ErrorKind::NoValidReplicasFoundBySentinel
        )
}

impl ConnectionLike for Redis {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            self.admit()?;
            let result = match &mut self.backend {
                Backend::Single(conn) => conn.req_packed_command(cmd).await,
                Backend::Sentinel(master) => master.req_packed_command(cmd).await,
                Backend::Cluster(conn) => conn.req_packed_command(cmd).await,
            };
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
            let result = match &mut self.backend {
                Backend::Single(conn) => conn.req_packed_commands(pipeline, offset, count).await,
                Backend::Sentinel(master) => {
                    master.req_packed_commands(pipeline, offset, count).await
                }
                Backend::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count).await,
            };
            self.settle(&result);
            result
        })
    }

    fn get_db(&self) -> i64 {
        match &self.backend {
            Backend::Single(conn) => conn.get_db(),
            Backend::Sentinel(_) | Backend::Cluster(_) => 0,
        }
    }
}
