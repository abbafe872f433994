//! Everything the messaging service keeps, in its own Postgres database or schema
//! (`messaging/migrations/`, never the idp's tables): one file per table group, plain async
//! functions over `&impl GenericClient`, SQL in consts.

pub mod agents;
pub mod attachments;
pub mod drafts;
pub mod journal;
pub mod keks;
pub mod messages;
pub mod notifications;
pub mod people;
pub mod quota;
pub mod sessions;
pub mod teams;
pub mod threads;

use deadpool_postgres::Pool;
use tokio_postgres::error::SqlState;

use crate::config::DatabaseConfig;

pub use deadpool_postgres::GenericClient;
pub(crate) use service_kit::pg::{RowExt, sql};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// A failure reaching or using the store. Each variant keeps its cause as `source()`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Postgres refused or failed a statement.
    #[error("postgres statement failed")]
    Postgres(#[from] tokio_postgres::Error),
    /// No pooled connection could be had.
    #[error("no postgres connection from the pool")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A column did not decode (a schema and code mismatch).
    #[error(transparent)]
    Column(#[from] service_kit::pg::ColumnError),
    /// A stored value did not decode or open.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// The name of the constraint a write broke, if that is what failed.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            StoreError::Postgres(e)
                if e.code() == Some(&SqlState::UNIQUE_VIOLATION)
                    || e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION)
                    || e.code() == Some(&SqlState::CHECK_VIOLATION) =>
            {
                e.as_db_error().and_then(|db| db.constraint())
            }
            _ => None,
        }
    }
}

/// The connection pool; with `schema` set, every connection uses it as search path.
pub fn pool(config: &DatabaseConfig) -> anyhow::Result<Pool> {
    service_kit::pg::pool(
        &config.url,
        config.schema.as_deref(),
        config.pool_size,
        "messaging",
        "database.url",
    )
}

/// Applies the embedded migrations (creating the schema first when one is configured); their
/// history is `messaging_schema_history`, apart from the idp's.
pub async fn migrate(pool: &Pool, config: &DatabaseConfig) -> anyhow::Result<()> {
    let mut runner = embedded::migrations::runner();
    runner.set_migration_table_name("messaging_schema_history");
    service_kit::pg::migrate(pool, config.schema.as_deref(), runner).await
}
