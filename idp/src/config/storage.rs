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

/// Redis connection.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://` URL.
    pub url: String,
    /// Prefix of every key this idp writes (must not contain `{` or `}`).
    pub key_prefix: String,
    /// Longest wait to dial Redis, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Longest wait for one answer, in milliseconds.
    pub command_timeout_ms: u64,
    /// After Redis could not be reached, commands fail at once for this long before one probes
    /// again, in milliseconds.
    pub circuit_open_ms: u64,
}

impl RedisConfig {
    /// `url` and `prefix` with the default timeouts of `config/default.toml` (tools, tests).
    pub fn new(url: &str, key_prefix: &str) -> Self {
        Self {
            url: url.to_owned(),
            key_prefix: key_prefix.to_owned(),
            connect_timeout_ms: 250,
            command_timeout_ms: 500,
            circuit_open_ms: 1000,
        }
    }
}
