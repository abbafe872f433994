//! The OpenID Connect client: discovery, authorization URL, code exchange and id_token
//! verification, on the `openidconnect` crate over reqwest.

use std::future::Future;
use std::pin::Pin;

use anyhow::Context as _;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _,
};

use super::{AuthConfig, SignedIn};

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
                "MESSAGING_CLIENT_SECRET_FILE {}",
                config.client_secret_file.display()
            )
        })?;
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10));
        if let Some(ca) = &config.ca_file {
            let pem =
                std::fs::read(ca).with_context(|| format!("MESSAGING_CA_FILE {}", ca.display()))?;
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
        }
        let http = builder.build()?;
        let issuer = IssuerUrl::new(config.issuer.clone()).context("MESSAGING_IDP_ISSUER")?;
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
        let id_token = tokens.id_token().context("the provider sent no id_token")?;
        let verifier = client.id_token_verifier().set_allowed_algs(vec![
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::EdDsa,
        ]);
        let claims = id_token
            .claims(&verifier, &Nonce::new(nonce.to_owned()))
            .context("id_token")?;
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string())
            .unwrap_or_default();
        let username = claims
            .preferred_username()
            .map(|u| u.to_string())
            .unwrap_or_default();
        Ok(SignedIn {
            subject: claims.subject().to_string(),
            name,
            username,
            id_token: id_token.to_string(),
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

    fn client(
        &self,
    ) -> anyhow::Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
    > {
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
