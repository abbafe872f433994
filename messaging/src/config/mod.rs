//! The messaging service's configuration: `config/messaging/default.toml`, then
//! `config/messaging/<env>.toml`, then `MESSAGING__SECTION__KEY` environment variables; an
//! unknown key anywhere is an error that names it.

mod sections;

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

pub use sections::{
    AttachmentsConfig, BlobStoreKind, Category, ClamdConfig, DatabaseConfig, IdpConfig, KeysConfig,
    MailConfig, QuotasConfig, RateLimitConfig, RedisConfig, S3Config, ServerConfig, ThreadsConfig,
    TlsMode,
};

/// Every setting of the service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listening and TLS.
    pub server: ServerConfig,
    /// Postgres.
    pub database: DatabaseConfig,
    /// Redis (quotas shared by every node).
    pub redis: RedisConfig,
    /// Per-person quotas.
    pub quotas: QuotasConfig,
    /// The content-free e-mail notices.
    pub mail: MailConfig,
    /// Attachments.
    pub attachments: AttachmentsConfig,
    /// Per-IP shaping.
    pub rate_limit: RateLimitConfig,
    /// The identity provider this service trusts.
    pub idp: IdpConfig,
    /// Encryption at rest.
    pub keys: KeysConfig,
    /// Conversation rules.
    pub threads: ThreadsConfig,
    /// The subject catalogue: each category routes new threads to one team.
    pub categories: Vec<Category>,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file or variable did not parse, or a key is unknown or missing.
    #[error("configuration: {0}")]
    Parse(#[source] Box<figment::Error>),
    /// A value breaks a rule.
    #[error("configuration key `{key}`: {reason}")]
    Invalid {
        /// The key, `section.name`.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl Config {
    /// Loads `<dir>/messaging/default.toml`, `<dir>/messaging/<env>.toml` and the environment.
    pub fn load(dir: &Path, env: &str) -> Result<Self, ConfigError> {
        for file in ["default.toml".to_owned(), format!("{env}.toml")] {
            let path = dir.join("messaging").join(&file);
            if !path.is_file() {
                return Err(ConfigError::Invalid {
                    key: "MESSAGING_CONFIG_DIR",
                    reason: format!("{} does not exist", path.display()),
                });
            }
        }
        Self::from_figment(Self::figment(dir, env))
    }

    /// The layered sources, for callers (tests) that merge overrides of their own.
    pub fn figment(dir: &Path, env: &str) -> Figment {
        let dir: PathBuf = dir.join("messaging");
        Figment::new()
            .merge(Toml::file(dir.join("default.toml")))
            .merge(Toml::file(dir.join(format!("{env}.toml"))))
            .merge(Env::prefixed("MESSAGING__").split("__").lowercase(true))
    }

    /// Extracts and checks a configuration from any figment.
    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Parse(Box::new(e)))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: String| Err(ConfigError::Invalid { key, reason });
        for (key, url) in [
            ("server.public_url", &self.server.public_url),
            ("idp.issuer", &self.idp.issuer),
        ] {
            if !matches!(url.scheme(), "https" | "http") || url.query().is_some() {
                return invalid(key, "must be an https URL without a query".into());
            }
        }
        if let Some(schema) = &self.database.schema
            && (schema.is_empty()
                || !schema
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        {
            return invalid("database.schema", "only a-z, 0-9 and _".into());
        }
        if let Some((key, reason)) = self.redis.problem() {
            return invalid(key, reason);
        }
        if self.quotas.send_per_minute == 0
            || self.quotas.send_per_day < self.quotas.send_per_minute
        {
            return invalid(
                "quotas.send_per_day",
                "at least send_per_minute, which is at least 1".into(),
            );
        }
        if self.quotas.upload_per_minute == 0
            || self.quotas.upload_per_day < self.quotas.upload_per_minute
        {
            return invalid(
                "quotas.upload_per_day",
                "at least upload_per_minute, which is at least 1".into(),
            );
        }
        if self.mail.poll_ms == 0 || self.mail.retry_base_secs == 0 || self.mail.max_attempts < 1 {
            return invalid(
                "mail.poll_ms",
                "poll_ms, retry_base_secs and max_attempts: at least 1".into(),
            );
        }
        if let Err(e) = self.mail.from.parse::<lettre::message::Mailbox>() {
            return invalid("mail.from", format!("not a mailbox: {e}"));
        }
        if self.attachments.max_bytes == 0 || self.attachments.allowed_types.is_empty() {
            return invalid(
                "attachments.max_bytes",
                "a size and at least one allowed type".into(),
            );
        }
        if self.attachments.store == BlobStoreKind::S3 {
            let Some(s3) = &self.attachments.s3 else {
                return invalid("attachments.s3", "required when store = \"s3\"".into());
            };
            match url::Url::parse(&s3.endpoint) {
                Ok(u) if u.scheme() == "https" => {}
                Ok(u) if u.scheme() == "http" && is_loopback(&u) => {}
                _ => {
                    return invalid(
                        "attachments.s3.endpoint",
                        "an https URL (http only on 127.0.0.1 or localhost)".into(),
                    );
                }
            }
            if s3.bucket.is_empty() || s3.access_key_id.is_empty() {
                return invalid(
                    "attachments.s3.bucket",
                    "a bucket and an access key id".into(),
                );
            }
        }
        if let Some(clamd) = &self.attachments.clamd
            && (clamd.address.parse::<std::net::SocketAddr>().is_err() || clamd.timeout_ms == 0)
        {
            return invalid(
                "attachments.clamd.address",
                "an IP:port (e.g. 127.0.0.1:3310) and a timeout of at least 1 ms".into(),
            );
        }
        if self.categories.is_empty() {
            return invalid("categories", "at least one category".into());
        }
        for (i, category) in self.categories.iter().enumerate() {
            if let Err(reason) = category.check() {
                return invalid("categories", format!("category {}: {reason}", i + 1));
            }
            if self.categories[..i].iter().any(|c| c.code == category.code) {
                return invalid("categories", format!("`{}` twice", category.code));
            }
        }
        if self.threads.page_size == 0 || self.threads.page_size > 200 {
            return invalid("threads.page_size", "between 1 and 200".into());
        }
        Ok(())
    }

    /// The category with this code.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_config() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")
    }

    #[test]
    fn every_environment_file_loads() {
        for env in ["dev", "test", "production"] {
            let config = Config::from_figment(Config::figment(&repo_config(), env));
            assert!(config.is_ok(), "{env}: {config:?}");
        }
    }

    #[test]
    fn an_unknown_key_and_a_bad_value_are_named() {
        let unknown = Config::figment(&repo_config(), "test").merge(
            figment::providers::Serialized::default("threads.colour", "blue"),
        );
        let error = Config::from_figment(unknown).unwrap_err().to_string();
        assert!(error.contains("colour"), "{error}");
        let bad = Config::figment(&repo_config(), "test").merge(
            figment::providers::Serialized::default("database.schema", "a;drop"),
        );
        let error = Config::from_figment(bad).unwrap_err().to_string();
        assert!(error.contains("database.schema"), "{error}");
    }
}
