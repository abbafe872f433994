//! `[keys]`, `[tokens]`, `[clients]` and `[session]`: what the idp signs and how long it lasts.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use crate::domain::SigningAlg;

/// Signing keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// Key-encryption key (32 bytes, base64), usually from `IDP__KEYS__ENCRYPTION_KEY`.
    #[serde(default)]
    pub encryption_key: Option<SecretString>,
    /// File holding the key-encryption key, when not given directly.
    #[serde(default)]
    pub encryption_key_file: Option<PathBuf>,
    /// How long a new key is published in the JWKS before it signs.
    pub pre_publication_secs: u64,
    /// How long a node keeps the key set before reading it again.
    pub cache_secs: u64,
    /// Algorithms the idp holds a key for.
    pub algorithms: Vec<SigningAlg>,
}

/// Lifetimes of codes and tokens.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensConfig {
    /// Authorization code lifetime (at most 60 s).
    pub code_ttl_secs: u64,
    /// Access token lifetime.
    pub access_token_ttl_secs: u64,
    /// id_token lifetime.
    pub id_token_ttl_secs: u64,
    /// A refresh token unused this long expires.
    pub refresh_idle_secs: u64,
    /// A refresh-token family ends this long after the login, whatever its use.
    pub refresh_absolute_secs: u64,
    /// HMAC key for client secrets (32 bytes, base64).
    #[serde(default)]
    pub client_secret_key: Option<SecretString>,
    /// File holding the HMAC key for client secrets.
    #[serde(default)]
    pub client_secret_key_file: Option<PathBuf>,
}

/// The client registry.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsConfig {
    /// How long a node keeps a client registration before reading it again (0: never keeps).
    pub cache_secs: u64,
}

/// SSO session.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Idle timeout.
    pub idle_secs: u64,
    /// Absolute timeout.
    pub absolute_secs: u64,
    /// HMAC key for CSRF tokens (32 bytes, base64).
    #[serde(default)]
    pub csrf_key: Option<SecretString>,
    /// File holding the CSRF key.
    #[serde(default)]
    pub csrf_key_file: Option<PathBuf>,
}
