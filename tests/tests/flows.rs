//! The user-facing flows around the code: consent for third-party clients, single sign-on,
//! the form_post response mode, `ui_locales` and `login_hint`, Back-Channel Logout 1.0,
//! RP-initiated logout with and without `id_token_hint`, and the online-services home page.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failure is a failed test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idp::admin::clients::Registration;
use idp::keys::SigningAlg;
use integration_tests::page::{element_tag, field_count, hidden_input, set_cookie, text, unescape};
use integration_tests::{
    CALLBACK, PASSWORD, Provider, SESSION_COOKIE, TestApp, confidential_client, get, jwt, location,
    login, oauth, provider, query_param, rp, spawn_app, urlencode, wait_until, with_query,
};
use openidconnect::core::{
    CoreClient, CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClientId, CsrfToken, JsonWebKey as _, OAuth2TokenResponse as _,
    PkceCodeVerifier, RedirectUrl, TokenResponse as _,
};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The redirect to the relying party: a 303 to the registered callback.
fn to_callback(response: &reqwest::Response, why: &str) -> url::Url {
    assert_eq!(
        response.status(),
        303,
        "{why}: a redirect to the relying party"
    );
    let to = location(response);
    assert!(
        to.starts_with(&format!("{CALLBACK}?")),
        "{why}: to the registered callback, got {to}"
    );
    url::Url::parse(&to).unwrap()
}

