//! The requests each scenario sends, as a relying party or a browser would send them.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderValue};
use serde::Deserialize;
use url::Url;

/// Name of the SSO session cookie a login sets.
const SESSION_COOKIE: &str = "__Host-idp_session";

/// Name of the CSRF cookie the login page sets.
pub(crate) const CSRF_COOKIE: &str = "__Host-idp_csrf";

/// A request that takes longer than this is an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Everything a worker needs to talk to the idp.
#[derive(Debug, Clone)]
pub struct Target {
    /// `https://localhost:8443`.
    pub base: Url,
    /// `Origin` of the idp's own pages (sent with the login form).
    pub origin: HeaderValue,
    /// Confidential client.
    pub client_id: String,
    /// `Authorization: Basic …` for that client (RFC 6749 §2.3.1: form-encoded inside).
    pub basic: HeaderValue,
    /// A registered redirect URI of the client.
    pub redirect_uri: String,
    /// Account used by the login and refresh scenarios.
    pub username: String,
    /// Its password.
    pub password: String,
    /// TLS settings shared by every client we build.
    pub tls: rustls::ClientConfig,
    /// The messaging service (the messaging scenarios).
    pub messaging_base: Url,
    /// The body the messaging scenarios send.
    pub messaging_body: String,
}

impl Target {
    /// Builds the target from the command line's values.
    pub fn new(
        base: Url,
        ca_pem: &[u8],
        client_id: String,
        client_secret: &str,
        redirect_uri: String,
        username: String,
        password: String,
    ) -> anyhow::Result<Self> {
        let origin = HeaderValue::from_str(&base.origin().ascii_serialization())?;
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = HeaderValue::from_str(&format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", enc(&client_id), enc(client_secret)))
        ))?;
        Ok(Self {
            base: base.clone(),
            origin,
            client_id,
            basic,
            redirect_uri,
            username,
            password,
            tls: tls_config(ca_pem)?,
            messaging_base: base.clone(),
            messaging_body: String::new(),
        })
    }

    pub(crate) fn url(&self, path: &str) -> anyhow::Result<Url> {
        Ok(self.base.join(path)?)
    }

    /// An HTTP/1.1 client with its own connection pool; redirects are not followed and
    /// cookies are handled by hand, so every login starts without a session.
    pub fn client(&self) -> anyhow::Result<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .tls_backend_preconfigured(self.tls.clone())
            .http1_only()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(1)
            .build()?)
    }

    /// A client that keeps cookies (a signed-in browser), pooling up to `connections`.
    pub fn cookie_client(&self, connections: usize) -> anyhow::Result<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .tls_backend_preconfigured(self.tls.clone())
            .http1_only()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(connections)
            .cookie_store(true)
            .build()?)
    }

    /// `GET path`, body read to the end; 200 expected.
    pub async fn get_ok(&self, http: &reqwest::Client, path: &str) -> anyhow::Result<()> {
        let response = http.get(self.url(path)?).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        ensure!(status == StatusCode::OK, "GET {path}: {status}");
        ensure!(!body.is_empty(), "GET {path}: empty body");
        Ok(())
    }

    /// `POST /token` with `client_credentials`; returns the access token.
    pub async fn client_credentials(&self, http: &reqwest::Client) -> anyhow::Result<String> {
        let tokens: Tokens = self
            .token_request(http, &[("grant_type", "client_credentials")])
            .await?;
        Ok(tokens.access_token)
    }

    /// `POST /introspect`; the token must come back active.
    pub async fn introspect(&self, http: &reqwest::Client, token: &str) -> anyhow::Result<()> {
        let body = self
            .post_authenticated(http, "/introspect", &[("token", token)])
            .await?;
        let answer: Introspection = serde_json::from_slice(&body)?;
        ensure!(answer.active, "introspect: token not active");
        Ok(())
    }

    /// `POST /token` with `refresh_token`; returns the rotated refresh token.
    pub async fn refresh(&self, http: &reqwest::Client, refresh: &str) -> anyhow::Result<String> {
        let tokens: Tokens = self
            .token_request(
                http,
                &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
            )
            .await?;
        tokens
            .refresh_token
            .context("refresh: no rotated refresh_token in the response")
    }

    /// The whole browser and relying-party flow: authorize → login page → password → code →
    /// tokens, with PKCE (S256), state and nonce. Returns the refresh token.
    pub async fn login(&self, http: &reqwest::Client) -> anyhow::Result<String> {
        self.login_tokens(http)
            .await?
            .refresh_token
            .context("token: no refresh_token for demo-portal")
    }

    /// [`Target::login`], returning the access token (the messaging API's bearer token).
    pub async fn login_access_token(&self, http: &reqwest::Client) -> anyhow::Result<String> {
        Ok(self.login_tokens(http).await?.access_token)
    }

    async fn login_tokens(&self, http: &reqwest::Client) -> anyhow::Result<Tokens> {
        let verifier = random_b64(32)?; // 43 characters
        let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            verifier.as_bytes(),
        ));
        let state = random_b64(16)?;
        let nonce = random_b64(16)?;

        // 1. The relying party sends the browser to /authorize.
        let mut authorize = self.url("/authorize")?;
        authorize
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", "openid profile email")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let response = http.get(authorize).send().await?;
        let login_page = self.redirect_target(response, "authorize").await?;
        ensure!(
            login_page.path() == "/login",
            "authorize: redirected to {login_page}, not /login"
        );

        // 2. The login page, 3. the password, 4. the hand-off back to the authorization
        // endpoint, which answers with the code.
        let response = self.submit_login_page(http, login_page).await?;
        let status = response.status();
        ensure!(status == StatusCode::SEE_OTHER, "login: {status}");
        let session = set_cookie(response.headers(), SESSION_COOKIE)
            .context("login: no __Host-idp_session cookie")?;
        let resume = self.redirect_target(response, "login").await?;
        ensure!(
            resume.path() == "/authorize/resume",
            "login: redirected to {resume}, not /authorize/resume"
        );
        let response = http
            .get(resume)
            .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
            .send()
            .await?;
        let callback = self.redirect_target(response, "resume").await?;
        let mut code = None;
        let mut returned_state = None;
        for (k, v) in callback.query_pairs() {
            match &*k {
                "code" => code = Some(v.into_owned()),
                "state" => returned_state = Some(v.into_owned()),
                "error" => bail!("login: the idp answered error={v}"),
                _ => {}
            }
        }
        let code = code.with_context(|| format!("login: no code in {callback}"))?;
        ensure!(
            returned_state.as_deref() == Some(state.as_str()),
            "login: state mismatch"
        );

        // 5. The relying party redeems the code.
        let tokens: Tokens = self
            .token_request(
                http,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", self.redirect_uri.as_str()),
                    ("code_verifier", verifier.as_str()),
                ],
            )
            .await?;
        ensure!(tokens.id_token.is_some(), "token: no id_token for openid");
        Ok(tokens)
    }

    /// The login page and its POST, which must be refused with 503 and `Retry-After` (the
    /// idp's Redis is down: the lock cannot be checked, so it fails closed).
    pub async fn login_unavailable(&self, http: &reqwest::Client) -> anyhow::Result<()> {
        let response = self.submit_login_page(http, self.url("/login")?).await?;
        let status = response.status();
        ensure!(
            status == StatusCode::SERVICE_UNAVAILABLE,
            "login with Redis down: {status}, not 503"
        );
        ensure!(
            response.headers().contains_key(header::RETRY_AFTER),
            "login with Redis down: no Retry-After"
        );
        Ok(())
    }

    /// Opens the login page at `page` (its CSRF cookie and hidden fields) and submits it with
    /// the account's name and password; the raw answer.
    async fn submit_login_page(
        &self,
        http: &reqwest::Client,
        page: Url,
    ) -> anyhow::Result<reqwest::Response> {
        let response = http.get(page).send().await?;
        let status = response.status();
        let csrf_cookie = set_cookie(response.headers(), CSRF_COOKIE)
            .context("login page: no __Host-idp_csrf cookie")?;
        let page = response.text().await?;
        ensure!(status == StatusCode::OK, "login page: {status}");
        let csrf = hidden_input(&page, "csrf").context("login page: no csrf field")?;
        let mut form = vec![
            ("csrf", csrf),
            ("username", self.username.clone()),
            ("password", self.password.clone()),
        ];
        // A login started by /authorize carries its parked request; a direct one does not.
        if let Some(req) = hidden_input(&page, "req") {
            form.push(("req", req));
        }
        let response = http
            .post(self.url("/login")?)
            .header(header::COOKIE, format!("{CSRF_COOKIE}={csrf_cookie}"))
            .header(header::ORIGIN, self.origin.clone())
            .form(&form)
            .send()
            .await?;
        Ok(response)
    }

    async fn token_request(
        &self,
        http: &reqwest::Client,
        form: &[(&str, &str)],
    ) -> anyhow::Result<Tokens> {
        let body = self.post_authenticated(http, "/token", form).await?;
        Ok(serde_json::from_slice(&body)?)
    }

    /// POSTs a form with the client's Basic credentials; the body of a 200 answer.
    async fn post_authenticated(
        &self,
        http: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> anyhow::Result<Vec<u8>> {
        let response = http
            .post(self.url(path)?)
            .header(header::AUTHORIZATION, self.basic.clone())
            .form(form)
            .send()
            .await?;
        let status = response.status();
        let body = response.bytes().await?;
        ensure!(
            status == StatusCode::OK,
            "POST {path}: {status}: {}",
            String::from_utf8_lossy(&body)
        );
        Ok(body.to_vec())
    }

    /// A 302/303 answer's `Location`, resolved against the idp.
    pub(crate) async fn redirect_target(
        &self,
        response: reqwest::Response,
        step: &str,
    ) -> anyhow::Result<Url> {
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().map(str::to_owned));
        if !status.is_redirection() {
            let body = response.text().await.unwrap_or_default();
            let excerpt: String = body.chars().take(300).collect();
            bail!("{step}: {status} instead of a redirect: {excerpt}");
        }
        let location = location
            .with_context(|| format!("{step}: {status} without Location"))?
            .map_err(|_| anyhow!("{step}: Location is not ASCII"))?;
        Ok(self.base.join(&location)?)
    }
}

