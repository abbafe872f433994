//! Everything the idp keeps. Postgres holds what must last (one file per table group, plain
//! async functions over `&impl GenericClient`, SQL in consts); Redis holds what is short-lived
//! and shared by every node (codes, counters, revocations, pending authorization requests).

pub mod accounts;
pub mod audit;
pub mod circuit;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod counters;
pub mod email_proofs;
pub mod ephemeral;
pub mod kv;
pub mod outbox;
pub mod passwords;
pub mod pending;
pub mod questions;
pub mod refresh;
pub mod registry;
pub mod revoked;
pub mod sessions;
pub mod windows;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::config::DatabaseConfig;

pub use deadpool_postgres::GenericClient;
pub use kv::{Kv, KvConn};

mod embedded {
    refinery::embed_migrations!("../migrations");
}

/// Statements are prepared once per connection and cached (deadpool's statement cache): no
/// parse and plan on every request, and one round trip per statement instead of two.
pub(crate) mod sql {
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

/// A failure reaching or using a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Postgres refused or failed a statement.
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No pooled connection could be had.
    #[error("postgres pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// Redis failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// A stored value did not decode.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// The name of the violated constraint, when that is what happened.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            StoreError::Postgres(e) => e.as_db_error().and_then(|db| db.constraint()),
            _ => None,
        }
    }
}

/// Builds the connection pool; with `schema` set, every connection uses it as search path.
pub fn pool(config: &DatabaseConfig) -> anyhow::Result<Pool> {
    let mut pg: tokio_postgres::Config = config
        .url
        .parse()
        .map_err(|e| anyhow::anyhow!("configuration key `database.url`: {e}"))?;
    if let Some(schema) = &config.schema {
        pg.options(format!("-c search_path={schema}"));
    }
    pg.application_name("idp");
    let manager = Manager::from_config(
        pg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager).max_size(config.pool_size).build()?)
}

/// Applies the embedded migrations (creating the schema first when one is configured).
pub async fn migrate(pool: &Pool, config: &DatabaseConfig) -> anyhow::Result<()> {
    let mut client = pool.get().await?;
    if let Some(schema) = &config.schema {
        // The schema name was checked to be [a-z0-9_]+ when the configuration loaded.
        client
            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .await?;
    }
    let client: &mut tokio_postgres::Client = &mut client;
    embedded::migrations::runner().run_async(client).await?;
    Ok(())
}
