//! What every request handler shares.

use std::sync::Arc;

use deadpool_postgres::Pool;

use crate::config::Config;
use crate::crypto::{Keyring, MasterKey};
use crate::identity::Idp;
use crate::identity::caller::Profiles;
use crate::store::quota::Quotas;

/// The service's shared state (cheap to clone).
#[derive(Debug, Clone)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<Config>,
    /// Postgres.
    pub db: Pool,
    /// Encryption keys.
    pub keyring: Keyring,
    /// The identity provider.
    pub idp: Arc<Idp>,
    /// Profiles of callers, by `sub`.
    pub profiles: Profiles,
    /// Per-person quotas (Redis).
    pub quotas: Quotas,
}

impl AppState {
    /// Connects to Postgres (lazily), reads the master key and prepares the idp client.
    pub fn connect(config: Config) -> anyhow::Result<Self> {
        let db = crate::store::pool(&config.database)?;
        let keyring = Keyring::new(MasterKey::load(&config.keys.master_key_file)?);
        let idp = Arc::new(Idp::new(&config.idp)?);
        let quotas = Quotas::open(&config.redis)
            .map_err(|e| anyhow::anyhow!("configuration key `redis.url`: {e}"))?;
        Ok(Self {
            config: Arc::new(config),
            db,
            keyring,
            idp,
            profiles: Profiles::default(),
            quotas,
        })
    }
}
