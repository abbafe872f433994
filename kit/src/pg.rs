//! Postgres plumbing both services use the same way: a pool whose connections may live in a
//! schema of their own (tests take one each), statements prepared once per connection, and
//! columns read without panicking.
//!
//! High availability is libpq's: the URL may name several hosts
//! (`postgres://u@h1:5432,h2:5432/db?target_session_attrs=read-write&connect_timeout=2`), and a
//! new connection goes to the first that accepts writes. After a failover the connections to
//! the old primary are found closed when next taken from the pool (or fail their statement:
//! [`is_unavailable`]) and new ones reach the promoted server. Every wait is bounded: a
//! connection is had within [`WAIT`], dialled within [`CREATE`], checked within [`RECYCLE`]
//! (the fast check reads the connection's state without a round trip). A primary that
//! vanishes without closing its connections (a partition) holds a statement until the
//! request's own timeout (`server.request_timeout_secs`): no statement timeout is set here.

use std::fmt;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::row::RowIndex;
use tokio_postgres::types::FromSql;

/// Builds the pool of `url`; with `schema` set, every connection uses it as search path.
/// `application_name` shows in `pg_stat_activity`. `key` names the URL's setting in errors.
pub fn pool(
    url: &str,
    schema: Option<&str>,
    size: usize,
    application_name: &str,
    key: &str,
) -> anyhow::Result<Pool> {
    let mut pg: tokio_postgres::Config = url
        .parse()
        .map_err(|e| anyhow::anyhow!("configuration key `{key}`: {e}"))?;
    if let Some(schema) = schema {
        pg.options(format!("-c search_path={schema}"));
    }
    pg.application_name(application_name);
    let manager = Manager::from_config(
        pg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(WAIT))
        .create_timeout(Some(CREATE))
        .recycle_timeout(Some(RECYCLE))
        .build()?)
}

/// Longest wait for a free connection when all are busy.
pub const WAIT: Duration = Duration::from_secs(5);
/// Longest wait to dial a new connection (every host of the URL in turn).
pub const CREATE: Duration = Duration::from_secs(5);
/// Longest wait to check a pooled connection before reuse.
pub const RECYCLE: Duration = Duration::from_secs(1);

/// Whether a statement failed because the database is away or cannot write at the moment (a
/// restart, a failover, a demoted primary), not because of the statement: the request gets a
/// 503 and may be tried again, not a 500.
pub fn is_unavailable(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        // Class 08: connection exception (not 08P01, a protocol violation: our bug);
        // 57P01–57P03: shut down, crashed, starting; 25006: a demoted primary.
        return (code.code().starts_with("08") && *code != SqlState::PROTOCOL_VIOLATION)
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::READ_ONLY_SQL_TRANSACTION,
            ]
            .contains(code);
    }
    std::error::Error::source(e).is_some_and(|source| source.is::<std::io::Error>())
}

/// Applies `runner`'s embedded migrations, creating `schema` first when one is set (it was
/// checked to be `[a-z0-9_]+` when the configuration loaded).
pub async fn migrate(
    pool: &Pool,
    schema: Option<&str>,
    runner: refinery::Runner,
) -> anyhow::Result<()> {
    let mut client = pool.get().await?;
    if let Some(schema) = schema {
        client
            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .await?;
    }
    let client: &mut tokio_postgres::Client = &mut client;
    runner.run_async(client).await?;
    Ok(())
}

/// Statements are prepared once per connection and cached (deadpool's statement cache): no
/// parse and plan on every request, and one round trip per statement instead of two.
pub mod sql {
    use deadpool_postgres::GenericClient;
    use tokio_postgres::Row;
    use tokio_postgres::types::ToSql;

    type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

    /// At most one row.
    pub async fn query_opt(
        client: &impl GenericClient,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = client.prepare_cached(sql).await?;
        client.query_opt(&statement, params).await
    }

    /// Exactly one row.
    pub async fn query_one(
        client: &impl GenericClient,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Row, tokio_postgres::Error> {
        let statement = client.prepare_cached(sql).await?;
        client.query_one(&statement, params).await
    }

    /// Every row.
    pub async fn query(
        client: &impl GenericClient,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = client.prepare_cached(sql).await?;
        client.query(&statement, params).await
    }

    /// Rows affected.
    pub async fn execute(
        client: &impl GenericClient,
        sql: &str,
        params: Params<'_>,
    ) -> Result<u64, tokio_postgres::Error> {
        let statement = client.prepare_cached(sql).await?;
        client.execute(&statement, params).await
    }
}

/// A column that did not have the type the code expects (a schema and code mismatch).
#[derive(Debug, thiserror::Error)]
#[error("column `{column}` did not decode")]
pub struct ColumnError {
    /// The column, by name or position.
    pub column: String,
    /// What tokio-postgres said.
    #[source]
    pub source: tokio_postgres::Error,
}

/// Reads a column without panicking: a type mismatch is a [`ColumnError`] naming the column.
pub trait RowExt {
    /// The column `idx` (a name or a position) as a `T`.
    fn col<'a, I, T>(&'a self, idx: I) -> Result<T, ColumnError>
    where
        I: RowIndex + fmt::Display + Copy,
        T: FromSql<'a>;
}

impl RowExt for Row {
    fn col<'a, I, T>(&'a self, idx: I) -> Result<T, ColumnError>
    where
        I: RowIndex + fmt::Display + Copy,
        T: FromSql<'a>,
    {
        self.try_get(idx).map_err(|source| ColumnError {
            column: idx.to_string(),
            source,
        })
    }
}
