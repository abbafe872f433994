//! A relying party built on the `openidconnect` crate, as an agency service would be, over
//! reqwest with the test CA.

use openidconnect::core::{CoreAuthenticationFlow, CoreJwsSigningAlgorithm, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};

use crate::{TestApp, hidden_input, location};

/// openidconnect's HTTP client over reqwest, trusting the test CA (the messaging service's
/// own adapter: the relying party under test and the tests share one).
pub fn http(
    app: &TestApp,
) -> impl Fn(HttpRequest) -> messaging::identity::signin::HttpFuture + use<> {
    messaging::identity::signin::http_client(&app.new_browser())
}

/// Discovers the provider.
pub async fn discover(app: &TestApp) -> CoreProviderMetadata {
    CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &http(app))
        .await
        .expect("discovery works")
}

/// What an authorization request left to remember.
#[derive(Debug)]
pub struct Started {
    /// The URL the browser is sent to.
    pub url: url::Url,
    /// CSRF state.
    pub state: CsrfToken,
    /// Nonce.
    pub nonce: Nonce,
    /// PKCE verifier.
    pub verifier: PkceCodeVerifier,
}

/// Builds an authorization URL with PKCE S256 and a nonce.
pub fn start(
    metadata: &CoreProviderMetadata,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[&str],
) -> Started {
    let client = openidconnect::core::CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(client_id.into()),
        None,
    )
    .set_redirect_uri(RedirectUrl::new(redirect_uri.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).into()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    Started {
        url,
        state,
        nonce,
        verifier,
    }
}

/// Drives the login page with `browser`: follows the authorization URL to the login form,
/// submits it, and returns the redirect to the relying party.
pub async fn sign_in(
    browser: &reqwest::Client,
    app: &TestApp,
    authorize_url: &str,
    username: &str,
    password: &str,
) -> url::Url {
    let response = browser.get(authorize_url).send().await.unwrap();
    assert_eq!(
        response.status(),
        303,
        "the authorization endpoint sends an unknown browser to the login page"
    );
    let login = app.url(&location(&response));
    let page = browser.get(&login).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("lang=\"fr-CA\""),
        "the login page is French by default"
    );
    let form = [
        ("csrf", hidden_input(&html, "csrf").expect("csrf field")),
        ("req", hidden_input(&html, "req").expect("req field")),
        ("username", username.to_owned()),
        ("password", password.to_owned()),
    ];
    let response = browser
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let response = crate::credentials::pass_second_factor(app, browser, response, username).await;
    let response = crate::through_resume(app, browser, response).await;
    assert_eq!(response.status(), 303, "a good login redirects");
    url::Url::parse(&location(&response)).unwrap()
}

/// The `code` of an authorization response after checking `state` and `iss` (RFC 9207).
pub fn code_from(callback: &url::Url, app: &TestApp, state: &CsrfToken) -> AuthorizationCode {
    let get = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(
        get("state").as_deref(),
        Some(state.secret().as_str()),
        "state is echoed"
    );
    assert_eq!(
        get("iss").as_deref(),
        Some(app.issuer.as_str()),
        "iss is in the response (RFC 9207)"
    );
    AuthorizationCode::new(get("code").expect("a code"))
}

/// The id_token algorithms a verifier must accept for a client.
pub fn algs(alg: idp::keys::SigningAlg) -> Vec<CoreJwsSigningAlgorithm> {
    vec![alg.jws_alg()]
}

/// A confidential client's credentials for openidconnect.
pub fn secret(secret: Option<String>) -> Option<ClientSecret> {
    secret.map(ClientSecret::new)
}

/// Signs `username` in at `client_id` (openid profile) through the provider's pages, a second
/// factor included when the account owes one, and redeems the code: the token response.
pub async fn tokens_for(
    p: &crate::Provider,
    client_id: &str,
    username: &str,
    password: &str,
) -> serde_json::Value {
    let started = start(
        &p.metadata,
        client_id,
        crate::CALLBACK,
        &["openid", "profile"],
    );
    let browser = p.app.new_browser();
    let callback = sign_in(&browser, &p.app, started.url.as_str(), username, password).await;
    let code = code_from(&callback, &p.app, &started.state);
    let secret = p.secret.as_deref().expect("a confidential client");
    let (status, tokens) = crate::oauth::redeem(
        &p.app,
        client_id,
        secret,
        code.secret(),
        started.verifier.secret(),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}
