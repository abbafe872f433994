//! Hostile requests against the authorization, token, userinfo and logout endpoints, after
//! RFC 9700 (OAuth 2.0 Security Best Current Practice), RFC 6749 and RFC 7636: tampered
//! redirect URIs never redirect, PKCE is S256 only, implicit and hybrid flows do not exist,
//! codes and refresh tokens are single use (a replay revokes what they issued), client
//! authentication failures answer as §5.2 says, and malformed or oversized input is a clear
//! 4xx, never a 500.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failure is a failed test.

use figment::providers::Serialized;
use idp::keys::SigningAlg;
use integration_tests::{
    PASSWORD, TestApp, b64url, confidential_client, get, jwt, location, public_client, rp,
    spawn_app_with, urlencode,
};
use reqwest::header::{self, HeaderMap};
use serde_json::{Value, json};

/// The registered redirect URI of every client here (never contacted: redirects are not followed).
const CB: &str = "https://rp.example/cb";
/// A confidential client (client_secret_basic).
const RP: &str = "rp";
/// Another confidential client with the same redirect URI.
const OTHER: &str = "other-rp";
/// A public client (PKCE only).
const SPA: &str = "spa";
/// The one user.
const USER: &str = "IP24680";
/// A state with characters that would inject parameters if echoed unencoded.
const STATE: &str = "s1&iss=https://evil.example&error=none#x";

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

/// One idp with three clients and a user; `browser` signs in on first use, `app.http` never does.
struct Rp {
    app: TestApp,
    secret: String,
    other_secret: String,
    browser: reqwest::Client,
    api: reqwest::Client,
}

impl std::fmt::Debug for Rp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rp")
            .field("issuer", &self.app.issuer)
            .finish_non_exhaustive()
    }
}

async fn setup() -> Rp {
    setup_with(|f| f).await
}

async fn setup_with(tweak: impl Fn(figment::Figment) -> figment::Figment) -> Rp {
    let app = spawn_app_with(tweak).await;
    let secret = app
        .register_client(confidential_client(RP, CB, SigningAlg::Rs256))
        .await
        .unwrap();
    let other_secret = app
        .register_client(confidential_client(OTHER, CB, SigningAlg::Rs256))
        .await
        .unwrap();
    assert!(
        app.register_client(public_client(SPA, CB, SigningAlg::Rs256))
            .await
            .is_none()
    );
    app.add_user(USER).await;
    let browser = app.new_browser();
    let api = app.new_browser();
    Rp {
        app,
        secret,
        other_secret,
        browser,
        api,
    }
}

/// The answer of a JSON endpoint.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    json: Value,
}

impl Answer {
    fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or_default()
    }

    fn field(&self, name: &str) -> String {
        self.json[name]
            .as_str()
            .unwrap_or_else(|| panic!("`{name}` in {}", self.json))
            .to_owned()
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Answer {
        status,
        headers,
        json,
    }
}

impl Rp {
    fn credentials(&self, client_id: &str) -> Option<(&'static str, &str)> {
        match client_id {
            RP => Some((RP, &self.secret)),
            OTHER => Some((OTHER, &self.other_secret)),
            _ => None,
        }
    }

    /// POSTs a form to `path`, with HTTP Basic credentials when given.
    async fn post(&self, path: &str, basic: Option<(&str, &str)>, form: &[(&str, &str)]) -> Answer {
        let mut request = self.api.post(self.app.url(path)).form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        answer(request.send().await.unwrap()).await
    }

    /// POSTs raw bytes to `path` with the given Content-Type.
    async fn post_raw(&self, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Answer {
        let mut request = self.api.post(self.app.url(path)).body(body);
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        answer(request.send().await.unwrap()).await
    }

    /// A token request as `client_id` authenticates normally (Basic, or `client_id` in the body).
    async fn token_as(&self, client_id: &str, form: &[(&str, &str)]) -> Answer {
        match self.credentials(client_id) {
            Some(basic) => self.post("/token", Some(basic), form).await,
            None => {
                let mut form = form.to_vec();
                form.push(("client_id", client_id));
                self.post("/token", None, &form).await
            }
        }
    }

    /// Redeems a code at the token endpoint with `CB` as redirect URI.
    async fn redeem(&self, client_id: &str, code: &str, verifier: Option<&str>) -> Answer {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
        ];
        if let Some(verifier) = verifier {
            form.push(("code_verifier", verifier));
        }
        self.token_as(client_id, &form).await
    }

