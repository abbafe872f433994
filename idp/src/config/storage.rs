//! `[database]` and `[redis]`: where state lives.

use serde::Deserialize;

/// Postgres connection.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// libpq-style URL.
    pub url: String,
    /// Connections in the pool.
    pub pool_size: usize,
    /// Schema to use instead of `public` (tests use one per test); created by `migrate`.
    #[serde(default)]
    pub schema: Option<String>,
}

/// `[redis]`: one server, a Sentinel set or a Cluster (the kit's, shared with messaging).
pub use service_kit::redis::RedisConfig;
