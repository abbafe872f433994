//! The second factor of the agency roles (issue 10): at its first sign-in a help-desk agent
//! sets up a TOTP authenticator (the secret confirmed by a first code, ten recovery codes shown
//! once) before any session exists; afterwards every sign-in asks for a code, which serves
//! once; a recovery code serves once; five wrong codes end the attempt. Tokens say how the user
//! signed in: `amr` ["pwd","otp"] and `acr` "mfa", or ["pwd"] and "pwd".

use idp::domain::Role;
use idp::keys::SigningAlg;
use idp::second_factor::totp;
use integration_tests::jwt::claims;
use integration_tests::login::page_location;
use integration_tests::oauth::{self, field};
use integration_tests::page::{form_page, unescape};
use integration_tests::{
    CALLBACK, PASSWORD, Provider, TestApp, confidential_client, hidden_input, location, provider,
    rp, spawn_app, through_resume,
};
use serde_json::{Value, json};

const CLIENT: &str = "console";
const AGENT: &str = "CE27001";

/// Starts a sign-in at the client and posts the password: the login's own answer, the PKCE
/// request, and the browser.
async fn password_step(
    p: &Provider,
    username: &str,
) -> (reqwest::Response, rp::Started, reqwest::Client) {
    let started = rp::start(&p.metadata, CLIENT, CALLBACK, &["openid", "profile"]);
    let browser = p.app.new_browser();
    let login = page_location(&browser, started.url.as_str()).await;
    let (_, html) = form_page(&p.app, &browser, &login).await;
    let answer =
        integration_tests::login::post_form(&p.app, &browser, &html, username, PASSWORD).await;
    (answer, started, browser)
}

async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    code: &str,
) -> reqwest::Response {
    let (csrf, _) = form_page(app, browser, path).await;
    browser
        .post(app.url(path))
        .form(&[("csrf", csrf.as_str()), ("code", code)])
        .send()
        .await
        .unwrap()
}