/// Checks an error answer at the callback: `error`, the request's `state`, and our `iss`.
#[track_caller]
fn assert_error_callback(app: &TestApp, callback: &url::Url, error: &str, state: &CsrfToken) {
    assert_eq!(query_param(callback, "error").as_deref(), Some(error));
    assert_eq!(
        query_param(callback, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(
        query_param(callback, "iss").as_deref(),
        Some(app.issuer.as_str())
    );
}

/// The `req` of a relative `/login?req=…` or `/consent?req=…` location.
fn req_of(app: &TestApp, relative: &str) -> String {
    query_param(&url::Url::parse(&app.url(relative)).unwrap(), "req").expect("a req parameter")
}

/// The first-party confidential client `portal`, with RS256 id_tokens.
fn portal() -> Registration {
    confidential_client("portal", CALLBACK, SigningAlg::Rs256)
}

/// A third-party (consent-requiring) confidential client.
fn third_party(id: &str, name: &str) -> Registration {
    Registration {
        name: name.into(),
        first_party: false,
        ..confidential_client(id, CALLBACK, SigningAlg::Es256)
    }
}

/// Redeems a code as `client_id`.
async fn redeem(
    app: &TestApp,
    metadata: &CoreProviderMetadata,
    client_id: &str,
    secret: Option<String>,
    code: AuthorizationCode,
    verifier: PkceCodeVerifier,
) -> CoreTokenResponse {
    CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(client_id.into()),
        rp::secret(secret),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap())
    .exchange_code(code)
    .unwrap()
    .set_pkce_verifier(verifier)
    .request_async(&rp::http(app))
    .await
    .expect("the code is redeemed")
}

/// Signs `username` in with `browser` for `client_id` (scope `openid`) and redeems the code.
async fn sign_in_and_redeem(
    app: &TestApp,
    metadata: &CoreProviderMetadata,
    browser: &reqwest::Client,
    client_id: &str,
    secret: Option<String>,
    username: &str,
) -> CoreTokenResponse {
    let started = rp::start(metadata, client_id, CALLBACK, &["openid"]);
    let response = login::sign_in(app, browser, started.url.as_str(), username, PASSWORD).await;
    let code = rp::code_from(&to_callback(&response, "login"), app, &started.state);
    redeem(app, metadata, client_id, secret, code, started.verifier).await
}

/// An idp with the confidential client `portal`, and a browser signed in to it.
struct SignedIn {
    app: TestApp,
    secret: String,
    metadata: CoreProviderMetadata,
    browser: reqwest::Client,
    /// The user's `sub`.
    sub: String,
    /// The token response for the code of the sign-in.
    tokens: CoreTokenResponse,
}

/// Starts an idp with the client `portal` (id_tokens signed with `alg`) and signs `username` in.
async fn signed_in_to_portal(alg: SigningAlg, username: &str) -> SignedIn {
    let Provider {
        app,
        secret,
        metadata,
    } = provider(confidential_client("portal", CALLBACK, alg)).await;
    let secret = secret.unwrap();
    let sub = app.add_user(username).await;
    let browser = app.new_browser();
    let client_secret = Some(secret.clone());
    let tokens =
        sign_in_and_redeem(&app, &metadata, &browser, "portal", client_secret, username).await;
    SignedIn {
        app,
        secret,
        metadata,
        browser,
        sub,
        tokens,
    }
}

/// The id_token of a token response, as a compact JWS.
fn id_token_of(tokens: &CoreTokenResponse) -> String {
    tokens.id_token().expect("an id_token").to_string()
}

/// The consent page at `consent` (relative): its `csrf` and `req` fields.
async fn consent_form(app: &TestApp, browser: &reqwest::Client, consent: &str) -> (String, String) {
    let html = text(browser, app.url(consent)).await;
    let csrf = hidden_input(&html, "csrf").unwrap();
    let req = hidden_input(&html, "req").unwrap();
    (csrf, req)
}

/// Posts the consent form with `decision` (`allow` or `deny`).
async fn decide(
    app: &TestApp,
    browser: &reqwest::Client,
    csrf: &str,
    req: &str,
    decision: &str,
) -> reqwest::Response {
    browser
        .post(app.url("/consent"))
        .form(&[("csrf", csrf), ("req", req), ("decision", decision)])
        .send()
        .await
        .unwrap()
}

/// Whether `browser` still has a live SSO session: a new authorization answers at once.
async fn has_session(
    browser: &reqwest::Client,
    metadata: &CoreProviderMetadata,
    client_id: &str,
) -> bool {
    let started = rp::start(metadata, client_id, CALLBACK, &["openid"]);
    let response = get(browser, started.url.as_str()).await;
    assert_eq!(response.status(), 303);
    let to = location(&response);
    if to.starts_with("/login?req=") {
        false
    } else {
        assert!(to.starts_with(CALLBACK), "either login or a code: {to}");
        true
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Consent for third-party clients
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_third_party_client_gets_a_french_consent_page_and_the_answer_is_remembered() {
    let Provider {
        app,
        secret,
        metadata,
    } = provider(third_party("tiers", "Pharmacie Tiers")).await;
    let sub = app.add_user("IP40001").await;
    let browser = app.new_browser();

    let started = rp::start(&metadata, "tiers", CALLBACK, &["openid", "email"]);
    let response = login::sign_in(&app, &browser, started.url.as_str(), "IP40001", PASSWORD).await;
    assert_eq!(
        response.status(),
        303,
        "after login a third party needs consent"
    );
    let consent = location(&response);
    assert!(
        consent.starts_with("/consent?req="),
        "after login the browser goes to the consent page, got {consent}"
    );

    let page = get(&browser, app.url(&consent)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let text = unescape(&html);
    assert!(html.contains("<html lang=\"fr-CA\">"), "French by default");
    assert!(
        text.contains("L'application Pharmacie Tiers demande l'accès"),
        "the page names the client:\n{text}"
    );
    assert!(
        text.contains("Votre identifiant"),
        "the openid scope is listed"
    );
    assert!(
        text.contains("Votre adresse courriel"),
        "the email scope is listed"
    );
    assert!(
        !text.contains("Vos nom, prénom"),
        "a scope not asked for is not listed"
    );
    assert!(text.contains("Autoriser") && text.contains("Refuser"));
    let csrf = hidden_input(&html, "csrf").expect("a csrf field");
    let req = hidden_input(&html, "req").expect("a req field");
    assert_eq!(req, req_of(&app, &consent));

    let allowed = decide(&app, &browser, &csrf, &req, "allow").await;
    let callback = to_callback(&allowed, "consent given");
    let code = rp::code_from(&callback, &app, &started.state);
    let tokens = redeem(&app, &metadata, "tiers", secret, code, started.verifier).await;
    assert_eq!(
        jwt::claims(&id_token_of(&tokens))["sub"],
        sub.as_str(),
        "the code is for the user who consented"
    );

    let replay = decide(&app, &browser, &csrf, &req, "allow").await;
    assert_eq!(
        replay.status(),
        400,
        "a consent form cannot be submitted twice for a second code"
    );

    for (scopes, why) in [
        (&["openid", "email"][..], "the same scopes"),
        (&["openid"][..], "fewer scopes"),
    ] {
        let again = rp::start(&metadata, "tiers", CALLBACK, scopes);
        let response = get(&browser, again.url.as_str()).await;
        let callback = to_callback(&response, why);
        rp::code_from(&callback, &app, &again.state);
    }

    let more = rp::start(
        &metadata,
        "tiers",
        CALLBACK,
        &["openid", "email", "profile"],
    );
    let response = get(&browser, more.url.as_str()).await;
    assert_eq!(response.status(), 303);
    assert!(
        location(&response).starts_with("/consent?req="),
        "a scope not yet granted asks again, got {}",
        location(&response)
    );

    let forced = rp::start(&metadata, "tiers", CALLBACK, &["openid", "email"]);
    let response = get(&browser, with_query(&forced.url, &[("prompt", "consent")])).await;
    assert_eq!(response.status(), 303);
    assert!(
        location(&response).starts_with("/consent?req="),
        "prompt=consent shows the page again, got {}",
        location(&response)
    );

    let other_user = app.new_browser();
    app.add_user("IP40002").await;
    let started = rp::start(&metadata, "tiers", CALLBACK, &["openid", "email"]);
    let response =
        login::sign_in(&app, &other_user, started.url.as_str(), "IP40002", PASSWORD).await;
    assert!(
        location(&response).starts_with("/consent?req="),
        "consent is remembered per user: another user is asked, got {}",
        location(&response)
    );
}

#[tokio::test]
async fn denying_consent_sends_access_denied_with_state_and_iss_and_no_code() {
    let Provider { app, metadata, .. } = provider(third_party("tiers", "Pharmacie Tiers")).await;
    app.add_user("IP40011").await;
    let browser = app.new_browser();
    let started = rp::start(&metadata, "tiers", CALLBACK, &["openid"]);
    let response = login::sign_in(&app, &browser, started.url.as_str(), "IP40011", PASSWORD).await;
    let (csrf, req) = consent_form(&app, &browser, &location(&response)).await;
    let denied = decide(&app, &browser, &csrf, &req, "deny").await;
    let callback = to_callback(&denied, "consent denied");
    assert_error_callback(&app, &callback, "access_denied", &started.state);
    assert!(
        query_param(&callback, "code").is_none(),
        "no code on a refusal"
    );

    let after = decide(&app, &browser, &csrf, &req, "allow").await;
    assert_eq!(
        after.status(),
        400,
        "a denied request cannot be allowed afterwards"
    );

    let again = rp::start(&metadata, "tiers", CALLBACK, &["openid"]);
    let response = get(&browser, again.url.as_str()).await;
    assert!(
        location(&response).starts_with("/consent?req="),
        "a refusal is not remembered as consent, got {}",
        location(&response)
    );
}

#[tokio::test]
async fn prompt_none_for_a_third_party_without_consent_answers_consent_required() {
    let Provider { app, metadata, .. } = provider(portal()).await;
    app.register_client(third_party("tiers", "Pharmacie Tiers"))
        .await;
    app.add_user("IP40021").await;
    let browser = app.new_browser();
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = login::sign_in(&app, &browser, started.url.as_str(), "IP40021", PASSWORD).await;
    to_callback(&response, "a first-party client needs no consent");

    let silent = rp::start(&metadata, "tiers", CALLBACK, &["openid"]);
    let response = get(&browser, with_query(&silent.url, &[("prompt", "none")])).await;
    let callback = to_callback(&response, "prompt=none without consent");
    assert_error_callback(&app, &callback, "consent_required", &silent.state);
    assert!(query_param(&callback, "code").is_none());
}

#[tokio::test]
async fn the_consent_form_refuses_a_missing_forged_or_foreign_csrf_token_with_a_400_page() {
    let Provider { app, metadata, .. } = provider(third_party("tiers", "Pharmacie Tiers")).await;
    app.add_user("IP40031").await;
    let browser = app.new_browser();
    let started = rp::start(&metadata, "tiers", CALLBACK, &["openid"]);
    let response = login::sign_in(&app, &browser, started.url.as_str(), "IP40031", PASSWORD).await;
    let (csrf, req) = consent_form(&app, &browser, &location(&response)).await;

    // A valid token, but for another browser's CSRF cookie.
    let stranger_html = text(&app.new_browser(), app.url("/login")).await;
    let foreign = hidden_input(&stranger_html, "csrf").unwrap();
    let mut forged = csrf.clone().into_bytes();
    forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();

    for (token, why) in [
        (None, "no csrf field"),
        (Some(""), "an empty csrf field"),
        (Some(forged.as_str()), "a forged csrf token"),
        (Some(foreign.as_str()), "another browser's csrf token"),
        (Some("not base64 !"), "garbage"),
    ] {
        let mut form = vec![("req", req.as_str()), ("decision", "allow")];
        if let Some(token) = token {
            form.push(("csrf", token));
        }
        let response = browser
            .post(app.url("/consent"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{why}: refused");
        assert!(
            response.headers().get("location").is_none(),
            "{why}: no redirect"
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains("lang=\"fr-CA\"") && unescape(&html).contains("Votre page a expiré"),
            "{why}: the French CSRF page:\n{html}"
        );
    }

    let cross_site = browser
        .post(app.url("/consent"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("csrf", csrf.as_str()),
            ("req", req.as_str()),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        cross_site.status(),
        400,
        "a cross-site post with a good token is refused"
    );

    let genuine = decide(&app, &browser, &csrf, &req, "allow").await;
    let callback = to_callback(&genuine, "the refused attempts did not consume the request");
    rp::code_from(&callback, &app, &started.state);
}

#[tokio::test]
async fn a_request_waiting_for_a_fresh_login_cannot_be_completed_through_the_consent_form() {
    let Provider { app, metadata, .. } = provider(portal()).await;
    app.add_user("IP40041").await;
    let browser = app.new_browser();
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = login::sign_in(&app, &browser, started.url.as_str(), "IP40041", PASSWORD).await;
    to_callback(&response, "first login");

    // The relying party demands a new login (step-up); the request is parked for /login.
    let step_up = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = get(&browser, with_query(&step_up.url, &[("prompt", "login")])).await;
    let login = location(&response);
    assert!(
        login.starts_with("/login?req="),
        "prompt=login asks for the password"
    );
    let req = req_of(&app, &login);

    // Someone at the signed-in browser skips the password by posting the consent form.
    let html = text(&browser, app.url("/login")).await;
    let csrf = hidden_input(&html, "csrf").unwrap();
    let response = decide(&app, &browser, &csrf, &req, "allow").await;
    let to = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        !to.as_deref()
            .is_some_and(|t| t.starts_with(CALLBACK) && t.contains("code=")),
        "a request parked for re-authentication must not get a code without the password \
         (prompt=login bypass); got {} {to:?}",
        response.status()
    );
}

#[tokio::test]
async fn a_request_waiting_for_a_login_resumes_only_for_the_session_that_login_opened() {
    let Provider { app, metadata, .. } = provider(portal()).await;
    app.add_user("IP40042").await;
    app.add_user("IP40043").await;
    let browser = app.new_browser();
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = login::sign_in(&app, &browser, started.url.as_str(), "IP40042", PASSWORD).await;
    to_callback(&response, "first login");

    // A request parked for a new login (prompt=login), and its hand-off URL.
    let step_up = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = get(&browser, with_query(&step_up.url, &[("prompt", "login")])).await;
    let login = location(&response);
    let req = req_of(&app, &login);
    let resume = app.url(&format!("/authorize/resume?req={req}"));

    // The signed-in browser follows the hand-off without typing the password: the login page.
    let skipped = get(&browser, &resume).await;
    assert_eq!(skipped.status(), 303);
    assert_eq!(
        location(&skipped),
        format!("/login?req={req}"),
        "an older session cannot answer a request waiting for a login"
    );

    // Another user signs in elsewhere, then lures this browser to the hand-off: still the
    // login page, since only the session that login opened may resume it.
    let other = app.new_browser();
    let html = text(&other, app.url(&login)).await;
    let posted = login::post_form(&app, &other, &html, "IP40043", PASSWORD).await;
    assert_eq!(
        location(&posted),
        format!("/authorize/resume?req={req}"),
        "the login hands the request back to the authorization endpoint"
    );
    let lured = get(&browser, &resume).await;
    assert_eq!(location(&lured), format!("/login?req={req}"));

    // The session the login opened resumes it: a code for the relying party.
    let answered = get(&other, &resume).await;
    to_callback(&answered, "the login's own session");
    let replayed = get(&other, &resume).await;
    assert_eq!(replayed.status(), 400, "one request, one code");
    let garbage = get(&other, app.url("/authorize/resume?req=%00%3Cscript%3E")).await;
    assert_eq!(garbage.status(), 400, "a malformed id is a 400 page");
}

// ---------------------------------------------------------------------------------------------
// 2. Single sign-on
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn after_one_login_the_same_browser_gets_codes_for_every_client_without_the_login_page() {
    let SignedIn {
        app,
        secret: portal_secret,
        metadata,
        browser,
        sub,
        tokens: first_tokens,
    } = signed_in_to_portal(SigningAlg::Rs256, "IP40101").await;
    let billing_secret = app
        .register_client(confidential_client("billing", CALLBACK, SigningAlg::Es256))
        .await;
    let first_claims = jwt::claims(&id_token_of(&first_tokens));

    let second = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = get(&browser, second.url.as_str()).await;
    let code = rp::code_from(
        &to_callback(&response, "same client, live session"),
        &app,
        &second.state,
    );
    redeem(
        &app,
        &metadata,
        "portal",
        Some(portal_secret),
        code,
        second.verifier,
    )
    .await;

    let silent = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = get(&browser, with_query(&silent.url, &[("prompt", "none")])).await;
    rp::code_from(
        &to_callback(&response, "prompt=none with a live session"),
        &app,
        &silent.state,
    );

    let other = rp::start(&metadata, "billing", CALLBACK, &["openid"]);
    let response = get(&browser, other.url.as_str()).await;
    let code = rp::code_from(
        &to_callback(&response, "another client, same browser"),
        &app,
        &other.state,
    );
    let other_tokens = redeem(
        &app,
        &metadata,
        "billing",
        billing_secret,
        code,
        other.verifier,
    )
    .await;
    let other_claims = jwt::claims(&id_token_of(&other_tokens));
    assert_eq!(other_claims["sub"], sub.as_str(), "the same user");
    assert!(
        other_claims["aud"] == "billing" || other_claims["aud"] == serde_json::json!(["billing"]),
        "the id_token is for the second client: {}",
        other_claims["aud"]
    );
    assert!(first_claims["sid"].is_string(), "the id_token has a sid");
    assert_eq!(
        other_claims["sid"], first_claims["sid"],
        "both clients share one SSO session"
    );
    assert_eq!(
        other_claims["auth_time"], first_claims["auth_time"],
        "no new authentication happened"
    );

    let fresh = app.new_browser();
    let response = get(
        &fresh,
        rp::start(&metadata, "billing", CALLBACK, &["openid"])
            .url
            .as_str(),
    )
    .await;
    assert!(
        location(&response).starts_with("/login?req="),
        "another browser has no session"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. response_mode=form_post
// ---------------------------------------------------------------------------------------------

/// Checks a form_post page: a form to the callback, only an external script, and the CSP.
async fn assert_form_post(response: reqwest::Response, why: &str) -> String {
    assert_eq!(response.status(), 200, "{why}: a 200 page, not a redirect");
    assert!(
        response.headers().get("location").is_none(),
        "{why}: no Location"
    );
    let csp = response
        .headers()
        .get("content-security-policy")
        .expect("a CSP header")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !csp.contains("unsafe-inline"),
        "{why}: no 'unsafe-inline' in {csp}"
    );
    assert!(
        csp.contains("script-src 'self'"),
        "{why}: scripts from us only: {csp}"
    );
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/html"), "{why}: HTML");
    let html = response.text().await.unwrap();
    let form_at = html.find("<form").expect("a form");
    let form_tag = &html[form_at..form_at + html[form_at..].find('>').unwrap()];
    assert!(form_tag.contains("method=\"post\""), "{why}: {form_tag}");
    let action_at = form_tag.find("action=\"").expect("an action") + "action=\"".len();
    let action =
        unescape(&form_tag[action_at..action_at + form_tag[action_at..].find('"').unwrap()]);
    assert_eq!(
        action, CALLBACK,
        "{why}: the form posts to the redirect URI"
    );
    let scripts: Vec<&str> = html
        .match_indices("<script")
        .map(|(i, _)| &html[i..])
        .collect();
    assert_eq!(scripts.len(), 1, "{why}: exactly one script element");
    assert!(
        scripts[0].starts_with("<script src=\"/assets/form_post.js\"></script>"),
        "{why}: the script is external and has no content: {}",
        &scripts[0][..scripts[0].len().min(80)]
    );
    html
}

/// Checks the `state` and `iss` fields of a form_post page.
#[track_caller]
fn assert_state_and_iss(app: &TestApp, html: &str, state: &CsrfToken) {
    assert_eq!(
        hidden_input(html, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(
        hidden_input(html, "iss").as_deref(),
        Some(app.issuer.as_str())
    );
}

#[tokio::test]
async fn form_post_answers_with_a_self_submitting_form_and_no_inline_script() {
    let Provider {
        app,
        secret,
        metadata,
    } = provider(portal()).await;
    app.add_user("IP40201").await;
    let browser = app.new_browser();
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let url = with_query(&started.url, &[("response_mode", "form_post")]);
    let response = login::sign_in(&app, &browser, &url, "IP40201", PASSWORD).await;
    let html = assert_form_post(response, "after login").await;
    assert_eq!(field_count(&html, "code"), 1);
    assert_eq!(field_count(&html, "state"), 1);
    assert_eq!(field_count(&html, "iss"), 1);
    assert_state_and_iss(&app, &html, &started.state);
    let code = hidden_input(&html, "code").expect("a code field");
    redeem(
        &app,
        &metadata,
        "portal",
        secret,
        AuthorizationCode::new(code),
        started.verifier,
    )
    .await;

    let script = get(&app.new_browser(), app.url("/assets/form_post.js")).await;
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.text().await.unwrap().contains("submit()"));

    // With a live session the answer is the same page at once.
    let again = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = get(
        &browser,
        with_query(&again.url, &[("response_mode", "form_post")]),
    )
    .await;
    let html = assert_form_post(response, "single sign-on").await;
    assert_eq!(
        hidden_input(&html, "state").as_deref(),
        Some(again.state.secret().as_str())
    );
    assert!(hidden_input(&html, "code").is_some());
}

#[tokio::test]
async fn errors_in_form_post_mode_are_posted_not_redirected() {
    let Provider { app, metadata, .. } = provider(portal()).await;
    let browser = app.new_browser();

    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let url = with_query(
        &started.url,
        &[("response_mode", "form_post"), ("prompt", "none")],
    );
    let response = get(&browser, &url).await;
    let html = assert_form_post(response, "login_required").await;
    assert_eq!(
        hidden_input(&html, "error").as_deref(),
        Some("login_required")
    );
    assert_state_and_iss(&app, &html, &started.state);
    assert_eq!(field_count(&html, "code"), 0, "no code with an error");

    let started = rp::start(&metadata, "portal", CALLBACK, &["openid", "admin"]);
    let url = with_query(&started.url, &[("response_mode", "form_post")]);
    let response = get(&browser, &url).await;
    let html = assert_form_post(response, "invalid_scope").await;
    assert_eq!(
        hidden_input(&html, "error").as_deref(),
        Some("invalid_scope")
    );
    assert_eq!(
        hidden_input(&html, "iss").as_deref(),
        Some(app.issuer.as_str())
    );
}

#[tokio::test]
async fn a_hostile_state_is_escaped_in_the_form_post_page_and_comes_back_exactly() {
    let Provider { app, metadata, .. } = provider(portal()).await;
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let hostile = "\"><script>alert(1)</script><input name=\"code\" value=\"x";
    let mut url = started.url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != "state")
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("state", hostile)
        .append_pair("response_mode", "form_post")
        .append_pair("prompt", "none");
    let response = get(&app.new_browser(), url.as_str()).await;
    let html = assert_form_post(response, "hostile state").await;
    assert!(!html.contains("<script>alert"), "the state is escaped");
    assert_eq!(field_count(&html, "code"), 0, "no field was injected");
    assert_eq!(hidden_input(&html, "state").as_deref(), Some(hostile));
}

// ---------------------------------------------------------------------------------------------
// 4. ui_locales and login_hint
// ---------------------------------------------------------------------------------------------

/// Follows `url` (one redirect) with `browser`; the page it leads to.
async fn page_after(app: &TestApp, browser: &reqwest::Client, url: &str) -> String {
    let response = get(browser, url).await;
    text(browser, app.url(&location(&response))).await
}

#[tokio::test]
async fn ui_locales_en_shows_the_login_page_in_english() {
    let Provider { app, metadata, .. } = provider(portal()).await;
    let browser = app.new_browser();
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = get(
        &browser,
        with_query(&started.url, &[("ui_locales", "de en")]),
    )
    .await;
    assert_eq!(response.status(), 303);
    let html = text(&browser, app.url(&location(&response))).await;
    assert!(
        html.contains("<html lang=\"en\">"),
        "the first supported of ui_locales wins: English"
    );
    let text = unescape(&html);
    assert!(text.contains("Sign in to online services"));
    assert!(!text.contains("Nom d'utilisateur"));
    assert!(
        hidden_input(&html, "req").is_some_and(|r| !r.is_empty()),
        "the English page still carries the request"
    );

    let french = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let html = page_after(&app, &browser, french.url.as_str()).await;
    assert!(
        html.contains("<html lang=\"fr-CA\">"),
        "without ui_locales the page is French"
    );
}

#[tokio::test]
async fn ui_locales_en_keeps_the_login_page_english_after_a_refused_password() {
    let Provider { app, metadata, .. } = provider(portal()).await;
    app.add_user("IP40311").await;
    let browser = app.new_browser();
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let url = with_query(&started.url, &[("ui_locales", "en")]);
    let html = page_after(&app, &browser, &url).await;
    assert!(html.contains("<html lang=\"en\">"));
    let refused =
        login::submit_form(&app, &browser, &html, "IP40311", "not the password at all").await;
    assert_eq!(refused.status(), 200);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"en\">"),
        "the refusal is shown in the language the relying party asked for (ui_locales=en), \
         not French:\n{}",
        &html[..html.len().min(300)]
    );
}

#[tokio::test]
async fn ui_locales_en_carries_over_to_the_consent_page_after_login() {
    let Provider { app, metadata, .. } = provider(third_party("tiers", "Pharmacie Tiers")).await;
    app.add_user("IP40321").await;
    let browser = app.new_browser();
    let started = rp::start(&metadata, "tiers", CALLBACK, &["openid"]);
    let url = with_query(&started.url, &[("ui_locales", "en")]);
    let response = login::sign_in(&app, &browser, &url, "IP40321", PASSWORD).await;
    let consent = location(&response);
    assert!(consent.starts_with("/consent?req="));
    let html = text(&browser, app.url(&consent)).await;
    assert!(
        html.contains("<html lang=\"en\">"),
        "the consent page follows ui_locales=en like the login page did:\n{}",
        &html[..html.len().min(300)]
    );
}

#[tokio::test]
async fn login_hint_prefills_the_username_and_a_hostile_hint_is_escaped() {
    let Provider { app, metadata, .. } = provider(portal()).await;
    app.add_user("IP12345").await;
    let browser = app.new_browser();

    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = get(
        &browser,
        with_query(&started.url, &[("login_hint", "IP12345")]),
    )
    .await;
    let login_page = location(&response);
    let html = text(&browser, app.url(&login_page)).await;
    let tag = element_tag(&html, "username");
    assert!(
        tag.contains("value=\"IP12345\""),
        "the username is prefilled: {tag}"
    );
    let password = element_tag(&html, "password");
    assert!(
        !password.contains("value="),
        "the password never is: {password}"
    );
    let response = login::log_in(&app, &browser, &login_page, "IP12345", PASSWORD).await;
    rp::code_from(&to_callback(&response, "login"), &app, &started.state);

    let hostile = "\"><script>alert(1)</script>";
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = get(
        &app.new_browser(),
        with_query(&started.url, &[("login_hint", hostile)]),
    )
    .await;
    let html = text(&browser, app.url(&location(&response))).await;
    assert!(!html.contains("<script>alert"), "the hint is escaped");
    let tag = element_tag(&html, "username");
    let value_at = tag.find("value=\"").unwrap() + "value=\"".len();
    let value = &tag[value_at..value_at + tag[value_at..].find('"').unwrap()];
    assert_eq!(unescape(value), hostile, "shown as typed, inert");
}

// ---------------------------------------------------------------------------------------------
// 5. Back-Channel Logout 1.0
// ---------------------------------------------------------------------------------------------

/// What the relying parties' back-channel endpoint received: path, content type, body.
#[derive(Debug, Clone, Default)]
struct Received(Arc<Mutex<Vec<(String, String, String)>>>);

impl Received {
    fn on(&self, path: &str) -> Vec<(String, String)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, c, b)| (c.clone(), b.clone()))
            .collect()
    }
}

async fn record(
    State(received): State<Received>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    received
        .0
        .lock()
        .unwrap()
        .push((uri.path().to_owned(), content_type, body));
    StatusCode::OK
}

/// A relying party's back-channel logout endpoint on loopback: `/bcl` and `/other`.
async fn back_channel_receiver() -> (String, Received) {
    let received = Received::default();
    let router = axum::Router::new()
        .route("/bcl", axum::routing::post(record))
        .route("/other", axum::routing::post(record))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}"), received)
}

/// Verifies a compact JWS against the idp's JWKS; returns the header.
async fn verify_against_jwks(app: &TestApp, token: &str) -> Value {
    let header = jwt::header(token);
    let jwks: CoreJsonWebKeySet = oauth::jwks(app).await;
    let kid = header["kid"].as_str().expect("a kid in the header");
    let key: &CoreJsonWebKey = jwks
        .keys()
        .iter()
        .find(|k| k.key_id().is_some_and(|id| id.as_str() == kid))
        .expect("the signing key is published");
    let alg: CoreJwsSigningAlgorithm = serde_json::from_value(header["alg"].clone()).unwrap();
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    key.verify_signature(&alg, input.as_bytes(), &signature)
        .expect("the signature verifies against /jwks.json");
    let mut tampered = input.as_bytes().to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(
        key.verify_signature(&alg, &tampered, &signature).is_err(),
        "the check can fail"
    );
    header
}

#[tokio::test]
async fn logout_sends_a_signed_logout_token_to_the_clients_of_the_session_only() {
    let (base, received) = back_channel_receiver().await;
    let Provider {
        app,
        secret,
        metadata,
    } = provider(Registration {
        backchannel_logout_uri: Some(format!("{base}/bcl")),
        ..confidential_client("bcl-rp", CALLBACK, SigningAlg::Es256)
    })
    .await;
    app.register_client(Registration {
        backchannel_logout_uri: Some(format!("{base}/other")),
        ..confidential_client("bystander", CALLBACK, SigningAlg::Rs256)
    })
    .await;
    let sub = app.add_user("IP40401").await;
    let browser = app.new_browser();

    let tokens = sign_in_and_redeem(
        &app,
        &metadata,
        &browser,
        "bcl-rp",
        secret.clone(),
        "IP40401",
    )
    .await;
    let id_token = id_token_of(&tokens);
    let sid = jwt::claims(&id_token)["sid"]
        .as_str()
        .expect("the id_token has a sid")
        .to_owned();

    let before = chrono::Utc::now().timestamp();
    let response = get(
        &browser,
        format!("{}?id_token_hint={id_token}", app.url("/logout")),
    )
    .await;
    assert_eq!(response.status(), 200, "the logged-out page");

    let arrived = wait_until(
        Duration::from_secs(5),
        Duration::from_millis(50),
        async || !received.on("/bcl").is_empty(),
    )
    .await;
    assert!(arrived, "a logout token reaches the client of the session");
    let (content_type, body) = received.on("/bcl").remove(0);
    assert!(
        content_type.starts_with("application/x-www-form-urlencoded"),
        "a form POST: {content_type}"
    );
    let token = logout_token_of(&body);

    let header = verify_against_jwks(&app, &token).await;
    assert_eq!(header["typ"], "logout+jwt", "explicit typing (§2.4)");
    assert_eq!(header["alg"], "ES256", "the client's registered algorithm");
    let claims = jwt::claims(&token);
    assert_eq!(claims["iss"], app.issuer.as_str());
    let aud_ok = claims["aud"] == "bcl-rp"
        || claims["aud"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == "bcl-rp"));
    assert!(aud_ok, "aud is the client: {}", claims["aud"]);
    assert_eq!(claims["sid"], sid.as_str(), "the sid of the id_token");
    assert_eq!(claims["sub"], sub.as_str());
    assert!(
        claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object(),
        "the back-channel logout event: {}",
        claims["events"]
    );
    assert!(claims.get("nonce").is_none(), "no nonce (§2.4)");
    assert!(
        claims["jti"].as_str().is_some_and(|j| !j.is_empty()),
        "a jti"
    );
    let now = chrono::Utc::now().timestamp();
    let iat = claims["iat"].as_i64().expect("iat");
    let exp = claims["exp"].as_i64().expect("exp");
    assert!(
        iat >= before - 5 && iat <= now + 5,
        "iat is now: {iat} ∉ [{before}, {now}]"
    );
    assert!(
        exp > now && exp - iat <= 600,
        "exp is soon after: {iat}..{exp}"
    );

    // Ending the same session again (the hint stays valid) sends nothing more. To know that
    // nothing more is coming, end a second session afterwards and wait for its token: by
    // then, anything sent for the first one has arrived.
    get(
        &browser,
        format!("{}?id_token_hint={id_token}", app.url("/logout")),
    )
    .await;
    let later = app.new_browser();
    let tokens = sign_in_and_redeem(&app, &metadata, &later, "bcl-rp", secret, "IP40401").await;
    let later_sid = jwt::claims(&id_token_of(&tokens))["sid"]
        .as_str()
        .expect("a sid")
        .to_owned();
    assert_ne!(later_sid, sid, "a new session");
    get(
        &later,
        format!(
            "{}?id_token_hint={}",
            app.url("/logout"),
            id_token_of(&tokens)
        ),
    )
    .await;
    let sids = || {
        received
            .on("/bcl")
            .iter()
            .map(|(_, body)| jwt::claims(&logout_token_of(body))["sid"].clone())
            .collect::<Vec<_>>()
    };
    let marked = wait_until(
        Duration::from_secs(5),
        Duration::from_millis(50),
        async || sids().contains(&Value::from(later_sid.as_str())),
    )
    .await;
    assert!(marked, "the second session's logout token arrives");
    assert_eq!(
        sids(),
        [Value::from(sid.as_str()), Value::from(later_sid.as_str())],
        "one logout token per session, in order: ending a session twice sends nothing more"
    );
    assert!(
        received.on("/other").is_empty(),
        "a client that took no part in the sessions is not told"
    );
}

