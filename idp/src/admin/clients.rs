//! Client registration. Confidential clients get a server-generated 256-bit secret, shown once
//! and stored as a keyed hash.

use crate::config::Secret32;
use crate::domain::{Scope, SecretToken};
use crate::keys::SigningAlg;
use crate::store::clients::{self, Client};
use crate::store::{Conflict, GenericClient, StoreError};

/// What the security team asks for.
#[derive(Debug, Clone)]
pub struct Registration {
    /// `client_id`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Public (PKCE only, no secret) or confidential.
    pub public: bool,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grants.
    pub grant_types: Vec<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// id_token algorithm (RS256 when none is registered, OIDC Registration §2).
    pub id_token_alg: SigningAlg,
    /// Skips consent.
    pub first_party: bool,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<String>,
    /// The service's home URL, where the online-services home page links (RFC 7591
    /// `client_uri`); not listed there without one.
    pub home_uri: Option<String>,
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// A rule of the registration was broken.
    #[error("{0}")]
    Invalid(String),
    /// The id is taken.
    #[error("a client with this id already exists")]
    Taken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Registers a client; returns the secret for a confidential one (shown once).
#[tracing::instrument(skip_all, fields(client = %r.id))]
pub async fn register(
    db: &impl GenericClient,
    key: &Secret32,
    r: Registration,
) -> Result<Option<String>, RegistrationError> {
    validate(&r)?;
    let secret = if r.public {
        None
    } else {
        Some(SecretToken::generate().map_err(|_| RegistrationError::Invalid("rng".into()))?)
    };
    let client = Client {
        id: r.id,
        name: r.name,
        secret_hash: secret
            .as_ref()
            .map(|s| clients::hash_secret(key, s.expose())),
        redirect_uris: r.redirect_uris,
        post_logout_redirect_uris: r.post_logout_redirect_uris,
        grant_types: r.grant_types,
        scopes: r.scopes,
        id_token_alg: r.id_token_alg.as_str().to_owned(),
        first_party: r.first_party,
        backchannel_logout_uri: r.backchannel_logout_uri,
        home_uri: r.home_uri,
    };
    match clients::insert(db, &client).await {
        Err(e) => match e.conflict() {
            Some(Conflict::ClientIdTaken) => Err(RegistrationError::Taken),
            Some(Conflict::IdTokenAlg) => Err(RegistrationError::Invalid(
                "the id_token algorithm is not one the provider signs with".into(),
            )),
            _ => Err(e.into()),
        },
        Ok(()) => Ok(secret.map(|s| s.expose().to_owned())),
    }
}

/// Issues a new secret for a confidential client (the old one stops working at once).
#[tracing::instrument(skip_all, fields(client = %id))]
pub async fn rotate_secret(
    db: &impl GenericClient,
    key: &Secret32,
    id: &str,
) -> Result<String, RegistrationError> {
    let secret = SecretToken::generate().map_err(|_| RegistrationError::Invalid("rng".into()))?;
    if clients::set_secret_hash(db, id, &clients::hash_secret(key, secret.expose())).await? {
        Ok(secret.expose().to_owned())
    } else {
        Err(RegistrationError::Invalid(format!(
            "no confidential client `{id}`"
        )))
    }
}

fn validate(r: &Registration) -> Result<(), RegistrationError> {
    let invalid = |m: &str| Err(RegistrationError::Invalid(m.to_owned()));
    if r.id.is_empty()
        || r.id.len() > 64
        || !r
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return invalid("--id: 1 to 64 characters among a-z A-Z 0-9 - _ .");
    }
    if r.name.trim().is_empty() {
        return invalid("--name is required");
    }
    for g in &r.grant_types {
        if !matches!(
            g.as_str(),
            "authorization_code" | "refresh_token" | "client_credentials"
        ) {
            return invalid(&format!(
                "--grant {g}: not supported (authorization_code, refresh_token, client_credentials)"
            ));
        }
    }
    if r.public && r.grant_types.iter().any(|g| g == "client_credentials") {
        return invalid("a public client cannot use client_credentials");
    }
    if r.grant_types.iter().any(|g| g == "authorization_code") && r.redirect_uris.is_empty() {
        return invalid("--redirect-uri is required for authorization_code");
    }
    for uri in r
        .redirect_uris
        .iter()
        .chain(&r.post_logout_redirect_uris)
        .chain(&r.backchannel_logout_uri)
        .chain(&r.home_uri)
    {
        let parsed = url::Url::parse(uri)
            .map_err(|_| RegistrationError::Invalid(format!("{uri}: not an absolute URL")))?;
        // RFC 9700 §4.1.3 and §2.6: no fragment; TLS except for loopback during development.
        if parsed.fragment().is_some() {
            return invalid(&format!("{uri}: a redirect URI has no fragment"));
        }
        let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
            return invalid(&format!("{uri}: must use https (http only for loopback)"));
        }
    }
    Scope::parse(&r.scopes.join(" "))
        .map_err(|_| RegistrationError::Invalid("--scope: invalid characters".into()))?;
    Ok(())
}