/// Redeems the code the relying party got back.
async fn redeem(
    p: &Provider,
    browser: &reqwest::Client,
    answer: reqwest::Response,
    started: &rp::Started,
) -> Value {
    let answer = through_resume(&p.app, browser, answer).await;
    assert_eq!(answer.status(), 303);
    let callback = url::Url::parse(&location(&answer)).unwrap();
    let code = rp::code_from(&callback, &p.app, &started.state);
    let (status, tokens) = oauth::redeem(
        &p.app,
        CLIENT,
        p.secret.as_deref().unwrap(),
        code.secret(),
        started.verifier.secret(),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.deployment.db.get().await.unwrap();
    db.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn an_agent_sets_up_a_second_factor_then_every_sign_in_asks_for_a_code() {
    let p = provider(confidential_client(CLIENT, CALLBACK, SigningAlg::Es256)).await;
    let app = &p.app;
    app.add_account(AGENT, "staff", None).await;
    {
        let db = app.deployment.db.get().await.unwrap();
        idp::admin::roles::grant(&db, AGENT, Role::HelpdeskAgent)
            .await
            .unwrap();
    }

    // First sign-in: the password opens no session, the set-up page comes first.
    let (answer, started, browser) = password_step(&p, AGENT).await;
    assert_eq!(location(&answer), "/mfa/enrol");
    let home = browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        location(&home),
        "/login",
        "no session before the second factor"
    );
    let (_, html) = form_page(app, &browser, "/mfa/enrol").await;
    let html = unescape(&html);
    assert!(html.contains("Configurer votre deuxième facteur"), "{html}");
    assert!(
        html.contains("src=\"data:image/svg+xml;base64,"),
        "the QR code"
    );
    let typed = html
        .split("<code id=\"secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .replace(' ', "");
    let secret = totp_rs::Secret::try_from_base32(&typed).unwrap().to_vec();
    let right = totp::current_code(&secret).unwrap();
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);

    let refused = post(app, &browser, "/mfa/enrol", &wrong).await;
    assert_eq!(refused.status(), 400);
    let text = unescape(&refused.text().await.unwrap());
    assert!(text.contains("id=\"code-error\"") && text.contains("n'est pas le bon"));
    assert_eq!(count(app, "SELECT count(*) FROM totp_credentials").await, 0);

    let shown = post(app, &browser, "/mfa/enrol", &right).await;
    assert_eq!(shown.status(), 200);
    let html = shown.text().await.unwrap();
    let codes: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .filter_map(|r| r.split('<').next())
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "{html}");
    assert_eq!(count(app, "SELECT count(*) FROM recovery_codes").await, 10);
    let stored: Vec<u8> = {
        let db = app.deployment.db.get().await.unwrap();
        db.query_one("SELECT secret_sealed FROM totp_credentials", &[])
            .await
            .unwrap()
            .get(0)
    };
    assert!(
        !stored.windows(secret.len()).any(|w| w == secret.as_slice()),
        "sealed at rest"
    );
    let csrf = hidden_input(&html, "csrf").unwrap();
    let answer = browser
        .post(app.url("/mfa/enrol/done"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let tokens = redeem(&p, &browser, answer, &started).await;
    let id_token = claims(&field(&tokens, "id_token"));
    assert_eq!(id_token["amr"], json!(["pwd", "otp"]), "{id_token}");
    assert_eq!(id_token["acr"], "mfa", "{id_token}");
    let access = claims(&field(&tokens, "access_token"));
    assert_eq!(access["amr"], json!(["pwd", "otp"]), "{access}");
    assert_eq!(access["acr"], "mfa");
    let (status, refreshed) = oauth::refresh(
        app,
        CLIENT,
        p.secret.as_deref().unwrap(),
        &field(&tokens, "refresh_token"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        claims(&field(&refreshed, "access_token"))["acr"],
        "mfa",
        "kept by the refresh"
    );

    // Next sign-in: the code. The code already used at the set-up is refused (once per step);
    // a recovery code serves once.
    let (answer, started, browser) = password_step(&p, AGENT).await;
    assert_eq!(location(&answer), "/mfa");
    let replayed = post(app, &browser, "/mfa", &right).await;
    assert_eq!(replayed.status(), 400, "a code serves once");
    let answer = post(app, &browser, "/mfa", &codes[0].to_uppercase()).await;
    let tokens = redeem(&p, &browser, answer, &started).await;
    assert_eq!(claims(&field(&tokens, "id_token"))["acr"], "mfa");

    let (answer, _, browser) = password_step(&p, AGENT).await;
    assert_eq!(location(&answer), "/mfa");
    let spent = post(app, &browser, "/mfa", &codes[0]).await;
    assert_eq!(spent.status(), 400, "a recovery code serves once");
    // Four more wrong codes (five in all) end the attempt: sign in again.
    for _ in 0..3 {
        assert_eq!(post(app, &browser, "/mfa", "000000x").await.status(), 400);
    }
    let last = post(app, &browser, "/mfa", &wrong).await;
    assert_eq!(last.status(), 400);
    assert!(unescape(&last.text().await.unwrap()).contains("Trop de codes erronés"));
    let after = browser.get(app.url("/mfa")).send().await.unwrap();
    assert_eq!(location(&after), "/login", "the attempt is over");

    let outcomes = count(
        app,
        "SELECT count(*) FROM audit_events WHERE kind = 'second_factor' AND outcome = 'refused'",
    )
    .await;
    assert_eq!(outcomes, 7, "every wrong code audited");
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM audit_events WHERE kind = 'second_factor_enrolled'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_professional_signs_in_with_a_password_and_tokens_say_so() {
    let p = provider(confidential_client(CLIENT, CALLBACK, SigningAlg::Rs256)).await;
    p.app.add_user("IP27002").await;
    let (answer, started, browser) = password_step(&p, "IP27002").await;
    assert_ne!(location(&answer), "/mfa", "no second factor without a role");
    let tokens = redeem(&p, &browser, answer, &started).await;
    let id_token = claims(&field(&tokens, "id_token"));
    assert_eq!(id_token["amr"], json!(["pwd"]), "{id_token}");
    assert_eq!(id_token["acr"], "pwd");
    let discovery: Value = p
        .app
        .new_browser()
        .get(p.app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["acr_values_supported"], json!(["pwd", "mfa"]));
}

#[tokio::test]
async fn the_set_up_pages_pass_axe_in_a_real_browser() {
    use integration_tests::chromium::{
        Driver, arrives_at, axe_violations, bounded, fill, heading, submit,
    };
    let p = provider(confidential_client(CLIENT, CALLBACK, SigningAlg::Es256)).await;
    let app = &p.app;
    app.add_account(AGENT, "staff", None).await;
    {
        let db = app.deployment.db.get().await.unwrap();
        idp::admin::roles::grant(&db, AGENT, Role::SecurityOfficer)
            .await
            .unwrap();
    }
    let driver = Driver::start().await;
    let browser = driver.session().await;
    bounded("login", browser.goto(&app.url("/login"))).await;
    fill(&browser, "username", AGENT).await;
    fill(&browser, "password", PASSWORD).await;
    submit(&browser).await;
    arrives_at(&browser, app, "/mfa/enrol").await;
    assert_eq!(heading(&browser).await, "Configurer votre deuxième facteur");
    let found = axe_violations(&browser).await;
    assert!(found.is_empty(), "{found:?}");
    fill(&browser, "code", "123").await;
    submit(&browser).await;
    bounded(
        "the refusal",
        browser
            .wait()
            .at_most(integration_tests::chromium::WAIT)
            .for_element(fantoccini::Locator::Id("code-error")),
    )
    .await;
    let found = axe_violations(&browser).await;
    assert!(found.is_empty(), "the refusal: {found:?}");
    let typed = bounded(
        "the secret",
        browser.execute(
            "return document.getElementById('secret').textContent",
            vec![],
        ),
    )
    .await;
    let typed = typed.as_str().unwrap().replace(' ', "");
    let secret = totp_rs::Secret::try_from_base32(&typed).unwrap().to_vec();
    fill(&browser, "code", &totp::current_code(&secret).unwrap()).await;
    submit(&browser).await;
    bounded(
        "the codes",
        browser
            .wait()
            .at_most(integration_tests::chromium::WAIT)
            .for_element(fantoccini::Locator::Id("recovery-codes")),
    )
    .await;
    assert_eq!(heading(&browser).await, "Vos codes de récupération");
    let found = axe_violations(&browser).await;
    assert!(found.is_empty(), "the codes: {found:?}");
    submit(&browser).await;
    arrives_at(&browser, app, "/").await;
}

#[tokio::test]
async fn a_professional_opts_in_from_the_settings_and_may_remove_it() {
    let app = spawn_app().await;
    app.add_user("IP27003").await;
    let browser = app.new_browser();
    let answer =
        integration_tests::login::log_in(&app, &browser, "/login", "IP27003", PASSWORD).await;
    assert_eq!(location(&answer), "/");
    let (_, html) = form_page(&app, &browser, "/account/second-factor").await;
    let typed = html
        .split("<code id=\"secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .replace(' ', "");
    let secret = totp_rs::Secret::try_from_base32(&typed).unwrap().to_vec();
    let settings = |password: &'static str, code: String| {
        let (app, browser) = (&app, &browser);
        async move {
            let (csrf, _) = form_page(app, browser, "/account/second-factor").await;
            let form = [
                ("csrf", csrf),
                ("current_password", password.to_owned()),
                ("code", code),
            ];
            browser
                .post(app.url("/account/second-factor"))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let right = totp::current_code(&secret).unwrap();
    let refused = settings("pas le mot de passe", right.clone()).await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("id=\"current_password-error\"")
    );
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let refused = settings(PASSWORD, wrong).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("id=\"code-error\""));
    assert_eq!(
        count(&app, "SELECT count(*) FROM totp_credentials").await,
        0
    );

    let shown = settings(PASSWORD, right).await;
    assert_eq!(shown.status(), 200);
    let html = shown.text().await.unwrap();
    assert_eq!(
        html.matches("<li><code>").count(),
        10,
        "the recovery codes, once"
    );
    let mail = app.smtp.wait_for("ip27003@example.org", 1).await;
    assert!(
        mail.iter()
            .any(|m| m.subject == "Deuxième facteur ajouté à votre compte")
    );

    // From now on the sign-in asks for a code.
    let again = app.new_browser();
    let (_, login) = form_page(&app, &again, "/login").await;
    let answer =
        integration_tests::login::post_form(&app, &again, &login, "IP27003", PASSWORD).await;
    assert_eq!(location(&answer), "/mfa");

    // Removing it asks for the password too.
    let remove = |password: &'static str| {
        let (app, browser) = (&app, &browser);
        async move {
            let (csrf, _) = form_page(app, browser, "/account/second-factor").await;
            let form = [("csrf", csrf), ("current_password", password.to_owned())];
            browser
                .post(app.url("/account/second-factor/remove"))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(remove("pas le mot de passe").await.status(), 400);
    assert_eq!(
        count(&app, "SELECT count(*) FROM totp_credentials").await,
        1
    );
    let answer = remove(PASSWORD).await;
    assert_eq!(location(&answer), "/account?done=second-factor");
    assert_eq!(
        count(&app, "SELECT count(*) FROM totp_credentials").await,
        0
    );
    assert!(integration_tests::login::logs_in(&app, "IP27003", PASSWORD).await);
}

#[tokio::test]
async fn an_agency_role_cannot_remove_its_second_factor() {
    let app = spawn_app().await;
    app.add_account(AGENT, "staff", None).await;
    {
        let db = app.deployment.db.get().await.unwrap();
        idp::admin::roles::grant(&db, AGENT, Role::HelpdeskAgent)
            .await
            .unwrap();
    }
    let browser = app.new_browser();
    let answer = integration_tests::login::log_in(&app, &browser, "/login", AGENT, PASSWORD).await;
    assert_eq!(location(&answer), "/");
    let (_, html) = form_page(&app, &browser, "/account/second-factor").await;
    // No removal form on the page: a token from another settings form, posted by hand.
    let (csrf, _) = form_page(&app, &browser, "/account/password").await;
    assert!(
        unescape(&html).contains("ne peut pas être retiré"),
        "{html}"
    );
    let answer = browser
        .post(app.url("/account/second-factor/remove"))
        .form(&[("csrf", csrf.as_str()), ("current_password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    assert_eq!(
        count(&app, "SELECT count(*) FROM totp_credentials").await,
        1
    );
}
