//! What every request handler shares.

use std::sync::Arc;

use deadpool_postgres::Pool;

use crate::antivirus::Scanner;
use crate::blobs::Blobs;
use crate::config::Config;
use crate::crypto::{Keyring, MasterKey};
use crate::events::Hub;
use crate::identity::Idp;
use crate::identity::caller::Profiles;
use crate::identity::signin::{AuthConfig, Provider};
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
    /// The pages' sign-in at the idp (none on an API-only node).
    pub signin: Option<Arc<Provider>>,
    /// Thread events of every node (server-sent events).
    pub events: Hub,
    /// The attachments' blob store.
    pub blobs: Blobs,
    /// The antivirus hook (when configured).
    pub scanner: Option<Scanner>,
}

impl AppState {
    /// Connects to Postgres (lazily), reads the master key, prepares the idp client and starts
    /// listening for thread events (within a Tokio runtime).
    pub fn connect(config: Config) -> anyhow::Result<Self> {
        Self::connect_shared(Arc::new(config))
    }

    /// [`AppState::connect`] with a configuration another node of this process already uses
    /// (tests run two nodes side by side).
    pub fn connect_shared(config: Arc<Config>) -> anyhow::Result<Self> {
        let db = crate::store::pool(&config.database)?;
        let keyring = Keyring::new(MasterKey::load(&config.keys.master_key_file)?);
        let idp = Arc::new(Idp::new(&config.idp)?);
        let quotas = Quotas::open(&config.redis)
            .map_err(|e| anyhow::anyhow!("configuration key `redis.url`: {e}"))?;
        let events = Hub::start(config.database.url.clone(), config.database.schema.clone());
        let blobs = Blobs::open(&config.attachments)?;
        let scanner = config
            .attachments
            .clamd
            .as_ref()
            .map(Scanner::new)
            .transpose()?;
        Ok(Self {
            blobs,
            scanner,
            events,
            config,
            db,
            keyring,
            idp,
            profiles: Profiles::default(),
            quotas,
            signin: None,
        })
    }

    /// Discovers the idp for the pages' sign-in, when a client secret is configured.
    pub async fn with_signin(mut self) -> anyhow::Result<Self> {
        let Some(secret) = self.config.idp.client_secret_file.clone() else {
            return Ok(self);
        };
        let config = AuthConfig {
            issuer: self.idp.issuer.clone(),
            public_url: self
                .config
                .server
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            client_id: self.config.idp.client_id.clone(),
            client_secret_file: secret,
            ca_file: self.config.idp.ca_file.clone(),
        };
        self.signin = Some(Arc::new(Provider::discover(config).await?));
        Ok(self)
    }
}