/// The `logout_token` parameter of a back-channel POST body.
fn logout_token_of(body: &str) -> String {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .expect("a logout_token parameter")
}

// ---------------------------------------------------------------------------------------------
// 6. RP-initiated logout
// ---------------------------------------------------------------------------------------------

/// Posts the logout confirmation form (client `portal`, returning to `after` with state `bye`).
async fn confirm_logout(
    app: &TestApp,
    browser: &reqwest::Client,
    csrf: &str,
    after: &str,
) -> reqwest::Response {
    browser
        .post(app.url("/logout"))
        .form(&[
            ("csrf", csrf),
            ("confirm", "yes"),
            ("client_id", "portal"),
            ("post_logout_redirect_uri", after),
            ("state", "bye"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn logout_without_a_hint_asks_for_confirmation_and_ends_the_session_only_when_confirmed() {
    let SignedIn {
        app,
        secret,
        metadata,
        browser,
        tokens,
        ..
    } = signed_in_to_portal(SigningAlg::Rs256, "IP40501").await;
    let refresh_token = tokens
        .refresh_token()
        .expect("a refresh token")
        .secret()
        .clone();
    let access_token = tokens.access_token().secret().clone();

    let after = format!("{CALLBACK}/after-logout");
    let page = get(
        &browser,
        format!(
            "{}?client_id=portal&post_logout_redirect_uri={}&state=bye",
            app.url("/logout"),
            urlencode(&after)
        ),
    )
    .await;
    assert_eq!(page.status(), 200, "a confirmation page");
    assert!(
        page.headers().get("location").is_none(),
        "no redirect before confirmation"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr-CA\">"));
    assert!(
        unescape(&html).contains("Voulez-vous vous déconnecter des services en ligne?"),
        "the question is asked in French:\n{html}"
    );
    let csrf = hidden_input(&html, "csrf").expect("a csrf field");
    assert_eq!(hidden_input(&html, "confirm").as_deref(), Some("yes"));
    assert_eq!(hidden_input(&html, "client_id").as_deref(), Some("portal"));
    assert_eq!(
        hidden_input(&html, "post_logout_redirect_uri").as_deref(),
        Some(after.as_str())
    );
    assert_eq!(hidden_input(&html, "state").as_deref(), Some("bye"));
    assert!(
        has_session(&browser, &metadata, "portal").await,
        "showing the question ends nothing"
    );

    // A confirmation with a forged token (a third party's auto-submitted form) ends nothing.
    let forged = confirm_logout(
        &app,
        &browser,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &after,
    )
    .await;
    assert_eq!(forged.status(), 200, "asked again");
    assert!(forged.headers().get("location").is_none());
    assert!(
        has_session(&browser, &metadata, "portal").await,
        "a forged confirmation ends nothing"
    );
    assert!(
        oauth::active(&app, "portal", &secret, &access_token).await,
        "the session's access token is still active before confirmation"
    );

    let confirmed = confirm_logout(&app, &browser, &csrf, &after).await;
    assert_eq!(confirmed.status(), 303, "confirmed: back to the client");
    assert_eq!(location(&confirmed), format!("{after}?state=bye"));
    let cleared = set_cookie(&confirmed, SESSION_COOKIE).is_some();
    assert!(cleared, "the session cookie is cleared");
    assert!(
        !has_session(&browser, &metadata, "portal").await,
        "the session is over"
    );
    let (status, json) = oauth::refresh(&app, "portal", &secret, &refresh_token).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (400, Some("invalid_grant")),
        "the refresh token of the ended session is revoked with it"
    );
    assert!(
        !oauth::active(&app, "portal", &secret, &access_token).await,
        "so is the access token"
    );
}

#[tokio::test]
async fn logout_with_a_hint_revokes_the_refresh_token_of_the_session() {
    let SignedIn {
        app,
        secret,
        browser,
        tokens,
        ..
    } = signed_in_to_portal(SigningAlg::EdDsa, "IP40511").await;
    let refresh_token = tokens.refresh_token().unwrap().secret().clone();
    let response = get(
        &browser,
        format!(
            "{}?id_token_hint={}",
            app.url("/logout"),
            id_token_of(&tokens)
        ),
    )
    .await;
    assert_eq!(
        response.status(),
        200,
        "the logged-out page, no confirmation"
    );
    assert!(
        unescape(&response.text().await.unwrap()).contains("Votre session est terminée"),
        "the French logged-out page"
    );
    let (status, json) = oauth::refresh(&app, "portal", &secret, &refresh_token).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (400, Some("invalid_grant")),
        "the refresh token issued in the session is refused after logout: {json}"
    );
}

#[tokio::test]
async fn a_hint_for_another_user_asks_for_confirmation_instead_of_logging_out() {
    // Someone else's id_token.
    let SignedIn {
        app,
        metadata,
        tokens,
        ..
    } = signed_in_to_portal(SigningAlg::Rs256, "IP40522").await;
    let foreign_hint = id_token_of(&tokens);
    app.add_user("IP40521").await;

    let browser = app.new_browser();
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = login::sign_in(&app, &browser, started.url.as_str(), "IP40521", PASSWORD).await;
    to_callback(&response, "login");
    let page = get(
        &browser,
        format!("{}?id_token_hint={foreign_hint}", app.url("/logout")),
    )
    .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        hidden_input(&html, "csrf").is_some() && hidden_input(&html, "confirm").is_some(),
        "the confirmation page"
    );
    assert!(
        has_session(&browser, &metadata, "portal").await,
        "another user's id_token does not end this session"
    );

    let tampered = {
        let mut claims = jwt::claims(&foreign_hint);
        claims["sub"] = Value::String("someone-else".into());
        jwt::with_claims(&foreign_hint, &claims)
    };
    let response = get(
        &browser,
        format!("{}?id_token_hint={tampered}", app.url("/logout")),
    )
    .await;
    assert_eq!(
        response.status(),
        400,
        "a tampered id_token_hint is refused"
    );
    assert!(has_session(&browser, &metadata, "portal").await);
}

