//! Redis loses its data (a restart without persistence, a failover to a replica that had not
//! caught up): every flow whose state lived there fails safe. The user gets a clear page or a
//! standard OAuth error — never a 500 — and can start again and finish; a refresh-token family
//! revoked before the loss stays revoked, since families live in Postgres.

use idp::keys::SigningAlg;
use integration_tests::credentials::{age_password, give_questions, post_new_password};
use integration_tests::login::{log_in, page_location, post_form};
use integration_tests::oauth::{field, redeem, refresh};
use integration_tests::page::form_page;
use integration_tests::recovery::{exact_answers, post_answers, start_to_questions, text_of};
use integration_tests::{
    CALLBACK, PASSWORD, Provider, confidential_client, location, provider, rp, spawn_app,
};

const NEW_PASSWORD: &str = "une toute nouvelle phrase de passe";

/// The portal, a confidential client, on a fresh provider.
async fn portal() -> Provider {
    provider(confidential_client("portal", CALLBACK, SigningAlg::Es256)).await
}

/// The body of a page that must be French, HTML escapes undone.
async fn french_page(answer: reqwest::Response) -> String {
    let html = text_of(answer).await;
    assert!(html.contains("lang=\"fr-CA\""), "a French page: {html}");
    html
}

/// What a request whose state Redis lost gets: a clear page in French saying `says`, not a
/// 500.
async fn assert_clear_page(answer: reqwest::Response, lost: &str, says: &str) {
    assert_eq!(
        answer.status(),
        400,
        "{lost} is gone: a clear page, not a 500"
    );
    let page = french_page(answer).await;
    assert!(page.contains(says), "the page says {says:?}: {page}");
}

#[tokio::test]
async fn a_code_issued_before_the_loss_is_refused_with_invalid_grant_and_a_new_sign_in_works() {
    let p = portal().await;
    let secret = p.secret.clone().unwrap();
    p.app.add_user("IP61001").await;
    let started = rp::start(&p.metadata, "portal", CALLBACK, &["openid", "profile"]);
    let browser = p.app.new_browser();
    let callback = rp::sign_in(&browser, &p.app, started.url.as_str(), "IP61001", PASSWORD).await;
    let code = rp::code_from(&callback, &p.app, &started.state);

    p.app.forget_redis_data().await;

    let (status, body) = redeem(
        &p.app,
        "portal",
        &secret,
        code.secret(),
        started.verifier.secret(),
    )
    .await;
    assert_eq!(
        status, 400,
        "a lost code is a client error, not a 500: {body}"
    );
    assert_eq!(body["error"], "invalid_grant", "the standard error: {body}");

    let tokens = rp::tokens_for(&p, "portal", "IP61001", PASSWORD).await;
    assert!(
        tokens["access_token"].is_string(),
        "signing in again yields tokens: {tokens}"
    );
}

#[tokio::test]
async fn a_login_posted_after_the_loss_gets_the_expired_request_page_and_a_new_request_works() {
    let p = portal().await;
    p.app.add_user("IP61002").await;
    let started = rp::start(&p.metadata, "portal", CALLBACK, &["openid", "profile"]);
    let browser = p.app.new_browser();
    let login = page_location(&browser, started.url.as_str()).await;
    let (_, html) = form_page(&p.app, &browser, &login).await;

    p.app.forget_redis_data().await;

    let answer = post_form(&p.app, &browser, &html, "IP61002", PASSWORD).await;
    assert_clear_page(
        answer,
        "the parked request",
        "Votre demande de connexion a expiré",
    )
    .await;

    let again = rp::start(&p.metadata, "portal", CALLBACK, &["openid", "profile"]);
    let callback = rp::sign_in(
        &p.app.new_browser(),
        &p.app,
        again.url.as_str(),
        "IP61002",
        PASSWORD,
    )
    .await;
    let code = rp::code_from(&callback, &p.app, &again.state);
    let (status, body) = redeem(
        &p.app,
        "portal",
        p.secret.as_deref().unwrap(),
        code.secret(),
        again.verifier.secret(),
    )
    .await;
    assert_eq!(status, 200, "the new request goes through: {body}");
}

#[tokio::test]
async fn answers_posted_after_the_loss_get_the_expired_recovery_page_and_recovery_starts_again() {
    let app = spawn_app().await;
    let sub = app.add_user("IP61003").await;
    give_questions(&app, &sub, 8).await;
    let browser = app.new_browser();
    let asked = start_to_questions(&app, &browser, "IP61003").await;
    assert_eq!(asked.ids.len(), 3, "three questions asked: {:?}", asked.ids);

    app.forget_redis_data().await;

    let answer = post_answers(&app, &browser, &asked.csrf, &exact_answers(&asked.ids)).await;
    assert_clear_page(answer, "the recovery", "Recommencez-la depuis le début").await;

    let asked = start_to_questions(&app, &browser, "IP61003").await;
    assert_eq!(asked.ids.len(), 3, "three questions again: {:?}", asked.ids);
    let answer = post_answers(&app, &browser, &asked.csrf, &exact_answers(&asked.ids)).await;
    assert_eq!(answer.status(), 303, "the new recovery goes on");
    assert_eq!(location(&answer), "/recovery/password");
}

#[tokio::test]
async fn a_new_password_posted_after_the_loss_leads_back_to_the_login_and_the_change_is_asked_again()
 {
    let app = spawn_app().await;
    let sub = app.add_user("IP61004").await;
    give_questions(&app, &sub, 8).await;
    age_password(&app, &sub, 400).await;
    let browser = app.new_browser();
    let answer = log_in(&app, &browser, "/login", "IP61004", PASSWORD).await;
    assert_eq!(location(&answer), "/password/new", "the expired password");
    let (csrf, _) = form_page(&app, &browser, "/password/new").await;

    app.forget_redis_data().await;

    let form = [
        ("csrf", csrf.as_str()),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    let answer = browser
        .post(app.url("/password/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        303,
        "the restricted state is gone: not a 500"
    );
    assert_eq!(location(&answer), "/login", "back to the login");
    let login = browser.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 200, "the login page is shown");
    french_page(login).await;

    let answer = log_in(&app, &browser, "/login", "IP61004", PASSWORD).await;
    assert_eq!(
        location(&answer),
        "/password/new",
        "the expired password still leads to the change, not stuck"
    );
    let answer =
        post_new_password(&app, &browser, "/password/new", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(location(&answer), "/", "the change is done, signed in");
}

#[tokio::test]
async fn a_refresh_token_of_a_family_revoked_before_the_loss_stays_refused() {
    let p = portal().await;
    let secret = p.secret.clone().unwrap();
    p.app.add_user("IP61005").await;
    let tokens = rp::tokens_for(&p, "portal", "IP61005", PASSWORD).await;
    let access_token = field(&tokens, "access_token");
    let refresh_token = field(&tokens, "refresh_token");
    for token in [&access_token, &refresh_token] {
        let answer = p
            .app
            .new_browser()
            .post(p.app.url("/revoke"))
            .basic_auth("portal", Some(&secret))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "the revocation is accepted");
    }

    p.app.forget_redis_data().await;

    let (status, body) = refresh(&p.app, "portal", &secret, &refresh_token).await;
    assert_eq!(status, 400, "the revoked family is refused: {body}");
    assert_eq!(body["error"], "invalid_grant", "the standard error: {body}");
}
