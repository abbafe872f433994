//! Ending an SSO session ends everything born in it, and the paths around logout that a
//! review found soft: a cross-site POST, a code redeemed after logout, tokens without a
//! refresh family, a non-id_token hint, and the cookie removal itself.

use idp::keys::SigningAlg;
use integration_tests::login::sign_in;
use integration_tests::oauth::{active, field, redeem, userinfo};
use integration_tests::page::set_cookie;
use integration_tests::rp;
use integration_tests::{
    CALLBACK, PASSWORD, Provider, confidential_client, location, provider, query_param,
};

/// A confidential client `rp` (with `grants`), a user `IP24601` signed in through a browser;
/// returns the provider, the browser, the code and its PKCE verifier.
async fn signed_in(grants: &[&str]) -> (Provider, reqwest::Client, String, String) {
    let mut registration = confidential_client("rp", CALLBACK, SigningAlg::Es256);
    registration.grant_types = grants.iter().map(|g| (*g).to_owned()).collect();
    let p = provider(registration).await;
    p.app.add_user("IP24601").await;
    let started = rp::start(&p.metadata, "rp", CALLBACK, &["openid", "profile"]);
    let browser = p.app.new_browser();
    let answer = sign_in(&p.app, &browser, started.url.as_str(), "IP24601", PASSWORD).await;
    let callback = url::Url::parse(&location(&answer)).unwrap();
    let code = query_param(&callback, "code").expect("a code");
    (p, browser, code, started.verifier.secret().clone())
}

