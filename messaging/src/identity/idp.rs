//! The identity provider as this service reaches it: discovery (fetched on first need and
//! kept), its key set (`jwks.rs`) and userinfo, over one reqwest client that trusts the
//! configured extra CA.

use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::jwks::KeySet;
use crate::config::IdpConfig;

/// The parts of the discovery document this service uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    /// `issuer`.
    pub issuer: String,
    /// `jwks_uri`.
    pub jwks_uri: String,
    /// `userinfo_endpoint`.
    pub userinfo_endpoint: String,
}

/// The provider.
#[derive(Debug)]
pub struct Idp {
    /// Its issuer, exactly as tokens carry it.
    pub issuer: String,
    /// Our client id: the audience our bearer tokens must carry.
    pub audience: String,
    http: reqwest::Client,
    endpoints: OnceCell<Endpoints>,
    /// The key set, cached.
    pub keys: KeySet,
    /// Access tokens that verified, by SHA-256 (`bearer::verify`).
    pub verified: moka::sync::Cache<[u8; 32], std::sync::Arc<super::bearer::AccessClaims>>,
}

impl Idp {
    /// Prepares the client (no request yet).
    pub fn new(config: &IdpConfig) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5));
        if let Some(ca) = &config.ca_file {
            let pem = std::fs::read(ca)
                .with_context(|| format!("configuration key `idp.ca_file`: {}", ca.display()))?;
            builder = builder.add_root_certificate(
                reqwest::Certificate::from_pem(&pem)
                    .context("`idp.ca_file` is not a PEM certificate")?,
            );
        }
        Ok(Self {
            issuer: config.issuer.as_str().trim_end_matches('/').to_owned(),
            audience: config.client_id.clone(),
            http: builder.build()?,
            endpoints: OnceCell::new(),
            keys: KeySet::new(
                Duration::from_secs(config.jwks_cache_secs),
                Duration::from_secs(config.jwks_refetch_floor_secs),
            ),
            verified: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
        })
    }

    /// The HTTP client (sign-in's token exchange uses it too).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The discovery document's endpoints, fetched once.
    pub async fn endpoints(&self) -> Result<&Endpoints, IdpError> {
        self.endpoints
            .get_or_try_init(|| async {
                let url = format!("{}/.well-known/openid-configuration", self.issuer);
                let endpoints: Endpoints = self.get_json(&url, None).await?;
                if endpoints.issuer.trim_end_matches('/') != self.issuer {
                    return Err(IdpError::Unusable(format!(
                        "the discovery document names issuer {}",
                        endpoints.issuer
                    )));
                }
                Ok(endpoints)
            })
            .await
    }

    /// GETs a JSON document, with a bearer token when given.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        bearer: Option<&str>,
    ) -> Result<T, IdpError> {
        let mut request = self.http.get(url);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| IdpError::Unreachable(e.to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(IdpError::TokenRefused);
        }
        if !status.is_success() {
            return Err(IdpError::Unusable(format!("{url} answered {status}")));
        }
        response
            .json()
            .await
            .map_err(|e| IdpError::Unusable(format!("{url}: {e}")))
    }
}

/// Why the idp could not answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IdpError {
    /// It could not be reached.
    #[error("the identity provider cannot be reached: {0}")]
    Unreachable(String),
    /// It answered something this service cannot use.
    #[error("the identity provider's answer is unusable: {0}")]
    Unusable(String),
    /// It refused the token we passed on (userinfo): the caller's token is not valid there.
    #[error("the identity provider refused the token")]
    TokenRefused,
}
