//! Typed configuration: `config/default.toml`, then `config/<IDP_ENV>.toml`, then
//! `IDP__SECTION__KEY` environment variables. Parsed once at start-up; an unknown key or a
//! bad value stops the process with the key named.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::Deserialize;

use crate::domain::SigningAlg;

mod accounts;
mod helpdesk;
mod mail;
mod questions;
mod recovery;
mod server;
mod storage;
mod tokens;

pub use accounts::{
    EnrolmentConfig, LockoutConfig, PasswordConfig, PasswordPolicyConfig, RateLimitConfig,
    UsernamesConfig,
};
pub use helpdesk::{ConsolesConfig, HelpdeskConfig};
pub use mail::{MailConfig, SmtpSecurity};
pub use questions::{MAX_ANSWER_CHARS, Question, QuestionsConfig};
pub use recovery::{AssistanceCentre, EmailProof, Phone, RecoveryConfig};
pub use server::{LogFormat, ServerConfig, TelemetryConfig, TlsMode};
pub use storage::{DatabaseConfig, RedisConfig};
pub use tokens::{ClientsConfig, KeysConfig, SessionConfig, TokensConfig};

/// The whole configuration of one idp process.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listener, public URL, TLS.
    pub server: ServerConfig,
    /// Postgres.
    pub database: DatabaseConfig,
    /// Redis.
    pub redis: RedisConfig,
    /// Signing keys.
    pub keys: KeysConfig,
    /// Token lifetimes and client-secret hashing.
    pub tokens: TokensConfig,
    /// The client registry.
    pub clients: ClientsConfig,
    /// SSO session lifetimes and CSRF.
    pub session: SessionConfig,
    /// Argon2id cost.
    pub password: PasswordConfig,
    /// The shape of usernames.
    pub usernames: UsernamesConfig,
    /// What a new password must be.
    pub password_policy: PasswordPolicyConfig,
    /// The catalogue of secret questions and the rules for answers.
    pub secret_questions: QuestionsConfig,
    /// "Mot de passe oublié?".
    pub recovery: RecoveryConfig,
    /// Outgoing e-mail.
    pub mail: MailConfig,
    /// Per-account failure counter.
    pub lockout: LockoutConfig,
    /// Enrolment by NIP.
    pub enrolment: EnrolmentConfig,
    /// The help-desk console.
    pub helpdesk: HelpdeskConfig,
    /// Every agency console.
    pub consoles: ConsolesConfig,
    /// Per-IP request shaping.
    pub rate_limit: RateLimitConfig,
    /// Logs.
    pub telemetry: TelemetryConfig,
}

/// A 32-byte secret resolved from configuration.
pub type Secret32 = SecretBox<[u8; 32]>;

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file or variable did not parse; figment names the key.
    #[error("configuration: {0}")]
    Parse(Box<figment::Error>),
    /// A value parsed but breaks a rule.
    #[error("configuration key `{key}`: {reason}")]
    Invalid {
        /// The offending key.
        key: &'static str,
        /// Why.
        reason: String,
    },
}