#[tokio::test]
async fn a_post_logout_redirect_uri_without_client_or_hint_or_unregistered_is_refused_with_a_400_page()
 {
    let Provider { app, metadata, .. } = provider(portal()).await;
    app.add_user("IP40531").await;
    let browser = app.new_browser();
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let response = login::sign_in(&app, &browser, started.url.as_str(), "IP40531", PASSWORD).await;
    to_callback(&response, "login");
    let registered = urlencode(&format!("{CALLBACK}/after-logout"));
    for (query, why) in [
        (
            format!("post_logout_redirect_uri={registered}"),
            "no client_id and no hint",
        ),
        (
            "client_id=portal&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F".to_owned(),
            "a URI not registered for the client",
        ),
        (
            format!("client_id=nobody&post_logout_redirect_uri={registered}"),
            "an unknown client",
        ),
        (
            format!("client_id=portal&post_logout_redirect_uri={registered}%2Fextra"),
            "a longer variant of the registered URI",
        ),
    ] {
        let response = get(&browser, format!("{}?{query}", app.url("/logout"))).await;
        assert_eq!(response.status(), 400, "{why}");
        assert!(
            response.headers().get("location").is_none(),
            "{why}: never a redirect"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains("lang=\"fr-CA\""), "{why}: a French page");
        assert!(
            unescape(&html).contains("L'adresse de retour après déconnexion n'est pas enregistrée"),
            "{why}: the page names the problem:\n{html}"
        );
    }
    assert!(
        has_session(&browser, &metadata, "portal").await,
        "a refused logout request ends nothing"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. The home page
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_home_page_without_a_session_sends_the_browser_to_the_login_page() {
    let app = spawn_app().await;
    let response = get(&app.new_browser(), app.url("/")).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login");
    let forged = app
        .new_browser()
        .get(app.url("/"))
        .header(
            "cookie",
            format!("{SESSION_COOKIE}=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        303,
        "a made-up session cookie is no session"
    );
    assert_eq!(location(&forged), "/login");
}

#[tokio::test]
async fn a_direct_login_lands_on_the_home_page_with_the_name_and_the_services() {
    let app = spawn_app().await;
    app.register_client(Registration {
        name: "Dossier patient".into(),
        home_uri: Some("https://dossier.example".into()),
        ..confidential_client("dossier", "https://dossier.example/cb", SigningAlg::Rs256)
    })
    .await;
    app.register_client(Registration {
        name: "Facturation <b>en ligne</b>".into(),
        home_uri: Some("https://billing.example:8443/accueil".into()),
        ..confidential_client(
            "billing",
            "https://billing.example:8443/cb",
            SigningAlg::Rs256,
        )
    })
    .await;
    app.register_client(Registration {
        name: "Bibliothèque sans page".into(),
        ..confidential_client("library", "https://library.example/cb", SigningAlg::Rs256)
    })
    .await;
    app.register_client(Registration {
        name: "Service machine".into(),
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        grant_types: vec!["client_credentials".into()],
        ..confidential_client("batch", "https://batch.example/cb", SigningAlg::Rs256)
    })
    .await;
    app.add_user("IP40601").await;
    let browser = app.new_browser();
    let response = login::log_in(&app, &browser, "/login", "IP40601", PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/", "a direct login goes home");

    let home = get(&browser, app.url("/")).await;
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr-CA\">"));
    let text = unescape(&html);
    assert!(
        text.contains("Marie Tremblay"),
        "the user's first and last name"
    );
    assert!(text.contains("Vos services en ligne"));
    assert!(
        html.contains("href=\"https://dossier.example\"")
            || text.contains("href=\"https://dossier.example\""),
        "a link to the service's origin:\n{html}"
    );
    assert!(text.contains(">Dossier patient<"));
    assert!(
        text.contains("href=\"https://billing.example:8443/accueil\""),
        "a link to the service's home URL: {text}"
    );
    assert!(
        !text.contains("Bibliothèque sans page"),
        "a client without a home URL is not listed (nothing to open)"
    );
    assert!(
        !html.contains("<b>en ligne</b>"),
        "a client name is text, never markup"
    );
    assert!(text.contains("Facturation <b>en ligne</b>"));
    assert!(
        !text.contains("Service machine"),
        "a client without the code flow is no service to open"
    );
    assert!(text.contains("href=\"/logout\""), "a way to sign out");
}