    async fn refresh(&self, client_id: &str, refresh_token: &str) -> Answer {
        self.token_as(
            client_id,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// Whether introspection by `RP` says the token is active.
    async fn active(&self, token: &str) -> bool {
        let answer = self
            .post("/introspect", self.credentials(RP), &[("token", token)])
            .await;
        assert_eq!(answer.status, 200, "introspection answers: {}", answer.json);
        answer.json["active"].as_bool().unwrap()
    }

    async fn userinfo(&self, authorization: Option<&str>) -> Answer {
        let mut request = self.api.get(self.app.url("/userinfo"));
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        answer(request.send().await.unwrap()).await
    }

    fn authorize_url(&self, query: &Query) -> String {
        format!("{}?{}", self.app.url("/authorize"), query.encode())
    }

    /// `GET /authorize?{query}` with the browser that never signs in.
    async fn authorize_raw(&self, query: &str) -> reqwest::Response {
        let url = format!("{}?{query}", self.app.url("/authorize"));
        get(&self.app.http, url).await
    }

    /// `GET /authorize` with `query`, from the browser that never signs in.
    async fn authorize(&self, query: &Query) -> reqwest::Response {
        self.authorize_raw(&query.encode()).await
    }

    /// `POST /authorize` with a form-encoded `body`, from the browser that never signs in.
    async fn post_authorize(&self, body: String) -> reqwest::Response {
        self.app
            .http
            .post(self.app.url("/authorize"))
            .header(header::CONTENT_TYPE, FORM)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// POSTs a form-encoded body, as raw bytes, to `/token` without client authentication.
    async fn post_token_form(&self, body: Vec<u8>) -> Answer {
        self.post_raw("/token", Some(FORM), body).await
    }

    /// A fresh code for `client_id`, bound to `S256(verifier)`, from the signed-in browser.
    async fn code(&self, client_id: &str, verifier: &str) -> String {
        let url = self.authorize_url(&Query::valid(client_id, &s256(verifier)));
        let response = get(&self.browser, &url).await;
        assert_eq!(
            response.status(),
            303,
            "a valid authorization request redirects"
        );
        let to = location(&response);
        let callback = if to.starts_with("/login") {
            rp::sign_in(&self.browser, &self.app, &url, USER, PASSWORD).await
        } else {
            url::Url::parse(&to).unwrap()
        };
        assert!(
            callback.as_str().starts_with(&format!("{CB}?")),
            "the code goes to the registered URI: {callback}"
        );
        let pairs: Vec<(String, String)> = callback.query_pairs().into_owned().collect();
        assert_eq!(
            single(&pairs, "state", "code response"),
            STATE,
            "state is echoed exactly"
        );
        assert_eq!(
            single(&pairs, "iss", "code response"),
            self.app.issuer,
            "iss is present (RFC 9207)"
        );
        single(&pairs, "code", "code response").to_owned()
    }

    /// A successful code exchange for `RP`: the token response.
    async fn tokens(&self) -> Answer {
        let verifier = new_verifier();
        let code = self.code(RP, &verifier).await;
        let tokens = self.redeem(RP, &code, Some(&verifier)).await;
        assert_eq!(
            tokens.status, 200,
            "the legitimate exchange works: {}",
            tokens.json
        );
        tokens
    }
}

/// Authorization request parameters, in order.
#[derive(Debug, Clone)]
struct Query(Vec<(String, String)>);

impl Query {
    /// A request that would succeed.
    fn valid(client_id: &str, challenge: &str) -> Self {
        Self(
            [
                ("client_id", client_id),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", "openid profile"),
                ("state", STATE),
                ("nonce", "n-0S6_WzA2Mj"),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        )
    }

    /// Replaces (or adds) a parameter.
    fn set(mut self, name: &str, value: &str) -> Self {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(pair) => pair.1 = value.to_owned(),
            None => self.0.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Removes a parameter.
    fn without(mut self, name: &str) -> Self {
        self.0.retain(|(k, _)| k != name);
        self
    }

    fn encode(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.0)
            .finish()
    }
}

fn new_verifier() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    b64url(bytes)
}

/// RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))).
fn s256(verifier: &str) -> String {
    b64url(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// The only value of a query parameter that must appear exactly once.
fn single<'a>(pairs: &'a [(String, String)], name: &str, why: &str) -> &'a str {
    let values: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        values.len(),
        1,
        "{why}: `{name}` appears exactly once in {pairs:?}"
    );
    values[0]
}

/// An authorization error delivered to the registered redirect URI (RFC 6749 §4.1.2.1, RFC 9207).
fn assert_error_redirect(
    app: &TestApp,
    response: &reqwest::Response,
    error: &str,
    state: &str,
    why: &str,
) {
    assert_eq!(
        response.status(),
        303,
        "{why}: an authorization error redirects to the client"
    );
    let to = location(response);
    assert!(
        to.starts_with(&format!("{CB}?")),
        "{why}: only to the registered redirect URI, got {to}"
    );
    let pairs: Vec<(String, String)> = url::Url::parse(&to)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(single(&pairs, "error", why), error, "{why}: error code");
    assert_eq!(
        single(&pairs, "state", why),
        state,
        "{why}: state is echoed exactly"
    );
    assert_eq!(
        single(&pairs, "iss", why),
        app.issuer,
        "{why}: iss identifies us (RFC 9207)"
    );
    assert!(
        !pairs.iter().any(|(k, _)| k == "code"),
        "{why}: no code with an error"
    );
}

/// An error page, never a redirect (RFC 6749 §4.1.2.1, RFC 9700 §4.1.3).
async fn assert_error_page(response: reqwest::Response, message: &str, why: &str) {
    let status = response.status().as_u16();
    let to = response.headers().get(header::LOCATION).cloned();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let html = response.text().await.unwrap();
    assert_eq!(status, 400, "{why}: a 400 page; got {status} {to:?}");
    assert!(to.is_none(), "{why}: never a redirect, got Location {to:?}");
    assert!(
        content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("text/html")),
        "{why}: an HTML page, got {content_type:?}"
    );
    assert!(
        html.contains("lang=\"fr-CA\""),
        "{why}: the page is French by default"
    );
    assert!(
        html.contains(message),
        "{why}: the page says « {message} »:\n{html}"
    );
}

/// An RFC 6749 §5.2 JSON error.
fn assert_oauth_error(answer: &Answer, status: u16, error: &str, why: &str) {
    assert_eq!(answer.status, status, "{why}: status; body {}", answer.json);
    assert_eq!(
        answer.error(),
        error,
        "{why}: error code; body {}",
        answer.json
    );
    assert!(
        answer.json["error_description"].is_string(),
        "{why}: error_description; body {}",
        answer.json
    );
    assert!(
        answer
            .header(header::CONTENT_TYPE)
            .is_some_and(|c| c.starts_with("application/json")),
        "{why}: JSON, got {:?}",
        answer.header(header::CONTENT_TYPE)
    );
    assert_eq!(
        answer.header(header::CACHE_CONTROL),
        Some("no-store"),
        "{why}: errors are not cached"
    );
}

/// The content type of a form body.
const FORM: &str = "application/x-www-form-urlencoded";
const UNREGISTERED: &str = "pas enregistrée pour cette application";
const NO_REDIRECT_URI: &str = "(redirect_uri)";
const NO_CLIENT_ID: &str = "(client_id)";
const UNKNOWN_CLIENT: &str = "est pas reconnue";
const MALFORMED: &str = "authentification est invalide";

// ---------------------------------------------------------------------------------------------
// 1–2. Untrusted redirect URI or client: a page, never a redirect
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_variant_of_the_registered_redirect_uri_gets_an_error_page_never_a_redirect() {
    let rp = setup().await;
    let challenge = s256(&new_verifier());
    let cases: &[(Option<&str>, &str, &str)] = &[
        (
            Some("https://rp.example/cb/"),
            UNREGISTERED,
            "a trailing slash",
        ),
        (
            Some("https://RP.example/cb"),
            UNREGISTERED,
            "the host in upper case",
        ),
        (
            Some("https://rp.EXAMPLE/cb"),
            UNREGISTERED,
            "part of the host in upper case",
        ),
        (
            Some("https://rp.example/CB"),
            UNREGISTERED,
            "the path in upper case",
        ),
        (
            Some("HTTPS://rp.example/cb"),
            UNREGISTERED,
            "the scheme in upper case",
        ),
        (
            Some("https://rp.example/cb?x=1"),
            UNREGISTERED,
            "an extra query",
        ),
        (
            Some("https://rp.example/cb?"),
            UNREGISTERED,
            "an empty query",
        ),
        (
            Some("https://rp.example/cb/evil"),
            UNREGISTERED,
            "a path suffix",
        ),
        (
            Some("https://rp.example/cbevil"),
            UNREGISTERED,
            "a suffix glued to the path",
        ),
        (
            Some("https://rp.example/cb/../evil"),
            UNREGISTERED,
            "a dot-dot path",
        ),
        (
            Some("https://rp.example/%63b"),
            UNREGISTERED,
            "a percent-encoded path",
        ),
        (
            Some("https://rp.example/cb#frag"),
            UNREGISTERED,
            "a fragment",
        ),
        (
            Some("https://rp.example/cb#"),
            UNREGISTERED,
            "an empty fragment",
        ),
        (
            Some("http://rp.example/cb"),
            UNREGISTERED,
            "http instead of https",
        ),
        (
            Some("https://user@rp.example/cb"),
            UNREGISTERED,
            "a userinfo part",
        ),
        (
            Some("https://rp.example@evil.example/cb"),
            UNREGISTERED,
            "the registered host as userinfo of another host",
        ),
        (
            Some("https://rp.example:8443/cb"),
            UNREGISTERED,
            "a different port",
        ),
        (
            Some("https://rp.example:443/cb"),
            UNREGISTERED,
            "the default port spelled out",
        ),
        (
            Some("https://rp.example.evil.example/cb"),
            UNREGISTERED,
            "the registered host as a subdomain of another",
        ),
        (
            Some("https://evil.example/cb"),
            UNREGISTERED,
            "another host",
        ),
        (
            Some(" https://rp.example/cb"),
            UNREGISTERED,
            "a leading space",
        ),
        (
            Some("https://rp.example/cb "),
            UNREGISTERED,
            "a trailing space",
        ),
        (
            Some("//rp.example/cb"),
            UNREGISTERED,
            "a scheme-relative URI",
        ),
        (Some("/cb"), UNREGISTERED, "a relative URI"),
        (
            Some("javascript:alert(1)//https://rp.example/cb"),
            UNREGISTERED,
            "a javascript: URI",
        ),
        (None, NO_REDIRECT_URI, "no redirect_uri"),
        (
            Some(""),
            NO_REDIRECT_URI,
            "an empty redirect_uri (treated as omitted)",
        ),
    ];
    for (redirect_uri, message, why) in cases {
        // Other errors too, so that nothing but the redirect URI check can stop them first.
        let query = match redirect_uri {
            Some(uri) => Query::valid(RP, &challenge).set("redirect_uri", uri),
            None => Query::valid(RP, &challenge).without("redirect_uri"),
        }
        .set("response_type", "token");
        let get = rp.authorize(&query).await;
        assert_error_page(get, message, &format!("GET with {why}")).await;
        let post = rp.post_authorize(query.encode()).await;
        assert_error_page(post, message, &format!("POST with {why}")).await;
    }
}

#[tokio::test]
async fn an_unknown_or_missing_client_id_gets_an_error_page_never_a_redirect() {
    let rp = setup().await;
    let challenge = s256(&new_verifier());
    let cases: &[(Option<&str>, &str, &str)] = &[
        (Some("unknown-client"), UNKNOWN_CLIENT, "an unknown client"),
        (Some("RP"), UNKNOWN_CLIENT, "the client id in another case"),
        (
            Some("rp "),
            UNKNOWN_CLIENT,
            "the client id with a trailing space",
        ),
        (
            Some("rp' OR '1'='1"),
            UNKNOWN_CLIENT,
            "SQL in the client id",
        ),
        (None, NO_CLIENT_ID, "no client_id"),
        (
            Some(""),
            NO_CLIENT_ID,
            "an empty client_id (treated as omitted)",
        ),
    ];
    for (client_id, message, why) in cases {
        for redirect_uri in [CB, "https://evil.example/cb"] {
            let query = match client_id {
                Some(id) => Query::valid(id, &challenge),
                None => Query::valid(RP, &challenge).without("client_id"),
            }
            .set("redirect_uri", redirect_uri);
            let response = rp.authorize(&query).await;
            assert_error_page(
                response,
                message,
                &format!("{why}, redirect_uri {redirect_uri}"),
            )
            .await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3–4. PKCE S256 only; code flow only
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_authorization_request_without_s256_pkce_is_refused_by_redirect_with_state_and_iss() {
    let rp = setup().await;
    let verifier = new_verifier();
    let challenge = s256(&verifier);
    let valid = Query::valid(RP, &challenge);
    let cases: Vec<(Query, &str)> = vec![
        (
            valid
                .clone()
                .without("code_challenge")
                .without("code_challenge_method"),
            "no PKCE at all",
        ),
        (
            valid.clone().without("code_challenge"),
            "S256 announced but no code_challenge",
        ),
        (
            valid
                .clone()
                .set("code_challenge_method", "plain")
                .set("code_challenge", &verifier),
            "method plain",
        ),
        (
            valid.clone().set("code_challenge_method", "plain"),
            "method plain with a hash-looking challenge",
        ),
        (
            valid.clone().without("code_challenge_method"),
            "no method (which means plain)",
        ),
        (
            valid.clone().set("code_challenge_method", "s256"),
            "the method in lower case",
        ),
        (
            valid.clone().set("code_challenge_method", "S512"),
            "an unknown method",
        ),
        (
            valid.clone().set("code_challenge", "abc"),
            "a challenge far too short",
        ),
        (
            valid.clone().set("code_challenge", &challenge[..42]),
            "a challenge one character short",
        ),
        (
            valid
                .clone()
                .set("code_challenge", &format!("{challenge}A")),
            "a challenge one character long",
        ),
        (
            valid
                .clone()
                .set("code_challenge", &format!("{challenge}=")),
            "a padded challenge",
        ),
        (
            valid
                .clone()
                .set("code_challenge", &format!("+{}", &challenge[1..])),
            "a challenge in standard base64 (+)",
        ),
        (
            valid
                .clone()
                .set("code_challenge", &format!("/{}", &challenge[1..])),
            "a challenge in standard base64 (/)",
        ),
        (
            valid
                .clone()
                .set("code_challenge", &format!(" {}", &challenge[1..])),
            "a challenge with a space",
        ),
        (
            valid.clone().set("code_challenge", &"é".repeat(43)),
            "a challenge of non-ASCII characters",
        ),
    ];
    for (query, why) in cases {
        let response = rp.authorize(&query).await;
        assert_error_redirect(&rp.app, &response, "invalid_request", STATE, why);
    }
}

#[tokio::test]
async fn implicit_and_hybrid_response_types_are_refused_with_unsupported_response_type() {
    let rp = setup().await;
    let valid = Query::valid(RP, &s256(&new_verifier()));
    for response_type in [
        "token",
        "id_token",
        "code id_token",
        "code token",
        "id_token token",
        "code id_token token",
        "none",
        "CODE",
        "code ",
    ] {
        let query = valid.clone().set("response_type", response_type);
        let response = rp.authorize(&query).await;
        assert_error_redirect(
            &rp.app,
            &response,
            "unsupported_response_type",
            STATE,
            &format!("response_type={response_type:?}"),
        );
    }
    let response = rp.authorize(&valid.without("response_type")).await;
    assert_error_redirect(
        &rp.app,
        &response,
        "invalid_request",
        STATE,
        "no response_type",
    );
}

#[tokio::test]
async fn other_invalid_authorization_requests_go_back_to_the_client_with_the_right_error() {
    let rp = setup().await;
    let valid = Query::valid(RP, &s256(&new_verifier()));
    let cases: Vec<(Query, &str, &str)> = vec![
        (
            valid.clone().set("response_mode", "fragment"),
            "invalid_request",
            "response_mode=fragment",
        ),
        (
            valid.clone().set("response_mode", "web_message"),
            "invalid_request",
            "an unknown response_mode",
        ),
        (
            valid.clone().set("request", "eyJhbGciOiJub25lIn0.e30."),
            "request_not_supported",
            "a request object",
        ),
        (
            valid.clone().set("request_uri", "https://evil.example/req"),
            "request_uri_not_supported",
            "a request_uri",
        ),
        (
            valid.clone().set("scope", "openid admin"),
            "invalid_scope",
            "a scope the client may not have",
        ),
        (valid.clone().without("scope"), "invalid_scope", "no scope"),
        (
            valid.clone().set("prompt", "bogus"),
            "invalid_request",
            "an unknown prompt",
        ),
        (
            valid.clone().set("prompt", "none login"),
            "invalid_request",
            "prompt=none combined with another value",
        ),
        (
            valid.clone().set("nonce", &"n".repeat(600)),
            "invalid_request",
            "a nonce over 512 characters",
        ),
    ];
    for (query, error, why) in cases {
        let response = rp.authorize(&query).await;
        assert_error_redirect(&rp.app, &response, error, STATE, why);
    }
    // Without state, none is invented.
    let response = rp
        .authorize(&valid.without("state").set("response_type", "token"))
        .await;
    assert_eq!(response.status(), 303);
    let to = url::Url::parse(&location(&response)).unwrap();
    assert!(
        !to.query_pairs().any(|(k, _)| k == "state"),
        "no state is invented: {to}"
    );
}

#[tokio::test]
async fn a_malformed_max_age_is_refused_by_an_invalid_request_redirect() {
    let rp = setup().await;
    let valid = Query::valid(RP, &s256(&new_verifier()));
    for max_age in [
        "abc",
        "-1",
        "1.5",
        "1e3",
        "0x10",
        "99999999999999999999999",
        " 10",
    ] {
        let response = rp.authorize(&valid.clone().set("max_age", max_age)).await;
        assert_error_redirect(
            &rp.app,
            &response,
            "invalid_request",
            STATE,
            &format!("max_age={max_age:?}"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 5–6. No password grant; prompt=none
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_password_grant_and_unknown_grant_types_are_unsupported() {
    let rp = setup().await;
    let cases: &[(&str, &str)] = &[
        (
            "password",
            "the resource owner password grant (RFC 9700 §2.4)",
        ),
        ("implicit", "implicit is not a grant type at all"),
        ("token", "a response type as grant type"),
        (
            "urn:ietf:params:oauth:grant-type:device_code",
            "device code",
        ),
        ("urn:ietf:params:oauth:grant-type:jwt-bearer", "JWT bearer"),
        (
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "token exchange",
        ),
        ("AUTHORIZATION_CODE", "a supported grant in another case"),
        (
            "authorization_code ",
            "a supported grant with a trailing space",
        ),
    ];
    for (grant_type, why) in cases {
        let form = [
            ("grant_type", *grant_type),
            ("username", USER),
            ("password", PASSWORD),
            ("scope", "openid"),
        ];
        let answer = rp.post("/token", rp.credentials(RP), &form).await;
        assert_oauth_error(&answer, 400, "unsupported_grant_type", why);
        assert!(answer.json.get("access_token").is_none(), "{why}: no token");
    }
    let answer = rp
        .post(
            "/token",
            rp.credentials(RP),
            &[("username", USER), ("password", PASSWORD)],
        )
        .await;
    assert_oauth_error(&answer, 400, "invalid_request", "no grant_type at all");
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required_by_redirect() {
    let rp = setup().await;
    let query = Query::valid(RP, &s256(&new_verifier())).set("prompt", "none");
    let response = rp.authorize(&query).await;
    assert_error_redirect(
        &rp.app,
        &response,
        "login_required",
        STATE,
        "prompt=none and no session",
    );
    let response = get(
        &rp.app.new_browser(),
        rp.authorize_url(&query.set("max_age", "0")),
    )
    .await;
    assert_error_redirect(
        &rp.app,
        &response,
        "login_required",
        STATE,
        "prompt=none, max_age=0 and no session",
    );
}

// ---------------------------------------------------------------------------------------------
// 7. The token endpoint: PKCE, code binding, replay, expiry, client authentication
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_wrong_missing_or_malformed_code_verifier_is_refused_and_burns_the_code() {
    let rp = setup().await;
    let other = new_verifier();
    let cases: Vec<(Option<String>, &str)> = vec![
        (Some(other.clone()), "another well-formed verifier"),
        (None, "no verifier"),
        (
            Some(String::new()),
            "an empty verifier (treated as omitted)",
        ),
        (
            Some("a".repeat(42)),
            "a verifier of 42 characters (too short)",
        ),
        (
            Some("a".repeat(129)),
            "a verifier of 129 characters (too long)",
        ),
        (
            Some(format!("{other}+/=")),
            "a verifier with characters outside the unreserved set",
        ),
    ];
    for (presented, why) in cases {
        let verifier = new_verifier();
        let code = rp.code(RP, &verifier).await;
        let answer = rp.redeem(RP, &code, presented.as_deref()).await;
        assert_oauth_error(&answer, 400, "invalid_grant", why);
        assert!(answer.json.get("access_token").is_none(), "{why}: no token");
        let retry = rp.redeem(RP, &code, Some(&verifier)).await;
        assert_oauth_error(
            &retry,
            400,
            "invalid_grant",
            &format!("{why}, then the right verifier: the code is spent"),
        );
    }
}

#[tokio::test]
async fn a_pkce_downgrade_to_plain_or_to_no_verifier_is_refused() {
    let rp = setup().await;
    let cases: &[(&str, &str)] = &[
        (
            "challenge",
            "the S256 challenge itself presented as a plain verifier",
        ),
        (
            "challenge+plain",
            "the challenge as verifier with code_challenge_method=plain at the token endpoint",
        ),
        ("none", "no verifier for a code bound to a challenge"),
    ];
    for (attack, why) in cases {
        for client_id in [RP, SPA] {
            let verifier = new_verifier();
            let challenge = s256(&verifier);
            let code = rp.code(client_id, &verifier).await;
            let mut form = vec![
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CB),
            ];
            match *attack {
                "challenge" => form.push(("code_verifier", challenge.as_str())),
                "challenge+plain" => form.extend([
                    ("code_verifier", challenge.as_str()),
                    ("code_challenge_method", "plain"),
                ]),
                _ => {}
            }
            let answer = rp.token_as(client_id, &form).await;
            assert_oauth_error(
                &answer,
                400,
                "invalid_grant",
                &format!("{why} ({client_id})"),
            );
        }
    }
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_the_tokens_of_its_first_redemption() {
    let rp = setup().await;
    let verifier = new_verifier();
    let code = rp.code(RP, &verifier).await;
    let first = rp.redeem(RP, &code, Some(&verifier)).await;
    assert_eq!(
        first.status, 200,
        "the first redemption works: {}",
        first.json
    );
    let access = first.field("access_token");
    let refresh = first.field("refresh_token");
    assert!(
        rp.active(&access).await,
        "before the replay the access token is active"
    );
    assert_eq!(
        rp.userinfo(Some(&format!("Bearer {access}"))).await.status,
        200,
        "before the replay userinfo answers"
    );

    let replay = rp.redeem(RP, &code, Some(&verifier)).await;
    assert_oauth_error(&replay, 400, "invalid_grant", "the second redemption");
    assert!(
        replay.json.get("access_token").is_none(),
        "the replay gets no token"
    );

    assert!(
        !rp.active(&access).await,
        "after the replay the first access token is revoked"
    );
    let info = rp.userinfo(Some(&format!("Bearer {access}"))).await;
    assert_eq!(
        info.status, 401,
        "after the replay userinfo refuses the first access token"
    );
    let refreshed = rp.refresh(RP, &refresh).await;
    assert_oauth_error(
        &refreshed,
        400,
        "invalid_grant",
        "after the replay the first refresh token",
    );

    let third = rp.redeem(RP, &code, Some(&verifier)).await;
    assert_oauth_error(&third, 400, "invalid_grant", "a third redemption");
}

#[tokio::test]
async fn a_code_issued_to_one_client_cannot_be_redeemed_by_another() {
    let rp = setup().await;
    let cases: &[(&str, &str, &str)] = &[
        (
            RP,
            OTHER,
            "a confidential client redeeming another confidential client's code",
        ),
        (
            RP,
            SPA,
            "a public client redeeming a confidential client's code",
        ),
        (
            SPA,
            RP,
            "a confidential client redeeming a public client's code",
        ),
        (
            SPA,
            OTHER,
            "another confidential client redeeming a public client's code",
        ),
    ];
    for (owner, thief, why) in cases {
        let verifier = new_verifier();
        let code = rp.code(owner, &verifier).await;
        let answer = rp.redeem(thief, &code, Some(&verifier)).await;
        assert_oauth_error(&answer, 400, "invalid_grant", why);
        assert!(answer.json.get("access_token").is_none(), "{why}: no token");
    }
}

#[tokio::test]
async fn a_code_redeemed_with_another_or_no_redirect_uri_is_refused() {
    let rp = setup().await;
    let cases: &[(Option<&str>, &str)] = &[
        (None, "no redirect_uri although the request had one"),
        (Some("https://rp.example/cb/"), "a trailing slash"),
        (Some("https://rp.example/CB"), "another case"),
        (Some("https://rp.example/cb?x=1"), "an extra query"),
        (Some("https://evil.example/cb"), "another host"),
    ];
    for (redirect_uri, why) in cases {
        let verifier = new_verifier();
        let code = rp.code(RP, &verifier).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        if let Some(uri) = redirect_uri {
            form.push(("redirect_uri", uri));
        }
        let answer = rp.token_as(RP, &form).await;
        assert_oauth_error(&answer, 400, "invalid_grant", why);
    }
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let rp = setup_with(|f| f.merge(Serialized::default("tokens.code_ttl_secs", 1))).await;
    let verifier = new_verifier();
    let code = rp.code(RP, &verifier).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let answer = rp.redeem(RP, &code, Some(&verifier)).await;
    assert_oauth_error(
        &answer,
        400,
        "invalid_grant",
        "a code redeemed after its 1 s lifetime",
    );
    let fresh_verifier = new_verifier();
    let fresh = rp.code(RP, &fresh_verifier).await;
    let answer = rp.redeem(RP, &fresh, Some(&fresh_verifier)).await;
    assert_eq!(
        answer.status, 200,
        "a code redeemed at once still works: {}",
        answer.json
    );
}

/// Basic credentials, form, expected status, expected error, why.
type AuthCase<'a> = (
    Option<(&'a str, &'a str)>,
    Vec<(&'a str, &'a str)>,
    u16,
    &'a str,
    &'a str,
);

#[tokio::test]
async fn client_authentication_failures_at_the_token_endpoint_answer_as_rfc_6749_says() {
    let rp = setup().await;
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", "not-a-code"),
        ("redirect_uri", CB),
        ("code_verifier", "v"),
    ];
    let basic_wrong = rp.post("/token", Some((RP, "wrong-secret")), &grant).await;
    assert_oauth_error(
        &basic_wrong,
        401,
        "invalid_client",
        "a wrong secret by Basic",
    );
    let challenge = basic_wrong
        .header(header::WWW_AUTHENTICATE)
        .unwrap_or_default()
        .to_owned();
    assert!(
        challenge.starts_with("Basic"),
        "a Basic failure gets a Basic challenge (§5.2), got {challenge:?}"
    );

    let with = |extra: &[(&'static str, &'static str)]| {
        grant
            .iter()
            .copied()
            .chain(extra.iter().copied())
            .collect::<Vec<_>>()
    };
    let rp_secret = rp.secret.as_str();
    let cases: Vec<AuthCase<'_>> = vec![
        (
            Some((RP, "")),
            with(&[]),
            401,
            "invalid_client",
            "an empty secret by Basic",
        ),
        (
            Some(("nobody", "secret")),
            with(&[]),
            401,
            "invalid_client",
            "an unknown client by Basic",
        ),
        (
            Some((SPA, "made-up")),
            with(&[]),
            401,
            "invalid_client",
            "a public client presenting a secret by Basic",
        ),
        (
            None,
            with(&[("client_id", RP), ("client_secret", "wrong-secret")]),
            401,
            "invalid_client",
            "a wrong secret by client_secret_post",
        ),
        (
            None,
            with(&[("client_id", SPA), ("client_secret", "made-up")]),
            401,
            "invalid_client",
            "a public client presenting a secret in the body",
        ),
        (
            None,
            with(&[("client_id", RP)]),
            401,
            "invalid_client",
            "a confidential client without its secret",
        ),
        (
            None,
            with(&[("client_id", "nobody")]),
            401,
            "invalid_client",
            "an unknown public-looking client",
        ),
        (None, with(&[]), 401, "invalid_client", "no client at all"),
        (
            None,
            with(&[("client_secret", "orphan")]),
            401,
            "invalid_client",
            "a secret without client_id",
        ),
        (
            Some((RP, rp_secret)),
            with(&[("client_secret", "also")]),
            400,
            "invalid_request",
            "Basic and client_secret_post together",
        ),
        (
            Some((RP, rp_secret)),
            with(&[("client_id", OTHER)]),
            400,
            "invalid_request",
            "Basic for one client, client_id of another",
        ),
    ];
    for (basic, form, status, error, why) in cases {
        let answer = rp.post("/token", basic, &form).await;
        assert_oauth_error(&answer, status, error, why);
        if basic.is_some() && status == 401 {
            let challenge = answer.header(header::WWW_AUTHENTICATE).unwrap_or_default();
            assert!(
                challenge.starts_with("Basic"),
                "{why}: a Basic challenge, got {challenge:?}"
            );
        }
    }
    for raw in [
        "Basic !!!",
        "Basic cnA=",
        "Bearer abc",
        "Basic",
        "Digest username=\"rp\"",
    ] {
        let response = rp
            .api
            .post(rp.app.url("/token"))
            .header(header::AUTHORIZATION, raw)
            .form(&grant)
            .send()
            .await
            .unwrap();
        let answer = answer(response).await;
        assert_oauth_error(
            &answer,
            401,
            "invalid_client",
            &format!("Authorization: {raw}"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Refresh token rotation and reuse detection
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_reused_refresh_token_revokes_its_whole_family() {
    let rp = setup().await;
    let tokens = rp.tokens().await;
    let (first_access, old) = (tokens.field("access_token"), tokens.field("refresh_token"));
    let rotated = rp.refresh(RP, &old).await;
    assert_eq!(
        rotated.status, 200,
        "the first refresh works: {}",
        rotated.json
    );
    assert_eq!(
        rotated.header(header::CACHE_CONTROL),
        Some("no-store"),
        "a refresh response is not cached"
    );
    let (access, new) = (
        rotated.field("access_token"),
        rotated.field("refresh_token"),
    );
    assert_ne!(new, old, "the refresh token rotates");
    assert!(
        rp.active(&access).await,
        "the rotated access token is active"
    );

    let reuse = rp.refresh(RP, &old).await;
    assert_oauth_error(
        &reuse,
        400,
        "invalid_grant",
        "the old refresh token presented again",
    );
    let after = rp.refresh(RP, &new).await;
    assert_oauth_error(
        &after,
        400,
        "invalid_grant",
        "the new refresh token after the old one was reused",
    );
    assert!(
        !rp.active(&access).await,
        "the family's latest access token is revoked"
    );
    assert!(
        !rp.active(&first_access).await,
        "the family's first access token is revoked"
    );
    assert_eq!(
        rp.userinfo(Some(&format!("Bearer {access}"))).await.status,
        401,
        "userinfo refuses the revoked access token"
    );
}

#[tokio::test]
async fn a_refresh_token_cannot_be_used_by_another_client() {
    let rp = setup().await;
    let tokens = rp.tokens().await;
    let refresh = tokens.field("refresh_token");
    for thief in [OTHER, SPA] {
        let answer = rp.refresh(thief, &refresh).await;
        assert_oauth_error(
            &answer,
            400,
            "invalid_grant",
            &format!("{thief} presenting {RP}'s refresh token"),
        );
    }
    let answer = rp.refresh(RP, "not-a-refresh-token").await;
    assert_oauth_error(&answer, 400, "invalid_grant", "an unknown refresh token");
}

// ---------------------------------------------------------------------------------------------
// 9. Malformed and oversized input: a clear 4xx, never a 500
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_body_over_the_limit_at_the_token_endpoint_gets_413_with_a_json_error() {
    let rp = setup().await;
    let body = format!(
        "grant_type=authorization_code&code={}",
        "a".repeat(100 * 1024)
    );
    let answer = rp.post_token_form(body.into_bytes()).await;
    assert_oauth_error(&answer, 413, "invalid_request", "a 100 KB body at /token");
    assert_security_headers(&answer.headers, "a 100 KB body at /token");
}

#[tokio::test]
async fn a_body_over_the_limit_at_a_page_endpoint_gets_a_413_page_with_security_headers() {
    let rp = setup().await;
    let body = format!(
        "{}&nonce={}",
        Query::valid(RP, &s256(&new_verifier()))
            .without("nonce")
            .encode(),
        "n".repeat(100 * 1024)
    );
    let response = rp.post_authorize(body).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let html = response.text().await.unwrap();
    assert_eq!(status, 413, "a 100 KB body at POST /authorize");
    assert!(headers.get(header::LOCATION).is_none(), "never a redirect");
    assert!(
        html.contains("lang=\"fr-CA\"") && html.contains("trop volumineuse"),
        "the translated page, got:\n{html}"
    );
    assert_security_headers(&headers, "a 100 KB body at POST /authorize");
}

#[tokio::test]
async fn a_repeated_parameter_is_refused_at_authorize_and_at_token() {
    let rp = setup().await;
    let valid = Query::valid(RP, &s256(&new_verifier())).encode();
    for (name, value) in [
        ("client_id", "b"),
        ("redirect_uri", "https://evil.example/cb"),
        ("state", "other"),
        ("code_challenge", "x"),
        ("response_type", "code"),
    ] {
        let url = format!(
            "{}?{valid}&{name}={}",
            rp.app.url("/authorize"),
            urlencode(value)
        );
        let response = get(&rp.app.http, &url).await;
        assert_error_page(response, MALFORMED, &format!("{name} twice at /authorize")).await;
    }
    let response = get(
        &rp.app.http,
        rp.app.url("/authorize?client_id=a&client_id=b"),
    )
    .await;
    assert_error_page(response, MALFORMED, "client_id=a&client_id=b at /authorize").await;

    for (body, why) in [
        (
            "grant_type=client_credentials&client_id=a&client_id=b",
            "client_id twice",
        ),
        (
            "grant_type=authorization_code&grant_type=refresh_token&client_id=spa",
            "grant_type twice",
        ),
        (
            "grant_type=authorization_code&code=a&code=b&client_id=spa",
            "code twice",
        ),
    ] {
        let answer = rp.post_token_form(body.into()).await;
        assert_oauth_error(&answer, 400, "invalid_request", &format!("{why} at /token"));
    }
    let answer = rp
        .post_token_form(b"grant_type=client_credentials&client_id=rp&client_id=rp".to_vec())
        .await;
    assert_oauth_error(
        &answer,
        400,
        "invalid_request",
        "the same client_id twice at /token",
    );
}

#[tokio::test]
async fn control_characters_and_oversized_values_are_a_clear_400() {
    let rp = setup().await;
    let valid = Query::valid(RP, &s256(&new_verifier()));
    let long = "x".repeat(5000);
    let authorize: Vec<(String, &str)> = vec![
        (
            format!("{}&state=a%00b", valid.clone().without("state").encode()),
            "a NUL byte in state",
        ),
        (
            format!(
                "{}&state=a%0D%0ALocation:%20https://evil.example",
                valid.clone().without("state").encode()
            ),
            "CR LF in state",
        ),
        (
            format!(
                "{}&nonce=%1B%5B31m",
                valid.clone().without("nonce").encode()
            ),
            "an escape character in nonce",
        ),
        (
            format!(
                "{}&client_id=rp%00",
                valid.clone().without("client_id").encode()
            ),
            "a NUL byte in client_id",
        ),
        (
            valid.clone().set("state", &long).encode(),
            "a 5000-character state",
        ),
        (
            valid.clone().set("nonce", &long).encode(),
            "a 5000-character nonce",
        ),
        (
            valid.clone().set("client_id", &long).encode(),
            "a 5000-character client_id",
        ),
        (
            valid
                .clone()
                .set("redirect_uri", &format!("{CB}?{long}"))
                .encode(),
            "a 5000-character redirect_uri",
        ),
        (
            valid.clone().set(&"k".repeat(65), "v").encode(),
            "a 65-character parameter name",
        ),
    ];
    for (query, why) in authorize {
        let response = rp.authorize_raw(&query).await;
        assert_error_page(response, MALFORMED, why).await;
    }
    let token: Vec<(Vec<u8>, &str)> = vec![
        (
            b"grant_type=authorization_code&client_id=spa&code=a%00b".to_vec(),
            "a NUL byte in code",
        ),
        (
            b"grant_type=refresh_token%00&client_id=spa".to_vec(),
            "a NUL byte in grant_type",
        ),
        (
            format!("grant_type=authorization_code&client_id=spa&code={long}").into_bytes(),
            "a 5000-character code",
        ),
        (
            format!("grant_type=refresh_token&client_id=spa&refresh_token={long}").into_bytes(),
            "a 5000-character refresh token",
        ),
    ];
    for (body, why) in token {
        let answer = rp.post_token_form(body).await;
        assert_oauth_error(&answer, 400, "invalid_request", why);
    }
}

#[tokio::test]
async fn non_utf8_bytes_in_parameters_are_a_clear_400() {
    let rp = setup().await;
    let valid = Query::valid(RP, &s256(&new_verifier()));
    // Invalid UTF-8 is refused while parsing, before the client is looked up.
    let pages: Vec<(String, &str, &str)> = vec![
        (
            format!(
                "{}&client_id=%FF%FE",
                valid.clone().without("client_id").encode()
            ),
            MALFORMED,
            "%FF%FE as client_id",
        ),
        (
            format!(
                "{}&client_id=rp%FF",
                valid.clone().without("client_id").encode()
            ),
            MALFORMED,
            "a client_id ending in %FF",
        ),
        (
            format!(
                "{}&redirect_uri={}%FF%FE",
                valid.clone().without("redirect_uri").encode(),
                urlencode(CB)
            ),
            MALFORMED,
            "a redirect_uri ending in %FF%FE",
        ),
    ];
    for (query, message, why) in pages {
        let response = rp.authorize_raw(&query).await;
        assert_error_page(response, message, why).await;
    }
    // Every one is refused while parsing, as a malformed request.
    let token: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            b"grant_type=%FF%FE&client_id=spa".to_vec(),
            "invalid_request",
            "%FF%FE as grant_type",
        ),
        (
            b"grant_type=authorization_code&client_id=spa&redirect_uri=x&code=%FF%FE".to_vec(),
            "invalid_request",
            "%FF%FE as code",
        ),
        (
            b"grant_type=authorization_code&client_id=spa&code=\xFF\xFE".to_vec(),
            "invalid_request",
            "raw 0xFF 0xFE bytes as code",
        ),
        (
            b"grant_type=refresh_token&client_id=spa&refresh_token=%C0%AF".to_vec(),
            "invalid_request",
            "an overlong UTF-8 sequence",
        ),
    ];
    for (body, error, why) in token {
        let answer = rp.post_token_form(body).await;
        assert_oauth_error(&answer, 400, error, why);
    }
}

#[tokio::test]
async fn a_non_utf8_state_is_refused_rather_than_echoed_altered() {
    // RFC 6749 §4.1.2.1: the error response carries "the exact value received from the client";
    // Appendix A.5: state is VSCHAR (%x20-7E). A state that cannot be echoed exactly is refused.
    let rp = setup().await;
    let query = format!(
        "{}&state=%FF%FE",
        Query::valid(RP, "short").without("state").encode()
    );
    let response = rp.authorize_raw(&query).await;
    let status = response.status().as_u16();
    assert_ne!(status, 500, "never a 500");
    if status == 303 {
        let to = location(&response);
        assert!(
            to.starts_with(&format!("{CB}?")),
            "only to the registered URI: {to}"
        );
        let echoed = to.split(['?', '&']).find_map(|p| p.strip_prefix("state="));
        assert!(
            echoed.is_none_or(|s| s.eq_ignore_ascii_case("%FF%FE")),
            "a state that is not echoed byte for byte must be refused, got state={echoed:?} in {to}"
        );
    } else {
        assert_error_page(response, MALFORMED, "a non-UTF-8 state").await;
    }
}

#[tokio::test]
async fn the_token_endpoint_only_takes_form_encoded_bodies() {
    let rp = setup().await;
    let json = serde_json::to_vec(
        &json!({"grant_type": "client_credentials", "client_id": RP, "client_secret": rp.secret}),
    )
    .unwrap();
    let form = format!(
        "grant_type=client_credentials&client_id={RP}&client_secret={}",
        rp.secret
    )
    .into_bytes();
    let cases: Vec<(Option<&str>, Vec<u8>, &str)> = vec![
        (Some("application/json"), json, "a JSON body"),
        (
            Some("text/plain"),
            form.clone(),
            "a form body labelled text/plain",
        ),
        (
            Some("multipart/form-data; boundary=x"),
            form.clone(),
            "multipart",
        ),
        (
            Some("application/xml"),
            b"<grant_type>client_credentials</grant_type>".to_vec(),
            "XML",
        ),
        (None, form.clone(), "no Content-Type"),
    ];
    for (content_type, body, why) in cases {
        let answer = rp.post_raw("/token", content_type, body).await;
        assert_oauth_error(&answer, 400, "invalid_request", why);
    }
    let answer = rp.post_token_form(form).await;
    assert_eq!(
        answer.status, 200,
        "the same request form-encoded works: {}",
        answer.json
    );
}

#[tokio::test]
async fn the_token_endpoint_answers_other_methods_with_405_and_a_json_error() {
    let rp = setup().await;
    let secret = rp.secret.clone();
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let url = format!(
            "{}?grant_type=client_credentials&client_id={RP}&client_secret={secret}",
            rp.app.url("/token")
        );
        let answer = answer(rp.api.request(method.clone(), url).send().await.unwrap()).await;
        assert_oauth_error(&answer, 405, "invalid_request", &format!("{method} /token"));
        assert!(
            answer
                .header(header::ALLOW)
                .is_some_and(|a| a.contains("POST")),
            "{method}: Allow names POST"
        );
        assert!(
            answer.json.get("access_token").is_none(),
            "{method}: no token from the query string"
        );
    }
}

#[tokio::test]
async fn userinfo_refuses_garbage_and_missing_bearer_tokens_with_401() {
    let rp = setup().await;
    let none_header = b64url(br#"{"alg":"none","typ":"at+jwt"}"#);
    let claims = b64url(
        json!({"iss": rp.app.issuer, "sub": "00000000-0000-0000-0000-000000000000", "aud": RP, "client_id": RP,
               "iat": 0, "exp": 4_102_444_800_i64, "jti": "forged", "scope": "openid profile"})
        .to_string(),
    );
    let alg_none = format!("Bearer {none_header}.{claims}.");
    let long = format!("Bearer {}", "a".repeat(5000));
    let cases: Vec<(Option<&str>, &str)> = vec![
        (Some("Bearer garbage"), "a garbage token"),
        (Some("Bearer a.b.c"), "three garbage segments"),
        (Some("Bearer ..."), "only dots"),
        (Some(&alg_none), "an unsigned token (alg none)"),
        (Some(&long), "a 5000-character token"),
        (Some("Bearer "), "an empty token"),
        (Some("Basic cnA6c2VjcmV0"), "Basic instead of Bearer"),
        (None, "no Authorization header"),
    ];
    for (authorization, why) in cases {
        let answer = rp.userinfo(authorization).await;
        assert_eq!(answer.status, 401, "{why}: 401; body {}", answer.json);
        let challenge = answer.header(header::WWW_AUTHENTICATE).unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer"),
            "{why}: a Bearer challenge (RFC 6750 §3), got {challenge:?}"
        );
        assert!(answer.json.get("sub").is_none(), "{why}: no claims");
    }
}

#[tokio::test]
async fn an_id_token_or_a_tampered_access_token_is_not_accepted_as_an_access_token() {
    let rp = setup().await;
    let tokens = rp.tokens().await;
    let access = tokens.field("access_token");
    let id_token = tokens.field("id_token");
    assert_eq!(
        rp.userinfo(Some(&format!("Bearer {access}"))).await.status,
        200,
        "the real access token works"
    );

    let answer = rp.userinfo(Some(&format!("Bearer {id_token}"))).await;
    assert_eq!(
        answer.status, 401,
        "an id_token at userinfo (typ is not at+jwt): {}",
        answer.json
    );
    assert!(
        answer
            .header(header::WWW_AUTHENTICATE)
            .is_some_and(|c| c.starts_with("Bearer")),
        "with a Bearer challenge"
    );
    assert!(
        !rp.active(&id_token).await,
        "introspection does not take an id_token for an access token"
    );

    let mut claims = jwt::claims(&access);
    claims["scope"] = json!("openid profile email api");
    let tampered = jwt::with_claims(&access, &claims);
    let answer = rp.userinfo(Some(&format!("Bearer {tampered}"))).await;
    assert_eq!(
        answer.status, 401,
        "a re-scoped access token with the old signature: {}",
        answer.json
    );
    let (signed, _) = access.rsplit_once('.').unwrap();
    let unsigned = format!("{signed}.");
    assert_eq!(
        rp.userinfo(Some(&format!("Bearer {unsigned}")))
            .await
            .status,
        401,
        "the access token without its signature"
    );
}

// ---------------------------------------------------------------------------------------------
// 10. What we advertise, caching, security headers, logout
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn discovery_advertises_only_the_code_flow_with_s256_and_signed_id_tokens() {
    let rp = setup().await;
    let response = get(
        &rp.app.http,
        rp.app.url("/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    let strings = |name: &str| -> Vec<String> {
        doc[name]
            .as_array()
            .unwrap_or_else(|| panic!("`{name}` is a list"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        doc["issuer"],
        json!(rp.app.issuer),
        "the issuer is exactly ours"
    );
    assert_eq!(
        strings("code_challenge_methods_supported"),
        ["S256"],
        "PKCE S256 only"
    );
    assert_eq!(
        strings("response_types_supported"),
        ["code"],
        "the code flow only"
    );
    assert_eq!(
        doc["authorization_response_iss_parameter_supported"],
        json!(true),
        "RFC 9207"
    );
    let grants = strings("grant_types_supported");
    assert!(
        grants.contains(&"authorization_code".to_owned()),
        "authorization_code is offered: {grants:?}"
    );
    for absent in ["implicit", "password"] {
        assert!(
            !grants.contains(&absent.to_owned()),
            "no {absent} grant: {grants:?}"
        );
    }
    let algs = strings("id_token_signing_alg_values_supported");
    assert!(
        algs.contains(&"RS256".to_owned()),
        "RS256 is supported (OIDC Core §15.1): {algs:?}"
    );
    assert!(
        !algs.iter().any(|a| a.eq_ignore_ascii_case("none")),
        "unsigned id_tokens are never offered: {algs:?}"
    );
    let modes = strings("response_modes_supported");
    assert!(
        !modes.contains(&"fragment".to_owned()),
        "no fragment response mode: {modes:?}"
    );
    assert_eq!(
        doc["request_parameter_supported"],
        json!(false),
        "no request objects"
    );
    assert_eq!(
        doc["request_uri_parameter_supported"],
        json!(false),
        "no request_uri"
    );
}

#[tokio::test]
async fn token_responses_and_token_errors_are_never_cached() {
    let rp = setup().await;
    let tokens = rp.tokens().await;
    assert_eq!(
        tokens.header(header::CACHE_CONTROL),
        Some("no-store"),
        "a code exchange response"
    );
    assert!(tokens.json["access_token"].is_string() && tokens.json["id_token"].is_string());
    let access = tokens.field("access_token");
    let rotated = rp.refresh(RP, &tokens.field("refresh_token")).await;
    assert_eq!(
        rotated.header(header::CACHE_CONTROL),
        Some("no-store"),
        "a refresh response"
    );
    let credentials = rp
        .token_as(
            RP,
            &[("grant_type", "client_credentials"), ("scope", "api")],
        )
        .await;
    assert_eq!(
        credentials.status, 200,
        "client_credentials works: {}",
        credentials.json
    );
    assert_eq!(
        credentials.header(header::CACHE_CONTROL),
        Some("no-store"),
        "a client_credentials response"
    );
    let error = rp.redeem(RP, "spent", Some(&new_verifier())).await;
    assert_oauth_error(&error, 400, "invalid_grant", "a token error");
    let introspection = rp
        .post("/introspect", rp.credentials(RP), &[("token", &access)])
        .await;
    assert_eq!(
        introspection.header(header::CACHE_CONTROL),
        Some("no-store"),
        "an introspection response"
    );
    let info = rp.userinfo(Some(&format!("Bearer {access}"))).await;
    assert_eq!(
        info.header(header::CACHE_CONTROL),
        Some("no-store"),
        "a userinfo response"
    );
}

#[tokio::test]
async fn error_pages_and_token_errors_carry_every_security_header() {
    let rp = setup().await;
    let valid = Query::valid(RP, &s256(&new_verifier()));
    let pages = [
        (
            rp.authorize_url(&valid.clone().set("client_id", "unknown")),
            400,
            "the unknown-client page",
        ),
        (
            rp.authorize_url(&valid.clone().set("redirect_uri", "https://evil.example/cb")),
            400,
            "the unregistered-redirect page",
        ),
        (
            rp.authorize_url(&valid.clone().set("state", &"x".repeat(5000))),
            400,
            "the malformed-request page",
        ),
        (rp.app.url("/no-such-page"), 404, "the not-found page"),
    ];
    let mut responses = Vec::new();
    for (url, status, why) in pages {
        let response = get(&rp.app.http, &url).await;
        assert_eq!(response.status().as_u16(), status, "{why}");
        responses.push((response.headers().clone(), why));
    }
    let token_error = rp
        .post(
            "/token",
            Some((RP, "wrong")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(token_error.status, 401);
    responses.push((token_error.headers, "a token endpoint error"));
    for (headers, why) in responses {
        assert_security_headers(&headers, why);
    }
}

/// ASVS V3 browser hardening on a response.
fn assert_security_headers(headers: &HeaderMap, why: &str) {
    let get = |name: header::HeaderName| {
        headers
            .get(&name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let csp = get(header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "{why}: CSP forbids framing, got {csp:?}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{why}: CSP allows no inline script, got {csp:?}"
    );
    let hsts = get(header::STRICT_TRANSPORT_SECURITY);
    let max_age = hsts
        .split(';')
        .find_map(|d| d.trim().strip_prefix("max-age="))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    assert!(
        max_age >= 31_536_000,
        "{why}: HSTS for at least a year, got {hsts:?}"
    );
    assert!(
        hsts.to_ascii_lowercase().contains("includesubdomains"),
        "{why}: HSTS includes subdomains, got {hsts:?}"
    );
    assert_eq!(
        get(header::REFERRER_POLICY),
        "no-referrer",
        "{why}: Referrer-Policy"
    );
    assert_eq!(
        get(header::X_CONTENT_TYPE_OPTIONS),
        "nosniff",
        "{why}: X-Content-Type-Options"
    );
}

#[tokio::test]
async fn logout_never_redirects_to_an_unregistered_post_logout_redirect_uri() {
    let rp = setup().await;
    let registered = format!("{CB}/after-logout");
    let slashed = format!("{registered}/");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("client_id", RP),
                ("post_logout_redirect_uri", "https://evil.example/bye"),
            ],
            "another host",
        ),
        (
            vec![("client_id", RP), ("post_logout_redirect_uri", &slashed)],
            "a trailing slash",
        ),
        (
            vec![("client_id", RP), ("post_logout_redirect_uri", CB)],
            "the login redirect URI, not a logout one",
        ),
        (
            vec![("post_logout_redirect_uri", &registered)],
            "a registered URI but no client named",
        ),
        (
            vec![
                ("client_id", "unknown"),
                ("post_logout_redirect_uri", &registered),
            ],
            "an unknown client",
        ),
    ];
    for (params, why) in cases {
        let url = format!(
            "{}?{}",
            rp.app.url("/logout"),
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .finish()
        );
        let response = get(&rp.app.http, &url).await;
        assert_error_page(response, "après déconnexion", why).await;
    }
}
