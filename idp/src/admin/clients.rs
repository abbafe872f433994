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

/// A rule of the registration broken: the field at fault, the message (`clients-error-…`,
/// in the locales) and the value it names. Shown in English by the CLI, in the officer's
/// language at the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The field (the console's form field, the CLI's option without `--`).
    pub field: &'static str,
    /// The message key.
    pub key: &'static str,
    /// The value at fault, when the message names one.
    pub value: String,
}

impl Broken {
    fn new(field: &'static str, key: &'static str, value: impl Into<String>) -> Self {
        Self {
            field,
            key,
            value: value.into(),
        }
    }

    /// The message in `lang`, after the value it is about.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        if self.value.is_empty() {
            lang.t(self.key)
        } else {
            format!("{} — {}", self.value, lang.t(self.key))
        }
    }
}

/// As the command line says it: the option, then the message in English.
impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let option = self.field.replace('_', "-");
        write!(f, "--{option} {}", self.message(crate::i18n::Lang::En))
    }
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// A rule of the registration was broken.
    #[error("{0}")]
    Invalid(Broken),
    /// The id is taken.
    #[error("a client with this id already exists")]
    Taken,
    /// No such client.
    #[error("no such client")]
    Unknown,
    /// No confidential client with this id: nothing has a secret to replace.
    #[error("no confidential client `{0}`")]
    NoSecret(String),
    /// The random generator failed.
    #[error("the random generator failed")]
    Random,
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
        Some(SecretToken::generate().map_err(|_| RegistrationError::Random)?)
    };
    let hash = secret
        .as_ref()
        .map(|s| clients::hash_secret(key, s.expose()));
    let client = r.into_client(hash);
    clients::insert(db, &client).await.map_err(refused)?;
    Ok(secret.map(|s| s.expose().to_owned()))
}

/// Changes what a registration says — names, URIs, grants, scopes, algorithm, first-party —
/// by the same rules as a registration; its id, type and secret stay. `r.public` must say what
/// the client is.
#[tracing::instrument(skip_all, fields(client = %r.id))]
pub async fn update(db: &impl GenericClient, r: Registration) -> Result<(), RegistrationError> {
    validate(&r)?;
    let client = r.into_client(None);
    if clients::update(db, &client).await.map_err(refused)? {
        Ok(())
    } else {
        Err(RegistrationError::Unknown)
    }
}

/// A write refused by a constraint, in the registration's words.
fn refused(e: StoreError) -> RegistrationError {
    match e.conflict() {
        Some(Conflict::ClientIdTaken) => RegistrationError::Taken,
        Some(Conflict::IdTokenAlg) => {
            RegistrationError::Invalid(Broken::new("id_token_alg", "clients-error-alg", ""))
        }
        _ => e.into(),
    }
}

impl Registration {
    /// The stored form.
    fn into_client(self, secret_hash: Option<Vec<u8>>) -> Client {
        Client {
            id: self.id,
            name: self.name,
            secret_hash,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            grant_types: self.grant_types,
            scopes: self.scopes,
            id_token_alg: self.id_token_alg.as_str().to_owned(),
            first_party: self.first_party,
            backchannel_logout_uri: self.backchannel_logout_uri,
            home_uri: self.home_uri,
        }
    }

    /// What a stored client says, as a registration.
    pub fn of(c: &Client) -> Self {
        Self {
            id: c.id.clone(),
            name: c.name.clone(),
            public: c.secret_hash.is_none(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            grant_types: c.grant_types.clone(),
            scopes: c.scopes.clone(),
            id_token_alg: SigningAlg::parse(&c.id_token_alg).unwrap_or(SigningAlg::Rs256),
            first_party: c.first_party,
            backchannel_logout_uri: c.backchannel_logout_uri.clone(),
            home_uri: c.home_uri.clone(),
        }
    }
}

/// Issues a new secret for a confidential client (the old one stops working at once).
#[tracing::instrument(skip_all, fields(client = %id))]
pub async fn rotate_secret(
    db: &impl GenericClient,
    key: &Secret32,
    id: &str,
) -> Result<String, RegistrationError> {
    let secret = SecretToken::generate().map_err(|_| RegistrationError::Random)?;
    if clients::set_secret_hash(db, id, &clients::hash_secret(key, secret.expose())).await? {
        Ok(secret.expose().to_owned())
    } else {
        Err(RegistrationError::NoSecret(id.to_owned()))
    }
}

fn validate(r: &Registration) -> Result<(), RegistrationError> {
    let broken =
        |field, key, value: &str| Err(RegistrationError::Invalid(Broken::new(field, key, value)));
    if r.id.is_empty()
        || r.id.len() > 64
        || !r
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return broken("id", "clients-error-id", "");
    }
    if r.name.trim().is_empty() || r.name.chars().count() > 100 {
        return broken("name", "clients-error-name", "");
    }
    for g in &r.grant_types {
        if !matches!(
            g.as_str(),
            "authorization_code" | "refresh_token" | "client_credentials"
        ) {
            return broken("grant", "clients-error-grant", g);
        }
    }
    if r.grant_types.is_empty() {
        return broken("grant", "clients-error-no-grant", "");
    }
    if r.public && r.grant_types.iter().any(|g| g == "client_credentials") {
        return broken("grant", "clients-error-public-client-credentials", "");
    }
    if r.grant_types.iter().any(|g| g == "authorization_code") && r.redirect_uris.is_empty() {
        return broken("redirect_uri", "clients-error-redirect-required", "");
    }
    let uris = [
        ("redirect_uri", r.redirect_uris.as_slice()),
        (
            "post_logout_redirect_uri",
            r.post_logout_redirect_uris.as_slice(),
        ),
        (
            "backchannel_logout_uri",
            r.backchannel_logout_uri.as_slice(),
        ),
        ("home_uri", r.home_uri.as_slice()),
    ];
    for (field, list) in uris {
        for uri in list {
            let Ok(parsed) = url::Url::parse(uri) else {
                return broken(field, "clients-error-uri", uri);
            };
            // RFC 9700 §4.1.3 and §2.6: no fragment; TLS except for loopback during
            // development.
            if parsed.fragment().is_some() {
                return broken(field, "clients-error-uri-fragment", uri);
            }
            let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
                return broken(field, "clients-error-uri-https", uri);
            }
        }
    }
    if r.scopes.is_empty() || Scope::parse(&r.scopes.join(" ")).is_err() {
        return broken("scope", "clients-error-scope", "");
    }
    Ok(())
}