impl Config {
    /// Loads `dir/default.toml`, `dir/<env>.toml` and the `IDP__` environment.
    pub fn load(dir: &Path, env: &str) -> Result<Self, ConfigError> {
        for (key, file) in [
            ("IDP_CONFIG_DIR", "default.toml".to_owned()),
            ("IDP_ENV", format!("{env}.toml")),
        ] {
            let path = dir.join(&file);
            if !path.is_file() {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!("{} does not exist", path.display()),
                });
            }
        }
        Self::from_figment(Self::figment(dir, env))
    }

    /// The layered sources, for callers (tests) that merge overrides of their own.
    pub fn figment(dir: &Path, env: &str) -> Figment {
        Figment::new()
            .merge(Toml::file(dir.join("default.toml")))
            .merge(Toml::file(dir.join(format!("{env}.toml"))))
            .merge(Env::prefixed("IDP__").split("__").lowercase(true))
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
        let invalid = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.to_owned(),
            })
        };
        if !matches!(self.server.public_url.scheme(), "https" | "http") {
            return invalid("server.public_url", "must be an https URL");
        }
        if self.server.public_url.query().is_some() || self.server.public_url.fragment().is_some() {
            return invalid("server.public_url", "must have no query or fragment");
        }
        if self.tokens.code_ttl_secs == 0 || self.tokens.code_ttl_secs > 60 {
            return invalid("tokens.code_ttl_secs", "must be between 1 and 60");
        }
        if let Some((key, reason)) = self.redis.problem() {
            return invalid(key, &reason);
        }
        for (key, value) in [(
            "lockout.escalation_window_secs",
            self.lockout.escalation_window_secs,
        )] {
            if value == 0 {
                return invalid(key, "must be at least 1");
            }
        }
        if self.enrolment.nip_valid_days == 0 || self.enrolment.nip_max_tries == 0 {
            return invalid(
                "enrolment.nip_valid_days",
                "nip_valid_days and nip_max_tries must be at least 1",
            );
        }
        if self.lockout.max_failures == 0 || self.lockout.lock_secs == 0 {
            return invalid(
                "lockout.max_failures",
                "failures and lock_secs must be at least 1",
            );
        }
        if self.lockout.max_temporary_locks > 20 {
            // 2^20 × lock_secs is already years: a larger value is a typo.
            return invalid("lockout.max_temporary_locks", "must be at most 20");
        }
        if !(8..=128).contains(&self.password_policy.min_length) {
            // ASVS 6.2.1: at least 8; 128 is the longest password accepted.
            return invalid("password_policy.min_length", "must be between 8 and 128");
        }
        if self.password_policy.min_strength > 4 {
            return invalid("password_policy.min_strength", "must be between 0 and 4");
        }
        if self.password_policy.temporary_ttl_hours == 0 {
            return invalid("password_policy.temporary_ttl_hours", "must be at least 1");
        }
        if let Err(reason) = self.usernames.check() {
            return invalid("usernames", &reason);
        }
        if let Err(reason) = self.helpdesk.check() {
            return invalid("helpdesk", &reason);
        }
        if self.consoles.idle_secs < 60 {
            return invalid("consoles.idle_secs", "must be at least 60");
        }
        if let Err(reason) = self.secret_questions.check() {
            return invalid("secret_questions", &reason);
        }
        if self.recovery.max_failed_challenges == 0 || self.recovery.challenge_ttl_secs == 0 {
            return invalid(
                "recovery.max_failed_challenges",
                "failed challenges and challenge_ttl_secs must be at least 1",
            );
        }
        if self.recovery.assistance.is_empty() {
            return invalid(
                "recovery.assistance",
                "needs at least one assistance centre",
            );
        }
        if let Err((key, reason)) = self.mail.check() {
            return invalid(key, &reason);
        }
        if self.server.max_concurrent_hashes == 0 {
            return invalid("server.max_concurrent_hashes", "must be at least 1");
        }
        if self.keys.algorithms.is_empty() {
            return invalid("keys.algorithms", "needs at least one algorithm");
        }
        if !self.keys.algorithms.contains(&SigningAlg::Rs256) {
            // OpenID Connect Core §15.1: RS256 must be available.
            return invalid("keys.algorithms", "must include RS256");
        }
        if self.password.memory_kib < 8 * self.password.parallelism {
            return invalid("password.memory_kib", "too small for the parallelism");
        }
        if let Some(schema) = &self.database.schema
            && !schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return invalid("database.schema", "only a-z, 0-9 and _ are allowed");
        }
        Ok(())
    }

    /// The key-encryption key for signing keys at rest.
    pub fn key_encryption_key(&self) -> Result<Secret32, ConfigError> {
        resolve_secret(
            "keys.encryption_key",
            self.keys.encryption_key.as_ref(),
            self.keys.encryption_key_file.as_deref(),
        )
    }

    /// The HMAC key client secrets are hashed under.
    pub fn client_secret_key(&self) -> Result<Secret32, ConfigError> {
        resolve_secret(
            "tokens.client_secret_key",
            self.tokens.client_secret_key.as_ref(),
            self.tokens.client_secret_key_file.as_deref(),
        )
    }

    /// The HMAC key CSRF tokens are derived with.
    pub fn csrf_key(&self) -> Result<Secret32, ConfigError> {
        resolve_secret(
            "session.csrf_key",
            self.session.csrf_key.as_ref(),
            self.session.csrf_key_file.as_deref(),
        )
    }

    /// The issuer identifier: the public URL without a trailing slash (OIDC Discovery §4.3).
    pub fn issuer(&self) -> String {
        self.server
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    /// The longest lifetime of a token a signing key may have signed.
    pub fn longest_token_secs(&self) -> u64 {
        self.tokens
            .access_token_ttl_secs
            .max(self.tokens.id_token_ttl_secs)
    }
}

/// Reads a base64 32-byte secret given inline or in a file (inline wins).
fn resolve_secret(
    key: &'static str,
    inline: Option<&SecretString>,
    file: Option<&Path>,
) -> Result<Secret32, ConfigError> {
    let text = match (inline, file) {
        (Some(value), _) => value.expose_secret().to_owned(),
        (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| ConfigError::Invalid {
            key,
            reason: format!("cannot read {}: {e}", path.display()),
        })?,
        (None, None) => {
            return Err(ConfigError::Invalid {
                key,
                reason: "missing: set it or its _file".to_owned(),
            });
        }
    };
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| ConfigError::Invalid {
            key,
            reason: "not base64".to_owned(),
        })?;
    let array: [u8; 32] = bytes.try_into().map_err(|_| ConfigError::Invalid {
        key,
        reason: "must decode to exactly 32 bytes".to_owned(),
    })?;
    Ok(SecretBox::new(Box::new(array)))
}