/// Opens the logout confirmation page and confirms it; the answer.
async fn log_out_confirmed(
    app: &integration_tests::TestApp,
    browser: &reqwest::Client,
) -> reqwest::Response {
    let confirm = browser
        .get(app.url("/logout"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = integration_tests::hidden_input(&confirm, "csrf").expect("the confirmation form");
    let form = [("csrf", csrf.as_str()), ("confirm", "yes")];
    browser
        .post(app.url("/logout"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_code_redeemed_after_its_session_ended_is_refused() {
    let (p, browser, code, verifier) = signed_in(&["authorization_code", "refresh_token"]).await;
    let ended = log_out_confirmed(&p.app, &browser).await;
    assert_eq!(ended.status(), 200, "the logged-out page");
    let (status, body) = redeem(&p.app, "rp", p.secret.as_deref().unwrap(), &code, &verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn logout_revokes_access_tokens_of_clients_without_refresh_tokens() {
    let (p, browser, code, verifier) = signed_in(&["authorization_code"]).await;
    let secret = p.secret.clone().unwrap();
    let (status, tokens) = redeem(&p.app, "rp", &secret, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let access = field(&tokens, "access_token");
    assert!(
        tokens.get("refresh_token").is_none(),
        "this client has no refresh grant"
    );
    assert_eq!(
        userinfo(&p.app, &access).await.0,
        200,
        "valid before logout"
    );
    let hint = field(&tokens, "id_token");
    let out = browser
        .get(format!("{}?id_token_hint={hint}", p.app.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    assert_eq!(
        userinfo(&p.app, &access).await.0,
        401,
        "the session's access token dies with it"
    );
    assert!(
        !active(&p.app, "rp", &secret, &access).await,
        "introspection agrees"
    );
}

#[tokio::test]
async fn a_cross_site_logout_post_without_our_cookie_is_resent_as_a_get() {
    let p = provider(confidential_client("rp", CALLBACK, SigningAlg::Es256)).await;
    let response = p
        .app
        .new_browser()
        .post(p.app.url("/logout"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("client_id", "rp"), ("state", "s 1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        303,
        "not answered blind: the session cookie was not sent"
    );
    let to = location(&response);
    assert!(to.starts_with("/logout?"), "{to}");
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(to.trim_start_matches("/logout?").as_bytes())
            .into_owned()
            .collect();
    assert!(
        query.contains(&("state".into(), "s 1".into())),
        "the parameters go along: {to}"
    );
}

#[tokio::test]
async fn logout_removes_the_host_cookie_with_attributes_browsers_accept() {
    let (p, browser, _, _) = signed_in(&["authorization_code"]).await;
    let ended = log_out_confirmed(&p.app, &browser).await;
    let removal =
        set_cookie(&ended, integration_tests::SESSION_COOKIE).expect("the cookie is removed");
    let lower = removal.to_ascii_lowercase();
    assert!(lower.contains("max-age=0"), "{removal}");
    assert!(
        lower.contains("secure") && lower.contains("path=/"),
        "a __Host- removal must be Secure with Path=/: {removal}"
    );
}

#[tokio::test]
async fn an_access_token_is_not_accepted_as_an_id_token_hint() {
    let (p, browser, code, verifier) = signed_in(&["authorization_code"]).await;
    let (_, tokens) = redeem(&p.app, "rp", p.secret.as_deref().unwrap(), &code, &verifier).await;
    let access = field(&tokens, "access_token");
    let out = browser
        .get(format!("{}?id_token_hint={access}", p.app.url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 400, "an at+jwt is not an id_token");
    assert_eq!(
        userinfo(&p.app, &access).await.0,
        200,
        "and the session lives on"
    );
}

#[tokio::test]
async fn a_client_cannot_spend_or_introspect_another_clients_code_and_tokens() {
    let (p, _, code, verifier) = signed_in(&["authorization_code"]).await;
    let other = p
        .app
        .register_client(confidential_client("other", CALLBACK, SigningAlg::Rs256))
        .await
        .unwrap();
    let (status, body) = redeem(&p.app, "other", &other, &code, &verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    let (status, tokens) =
        redeem(&p.app, "rp", p.secret.as_deref().unwrap(), &code, &verifier).await;
    assert_eq!(
        status, 200,
        "the code is still good for its own client: {tokens}"
    );
    let access = field(&tokens, "access_token");
    assert!(
        !active(&p.app, "other", &other, &access).await,
        "RFC 7662 §4: not another client's token"
    );
    assert!(active(&p.app, "rp", p.secret.as_deref().unwrap(), &access).await);
}

#[tokio::test]
async fn hostile_parked_ids_and_huge_max_age_are_clear_answers() {
    let (p, browser, _, _) = signed_in(&["authorization_code"]).await;
    let consent = browser
        .get(p.app.url("/consent?req=%0Aevil"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        consent.status(),
        400,
        "a malformed id is a 400 page, never a 500"
    );
    let mut started = rp::start(&p.metadata, "rp", CALLBACK, &["openid"]).url;
    started
        .query_pairs_mut()
        .append_pair("max_age", "18446744073709551615");
    let answer = browser.get(started.as_str()).send().await.unwrap();
    assert!(
        location(&answer).starts_with(CALLBACK),
        "a max_age beyond any session is satisfied"
    );
}

#[tokio::test]
async fn userinfo_without_the_openid_scope_is_forbidden_not_unauthorized() {
    let p = provider(confidential_client("svc", CALLBACK, SigningAlg::Rs256)).await;
    let secret = p.secret.clone().unwrap();
    let form = [("grant_type", "client_credentials"), ("scope", "api")];
    let (_, tokens) = integration_tests::oauth::token(&p.app, "svc", &secret, &form).await;
    let response = p
        .app
        .new_browser()
        .get(p.app.url("/userinfo"))
        .bearer_auth(field(&tokens, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "RFC 6750 §3.1 insufficient_scope");
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
}

#[tokio::test]
async fn a_failed_client_secret_post_carries_no_bearer_challenge() {
    let p = provider(confidential_client("rp", CALLBACK, SigningAlg::Rs256)).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "rp"),
        ("client_secret", "wrong"),
    ];
    let response = p
        .app
        .new_browser()
        .post(p.app.url("/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers().get("www-authenticate").is_none(),
        "RFC 6749 §5.2: no Basic was used"
    );
}