#[derive(Debug, Deserialize)]
struct Tokens {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Introspection {
    active: bool,
}

/// The TLS client configuration: only the dev CA is trusted, HTTP/1.1 by ALPN, and no
/// session resumption, so a fresh client per request pays a full handshake.
fn tls_config(ca_pem: &[u8]) -> anyhow::Result<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.context("the CA file holds a malformed certificate")?)?;
    }
    ensure!(!roots.is_empty(), "the CA file holds no certificate");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.resumption = rustls::client::Resumption::disabled();
    Ok(config)
}

/// `n` random bytes, base64url.
pub(crate) fn random_b64(n: usize) -> anyhow::Result<String> {
    let mut bytes = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| anyhow!("rng failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The value of a cookie set by the response.
pub(crate) fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().to_owned())
}

/// The value of `<input … name="NAME" value="…">` in the login page.
pub(crate) fn hidden_input(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page.get(start..)?.find('"')? + start;
    Some(page.get(start..end)?.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hidden_inputs_are_found() {
        let page = r#"<input type="hidden" name="csrf" value="abc-_1">
                      <input type="hidden" name="req" value="R">"#;
        assert_eq!(hidden_input(page, "csrf").unwrap(), "abc-_1");
        assert_eq!(hidden_input(page, "req").unwrap(), "R");
        assert!(hidden_input(page, "nope").is_none());
    }

    #[test]
    fn the_csrf_cookie_is_read_from_set_cookie() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static("other=1; Path=/"),
        );
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_static("__Host-idp_csrf=xyz; Path=/; Secure; HttpOnly"),
        );
        assert_eq!(set_cookie(&headers, CSRF_COOKIE).unwrap(), "xyz");
    }
}
