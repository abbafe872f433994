//! Signing in to the pages: this service as an OpenID Connect relying party of the idp
//! (confidential client, code flow, PKCE S256, nonce; id_tokens verified with the idp's JWKS,
//! ES256, RS256 or EdDSA), on the `openidconnect` crate over reqwest.

use std::future::Future;
use std::pin::Pin;

use anyhow::Context as _;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse, IssuerUrl,
    Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, Scope, TokenResponse as _,
};

use base64::Engine as _;

/// Where the identity provider is and who we are to it.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The provider's issuer.
    pub issuer: String,
    /// Our public URL; the redirect URI is `<it>/callback`.
    pub public_url: String,
    /// Our client id.
    pub client_id: String,
    /// File holding our client secret.
    pub client_secret_file: std::path::PathBuf,
    /// An extra root CA to trust (the dev CA).
    pub ca_file: Option<std::path::PathBuf>,
}

/// A person who just signed in, as their verified id_token describes them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// `sub`.
    pub subject: String,
    /// Display name.
    pub name: String,
    /// `IP…`/`CE…`.
    pub username: String,
    /// The idp's SSO session (`sid`), which back-channel logout names.
    pub sid: Option<String>,
    /// Agency roles.
    pub roles: Vec<String>,
    /// The `acts_for` claim (JSON array).
    pub acts_for: serde_json::Value,
    /// The raw id_token, for RP-initiated logout's `id_token_hint`.
    pub id_token: String,
    /// E-mail, when the idp gave one (`email` scope).
    pub email: Option<String>,
    /// Preferred language.
    pub locale: Option<String>,
    /// The refresh token, to check now and then that the grant, the roles and the delegations
    /// still stand.
    pub refresh_token: Option<String>,
}

/// The agency's claims of an id_token whose signature, issuer, audience, expiry and nonce
/// openidconnect has just verified.
#[derive(Debug, Default, serde::Deserialize)]
struct AgencyClaims {
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    acts_for: Option<serde_json::Value>,
}

fn agency_claims(id_token: &str) -> AgencyClaims {
    id_token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The openidconnect client as discovery configures it.
type ConfiguredClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// A transport failure, for openidconnect.
#[derive(Debug)]
pub struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

/// What the HTTP client closure returns.
pub type HttpFuture = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send>>;

/// The identity provider as this relying party sees it.
pub struct Provider {
    metadata: CoreProviderMetadata,
    config: AuthConfig,
    secret: ClientSecret,
    http: reqwest::Client,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.config.issuer)
            .finish()
    }
}

impl Provider {
    /// Reads the client secret and fetches the provider's discovery document.
    pub async fn discover(config: AuthConfig) -> anyhow::Result<Self> {
        let secret = std::fs::read_to_string(&config.client_secret_file).with_context(|| {
            format!(
                "configuration key `idp.client_secret_file`: {}",
                config.client_secret_file.display()
            )
        })?;
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10));
        if let Some(ca) = &config.ca_file {
            let pem = std::fs::read(ca)
                .with_context(|| format!("configuration key `idp.ca_file`: {}", ca.display()))?;
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
        }
        let http = builder.build()?;
        let issuer =
            IssuerUrl::new(config.issuer.clone()).context("configuration key `idp.issuer`")?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http_client(&http))
            .await
            .with_context(|| format!("discovery at {}", config.issuer))?;
        Ok(Self {
            metadata,
            secret: ClientSecret::new(secret.trim().to_owned()),
            config,
            http,
        })
    }

    /// The authorization URL, with its state, nonce and PKCE verifier to keep.
    pub fn authorize_url(&self) -> anyhow::Result<(url::Url, CsrfToken, Nonce, PkceCodeVerifier)> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client()?
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((url, state, nonce, verifier))
    }

    /// Exchanges a code and verifies the id_token (signature, issuer, audience, expiry, nonce).
    pub async fn finish(
        &self,
        code: String,
        verifier: String,
        nonce: &str,
    ) -> anyhow::Result<SignedIn> {
        let client = self.client()?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&http_client(&self.http))
            .await
            .context("code exchange")?;
        let nonce = Nonce::new(nonce.to_owned());
        self.signed_in(&client, &tokens, &nonce)
    }

    /// Uses a refresh token (rotated by the idp): the person as the idp describes them now —
    /// their roles and the delegations in force. An error means the grant is over (revoked,
    /// expired, account disabled): the session must end.
    pub async fn refresh(&self, refresh_token: &str) -> anyhow::Result<SignedIn> {
        let client = self.client()?;
        let tokens = client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_owned()))?
            .request_async(&http_client(&self.http))
            .await
            .context("refresh")?;
        // A refreshed id_token carries no nonce (OIDC Core §12.2).
        self.signed_in(&client, &tokens, |_: Option<&Nonce>| Ok(()))
    }

    fn signed_in(
        &self,
        client: &ConfiguredClient,
        tokens: &openidconnect::core::CoreTokenResponse,
        nonce: impl openidconnect::NonceVerifier,
    ) -> anyhow::Result<SignedIn> {
        let id_token = tokens.id_token().context("the provider sent no id_token")?;
        let verifier = client.id_token_verifier().set_allowed_algs(vec![
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::EdDsa,
        ]);
        let claims = id_token.claims(&verifier, nonce).context("id_token")?;
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string())
            .unwrap_or_default();
        let raw = id_token.to_string();
        let agency = agency_claims(&raw);
        let username = agency
            .username
            .or_else(|| claims.preferred_username().map(|u| u.to_string()))
            .unwrap_or_default();
        Ok(SignedIn {
            subject: claims.subject().to_string(),
            name,
            username,
            sid: agency.sid,
            roles: agency.roles,
            acts_for: agency.acts_for.unwrap_or_else(|| serde_json::json!([])),
            email: claims.email().map(|e| e.to_string()),
            locale: claims.locale().map(|l| l.to_string()),
            refresh_token: tokens.refresh_token().map(|t| t.secret().to_owned()),
            id_token: raw,
        })
    }

    /// The provider's RP-initiated logout URL for a user, back to our home page.
    pub fn logout_url(&self, id_token: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token_hint", id_token)
            .append_pair(
                "post_logout_redirect_uri",
                &format!("{}/", self.config.public_url),
            )
            .finish();
        format!("{}/logout?{query}", self.config.issuer)
    }

    fn client(&self) -> anyhow::Result<ConfiguredClient> {
        let redirect = RedirectUrl::new(format!("{}/callback", self.config.public_url))?;
        Ok(CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(self.secret.clone()),
        )
        .set_redirect_uri(redirect))
    }
}

/// openidconnect's HTTP client: a closure over reqwest (openidconnect is built without an
/// HTTP client of its own, so it brings no second TLS stack).
pub fn http_client(http: &reqwest::Client) -> impl Fn(HttpRequest) -> HttpFuture + use<> {
    let http = http.clone();
    move |request: HttpRequest| {
        let http = http.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| HttpError(e.to_string()))?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| HttpError(e.to_string()))?;
            builder
                .body(body.to_vec())
                .map_err(|e| HttpError(e.to_string()))
        }) as HttpFuture
    }
}
