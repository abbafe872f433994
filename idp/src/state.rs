//! What every handler shares, cheap to clone: configuration, the stores, the keys, the caches
//! and the secrets, connected once at start-up. No router here: the state sits below the
//! features, which all take it; `app.rs`, above them all, wires the routers.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;

use crate::config::{Config, Secret32};
use crate::keys::{KeyRing, VerifiedTokens};
use crate::password::Hasher;
use crate::store::registry::Registry;
use crate::store::{self, Kv};

/// Everything a handler may need, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// The shared parts of the state.
#[derive(Debug)]
pub struct Shared {
    /// Parsed configuration.
    pub config: Config,
    /// The issuer identifier (`iss`).
    pub issuer: String,
    /// The issuer's origin, for `Origin` checks.
    pub origin: String,
    /// Postgres pool.
    pub db: Pool,
    /// Redis.
    pub kv: Kv,
    /// Signing keys.
    pub keys: KeyRing,
    /// Client registrations, cached for `clients.cache_secs`.
    pub clients: Registry,
    /// Access tokens whose signature already verified.
    pub verified: VerifiedTokens<crate::domain::AccessClaims>,
    /// Password hashing, bounded.
    pub hasher: Hasher,
    /// HMAC key for client secrets (and recovery codes).
    pub client_secret_key: Secret32,
    /// The key-encryption key: signing keys (in `keys`) and TOTP secrets at rest.
    pub kek: Secret32,
    /// HMAC key for CSRF tokens.
    pub csrf_key: Secret32,
    /// Stand-ins for names that are no account (derived from the CSRF key).
    pub pseudonyms: crate::domain::PseudonymKey,
    /// Outbound HTTP (back-channel logout).
    pub http: reqwest::Client,
    /// The WebAuthn relying party of the issuer's host; `None` when the issuer is an IP
    /// address, where passkeys cannot exist (`second_factor::passkey`).
    pub webauthn: Option<webauthn_rs::Webauthn>,
    /// The discovery document, as `oidc::discovery` serialises it: built at boot by
    /// `app.rs` (a configuration it cannot be built from stops the start), served as is.
    pub discovery: std::sync::OnceLock<String>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Connects to Postgres and Redis and loads the keys' secrets.
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        // Install the metrics recorder now: counters recorded before it exists are lost.
        crate::metrics::handle();
        let db = store::pool(&config.database)?;
        // Nothing is dialled yet: with Redis down the node starts, reports not-ready, and
        // answers what needs Redis with 503 until it is back (docs/ARCHITECTURE.md).
        let kv = Kv::open(&config.redis)
            .map_err(|e| anyhow::anyhow!("configuration key `redis.url`: {e}"))?;
        let clients = Registry::new(db.clone(), Duration::from_secs(config.clients.cache_secs));
        let keys = KeyRing::new(
            db.clone(),
            config.key_encryption_key()?,
            config.keys.cache_secs,
        );
        let hasher = Hasher::new(
            config.password,
            config.server.max_concurrent_hashes,
            Duration::from_millis(config.server.hash_wait_ms),
        )?;
        let mut http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(ca) = &config.server.outbound_ca_file {
            let pem = std::fs::read(ca).map_err(|e| {
                anyhow::anyhow!(
                    "configuration key `server.outbound_ca_file`: {}: {e}",
                    ca.display()
                )
            })?;
            http =
                http.add_root_certificate(reqwest::Certificate::from_pem(&pem).map_err(|e| {
                    anyhow::anyhow!("configuration key `server.outbound_ca_file`: {e}")
                })?);
        }
        let http = http.build()?;
        let issuer = config.issuer();
        let webauthn = passkey_relying_party(&config.server.public_url);
        Ok(Self(Arc::new(Shared {
            webauthn,
            client_secret_key: config.client_secret_key()?,
            kek: config.key_encryption_key()?,
            csrf_key: config.csrf_key()?,
            pseudonyms: {
                use secrecy::ExposeSecret as _;
                crate::domain::PseudonymKey::derive(config.csrf_key()?.expose_secret())
            },
            origin: origin(&issuer),
            issuer,
            db,
            kv,
            keys,
            clients,
            verified: VerifiedTokens::default(),
            hasher,
            http,
            discovery: std::sync::OnceLock::new(),
            config,
        })))
    }
}

/// How long a passkey ceremony may take (the relying party's timeout; its state lives as long).
pub const PASSKEY_CEREMONY_SECS: u64 = 300;

/// The WebAuthn relying party of `public_url`; `None` when its host is no domain (an IP
/// address): an RP ID is a domain (WebAuthn §5.1.2), so passkeys are not offered there.
fn passkey_relying_party(public_url: &url::Url) -> Option<webauthn_rs::Webauthn> {
    let rp_id = public_url.domain()?;
    webauthn_rs::WebauthnBuilder::new(rp_id, public_url)
        .ok()?
        .rp_name(crate::domain::authentication::AGENCY_SHORT_NAME)
        .timeout(Duration::from_secs(PASSKEY_CEREMONY_SECS))
        .build()
        .ok()
}

/// The scheme://host[:port] of the issuer, for `Origin` checks.
fn origin(issuer: &str) -> String {
    url::Url::parse(issuer).map_or_else(|_| issuer.to_owned(), |u| u.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkeys_exist_only_where_the_issuer_is_a_domain() {
        let domain = url::Url::parse("https://connexion.example.org").unwrap();
        assert!(passkey_relying_party(&domain).is_some());
        let local = url::Url::parse("https://localhost:8443").unwrap();
        assert!(passkey_relying_party(&local).is_some());
        let ip = url::Url::parse("https://127.0.0.1:8443").unwrap();
        assert!(passkey_relying_party(&ip).is_none());
    }
}
