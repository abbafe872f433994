//! Sign-in through the agency's identity provider: this service is an OpenID Connect relying
//! party (code flow, PKCE S256, nonce, ES256/RS256 id_tokens verified with the provider's
//! JWKS). In development it is the demo relying party `scripts/dev` points newcomers to.
//!
//! The signed-in users and pending logins are held in this process for now; the messaging
//! issue moves them to Postgres with the rest of the service's state.

mod client;
mod handlers;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;

pub use client::{HttpError, HttpFuture, Provider, http_client};

/// Where the identity provider is and who we are to it.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The provider's issuer (`MESSAGING_IDP_ISSUER`).
    pub issuer: String,
    /// Our public URL (`MESSAGING_PUBLIC_URL`); the redirect URI is `<it>/callback`.
    pub public_url: String,
    /// Our client id (`MESSAGING_CLIENT_ID`).
    pub client_id: String,
    /// File holding our client secret (`MESSAGING_CLIENT_SECRET_FILE`).
    pub client_secret_file: PathBuf,
    /// An extra root CA to trust (`MESSAGING_CA_FILE`, the dev CA).
    pub ca_file: Option<PathBuf>,
}

/// A signed-in user, as the id_token and userinfo describe them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// `sub`.
    pub subject: String,
    /// Display name.
    pub name: String,
    /// `IP…`/`CE…`.
    pub username: String,
    /// The raw id_token, for RP-initiated logout's `id_token_hint`.
    pub id_token: String,
}

/// A login in progress, keyed by its `state`.
#[derive(Debug)]
struct PendingLogin {
    verifier: String,
    nonce: String,
    created: std::time::Instant,
}

/// The auth feature's state.
#[derive(Debug, Clone)]
pub struct Auth {
    provider: Arc<Provider>,
    pending: Arc<Mutex<HashMap<String, PendingLogin>>>,
    sessions: Arc<Mutex<HashMap<String, SignedIn>>>,
}

impl Auth {
    /// Discovers the provider and prepares the client.
    pub async fn discover(config: AuthConfig) -> anyhow::Result<Self> {
        Ok(Self {
            provider: Arc::new(Provider::discover(config).await?),
            pending: Arc::default(),
            sessions: Arc::default(),
        })
    }
}

/// `/`, `/login`, `/callback`, `/logout`.
pub fn router(auth: Auth) -> Router {
    Router::new()
        .route("/", get(handlers::home))
        .route("/login", get(handlers::login))
        .route("/callback", get(handlers::callback))
        .route("/logout", get(handlers::logout))
        .with_state(auth)
}
