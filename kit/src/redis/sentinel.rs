//! The master a Sentinel set names, followed across failovers.
//!
//! The redis crate asks the Sentinels for the master (and checks it says `ROLE master`) but
//! keeps no connection that moves with it; this does, in the smallest way: the master's
//! connection manager is kept until it fails for want of the server (refused, dropped, timed
//! out) or answers `READONLY` (it was demoted to replica), then forgotten, and the Sentinels
//! are asked again. A `READONLY` write was not applied, so that one command is sent once more
//! to the new master; a command lost with a dropped connection is not (it may have been
//! applied: the caller sees the error, as with a single server), but when the Sentinels
//! already name another master the error says so rather than "unreachable", and the circuit
//! breaker stays closed: a demoted master drops its clients, and the new one is there.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{
    Cmd, ConnectionAddr, ErrorKind, Pipeline, RedisError, RedisResult, ServerErrorKind, Value,
};

use super::target::Credentials;

/// A master's connection: which one it is (so a stale failure forgets nothing newer) and where.
#[derive(Clone)]
struct Master {
    generation: u64,
    address: ConnectionAddr,
    conn: ConnectionManager,
}

/// The Sentinels and the master's connection while it lasts.
pub(super) struct SentinelMaster {
    /// Asked for the master's address; one question at a time.
    sentinels: tokio::sync::Mutex<SentinelClient>,
    /// The master's connection.
    current: RwLock<Option<Master>>,
    generation: AtomicU64,
    manager: ConnectionManagerConfig,
    /// Longest wait for the Sentinels' answer.
    ask_timeout: Duration,
    /// When the Sentinels last failed to name a master.
    failed_at: Mutex<Option<Instant>>,
}

impl SentinelMaster {
    /// A handle on `master` as `sentinels` see it; nothing is dialled yet.
    pub(super) fn new(
        sentinels: Vec<String>,
        master: String,
        credentials: &Credentials,
        db: i64,
        manager: ConnectionManagerConfig,
        ask_timeout: Duration,
    ) -> RedisResult<Self> {
        let mut node = redis::RedisConnectionInfo::default().set_db(db);
        if !credentials.username.is_empty() {
            node = node.set_username(&credentials.username);
        }
        if !credentials.password.is_empty() {
            node = node.set_password(&credentials.password);
        }
        let client = SentinelClient::build(
            sentinels,
            master,
            Some(SentinelNodeConnectionInfo::default().set_redis_connection_info(node)),
            SentinelServerType::Master,
        )?;
        Ok(Self {
            sentinels: tokio::sync::Mutex::new(client),
            current: RwLock::new(None),
            generation: AtomicU64::new(0),
            manager,
            ask_timeout,
            failed_at: Mutex::new(None),
        })
    }

    /// The master's connection: the one in hand, else the Sentinels' current answer. One
    /// question at a time; the wait for it and the question are bounded together by
    /// `ask_timeout`, and a question that failed a moment ago is not asked again at once (the
    /// commands queued behind it fail together instead of each waiting its turn).
    async fn master(&self) -> RedisResult<Master> {
        if let Some(current) = self.read() {
            return Ok(current);
        }
        tokio::time::timeout(self.ask_timeout, self.ask())
            .await
            .map_err(|_| unreachable("the Sentinels did not name a master in time"))?
    }

    async fn ask(&self) -> RedisResult<Master> {
        let mut sentinels = self.sentinels.lock().await;
        // Another command may have asked while this one waited for the lock.
        if let Some(current) = self.read() {
            return Ok(current);
        }
        if self
            .failed_at
            .lock()
            .ok()
            .and_then(|at| *at)
            .is_some_and(|at| at.elapsed() < RETRY_AFTER)
        {
            return Err(unreachable("the Sentinels named no master a moment ago"));
        }
        let client = match sentinels.async_get_client().await {
            Ok(client) => client,
            Err(e) => {
                if let Ok(mut at) = self.failed_at.lock() {
                    *at = Some(Instant::now());
                }
                return Err(e);
            }
        };
        let address = client.get_connection_info().addr().clone();
        let conn = ConnectionManager::new_lazy_with_config(client, self.manager.clone())?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let current = Master {
            generation,
            address,
            conn,
        };
        if let Ok(mut slot) = self.current.write() {
            *slot = Some(current.clone());
        }
        Ok(current)
    }

    fn read(&self) -> Option<Master> {
        self.current.read().ok().and_then(|slot| slot.clone())
    }

    /// Forgets connection `generation` (not a newer one another command already found).
    fn forget(&self, generation: u64) {
        if let Ok(mut slot) = self.current.write()
            && slot.as_ref().is_some_and(|m| m.generation == generation)
        {
            *slot = None;
        }
    }

    /// What to make of an answer from `master`.
    async fn after<T: Answer>(&self, master: &Master, result: &RedisResult<T>) -> After {
        match result {
            Err(e) if is_demoted(e) => {
                self.forget(master.generation);
                After::SendAgain
            }
            // The manager hands a server's error reply back as a value.
            Ok(answer) if answer.demoted() => {
                self.forget(master.generation);
                After::SendAgain
            }
            Err(e) if super::is_unreachable(e) => {
                // A demoted master drops its clients: if the Sentinels already name another,
                // Redis is not down (the circuit stays closed), only this command is lost.
                self.forget(master.generation);
                match self.master().await {
                    Ok(now) if now.address != master.address => After::Moved,
                    _ => After::Done,
                }
            }
            _ => After::Done,
        }
    }

    /// Sends `request` to the master, following it once if it was demoted.
    async fn send<T: Answer>(&self, request: Request<'_>) -> RedisResult<T> {
        let master = self.master().await?;
        let result = request.send::<T>(master.conn.clone()).await;
        match self.after(&master, &result).await {
            After::Done => result,
            After::Moved => Err(moved()),
            After::SendAgain => {
                let master = self.master().await?;
                let result = request.send::<T>(master.conn.clone()).await;
                if let After::SendAgain = self.after(&master, &result).await {
                    return Err(moved());
                }
                result
            }
        }
    }

    pub(super) async fn req_packed_command(&self, cmd: &Cmd) -> RedisResult<Value> {
        self.send(Request::One(cmd)).await
    }

    pub(super) async fn req_packed_commands(
        &self,
        pipeline: &Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        self.send(Request::Many(pipeline, offset, count)).await
    }
}

/// A command or a pipeline, to send (perhaps twice).
#[derive(Clone, Copy)]
enum Request<'a> {
    One(&'a Cmd),
    Many(&'a Pipeline, usize, usize),
}

impl Request<'_> {
    async fn send<T: Answer>(self, mut conn: ConnectionManager) -> RedisResult<T> {
        match self {
            Request::One(cmd) => T::from_one(conn.req_packed_command(cmd).await),
            Request::Many(pipeline, offset, count) => {
                T::from_many(conn.req_packed_commands(pipeline, offset, count).await)
            }
        }
    }
}

/// What a command (a `Value`) or a pipeline (a `Vec<Value>`) answers.
trait Answer: Sized + Send {
    fn from_one(result: RedisResult<Value>) -> RedisResult<Self>;
    fn from_many(result: RedisResult<Vec<Value>>) -> RedisResult<Self>;
    /// A `READONLY` reply: the server was demoted and applied nothing.
    fn demoted(&self) -> bool;
}

fn refused_readonly(value: &Value) -> bool {
    matches!(value, Value::ServerError(e) if e.kind() == Some(ServerErrorKind::ReadOnly))
}

impl Answer for Value {
    fn from_one(result: RedisResult<Value>) -> RedisResult<Self> {
        result
    }
    fn from_many(_: RedisResult<Vec<Value>>) -> RedisResult<Self> {
        Err(RedisError::from((
            ErrorKind::Client,
            "a pipeline sent as one command",
        )))
    }
    fn demoted(&self) -> bool {
        refused_readonly(self)
    }
}

impl Answer for Vec<Value> {
    fn from_one(_: RedisResult<Value>) -> RedisResult<Self> {
        Err(RedisError::from((
            ErrorKind::Client,
            "a command sent as a pipeline",
        )))
    }
    fn from_many(result: RedisResult<Vec<Value>>) -> RedisResult<Self> {
        result
    }
    fn demoted(&self) -> bool {
        self.iter().any(refused_readonly)
    }
}

/// A lookup failed within this long: fail at once rather than ask again.
const RETRY_AFTER: Duration = Duration::from_millis(250);

fn unreachable(why: &'static str) -> RedisError {
    RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, why))
}

/// What a failed answer means.
enum After {
    /// Nothing to do: the answer stands.
    Done,
    /// Refused by a demoted master, not applied: send it to the new one.
    SendAgain,
    /// Lost with a master that moved: it may have been applied, so it is not sent again.
    Moved,
}

/// The error of a command lost in a failover (not one that opens the circuit).
fn moved() -> RedisError {
    RedisError::from((
        ErrorKind::Server(ServerErrorKind::TryAgain),
        "the Redis master moved (Sentinel failover): try again",
    ))
}

/// `READONLY`: the server we hold was demoted; the write was refused, not applied.
fn is_demoted(e: &RedisError) -> bool {
    e.kind() == ErrorKind::Server(ServerErrorKind::ReadOnly)
}
