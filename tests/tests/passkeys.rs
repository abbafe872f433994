//! Passkeys (issue 10): from the account settings a professional adds a passkey (a name and the
//! current password, then the browser's ceremony), gets recovery codes with this first factor,
//! and from then on signs in with the password and the passkey — in a real headless Chromium
//! with a virtual authenticator (WebDriver `addVirtualAuthenticator`). The session's `amr` is
//! `pwd` + `hwk`. Answers that do not verify change nothing and count as wrong tries; an agency
//! role cannot remove its last factor; a deployment at an IP address offers no passkeys.

use fantoccini::{Client, Locator};
use idp::domain::Role;
use integration_tests::chromium::{
    Driver, WAIT, add_virtual_authenticator, arrives_at, axe_violations, bounded, fill, submit,
};
use integration_tests::login::{log_in, post_form};
use integration_tests::page::{form_page, unescape};
use integration_tests::{PASSWORD, TestApp, location, spawn_app, spawn_app_on_localhost};
use uuid::Uuid;

const USER: &str = "IP80501";

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.deployment.db.get().await.unwrap();
    db.query_one(sql, &[]).await.unwrap().get(0)
}

/// The page's heading now ("" while none is there): read by a script, so a page that changes
/// under the read (a submit, a redirect) holds no stale element.
async fn heading(browser: &Client) -> String {
    let script = "const h = document.querySelector('h1'); return h ? h.textContent.trim() : '';";
    match tokio::time::timeout(WAIT, browser.execute(script, vec![])).await {
        Ok(Ok(value)) => value.as_str().unwrap_or_default().to_owned(),
        _ => String::new(),
    }
}

/// Waits for the heading `text` (the page after a submit), then checks the page with axe.
async fn on_page_without_violations(browser: &Client, text: &str) {
    let arrived =
        integration_tests::wait_until(WAIT, std::time::Duration::from_millis(100), async || {
            heading(browser).await == text
        })
        .await;
    assert!(
        arrived,
        "the page « {text} », got « {} »",
        heading(browser).await
    );
    assert_eq!(
        axe_violations(browser).await,
        Vec::<String>::new(),
        "{text}"
    );
}

/// Presses the passkey button once the script has shown it.
async fn press_passkey_button(browser: &Client) {
    let button = bounded(
        "the passkey button",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("#passkey-button:not([hidden])")),
    )
    .await;
    bounded("pressing the passkey button", button.click()).await;
}

async fn sign_in_with_password(browser: &Client, app: &TestApp) {
    bounded("the login page", browser.goto(&app.url("/login"))).await;
    fill(browser, "username", USER).await;
    fill(browser, "password", PASSWORD).await;
    submit(browser).await;
}

#[tokio::test]
async fn a_professional_adds_a_passkey_and_signs_in_with_it_in_chromium() {
    let app = spawn_app_on_localhost().await;
    app.add_user(USER).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    add_virtual_authenticator(&browser).await;

    sign_in_with_password(&browser, &app).await;
    arrives_at(&browser, &app, "/").await;
    bounded("the settings", browser.goto(&app.url("/account/passkeys"))).await;
    on_page_without_violations(&browser, "Clés d'accès").await;
    fill(&browser, "name", "Téléphone").await;
    fill(&browser, "current_password", PASSWORD).await;
    submit(&browser).await;
    on_page_without_violations(&browser, "Créer la clé d'accès").await;
    press_passkey_button(&browser).await;

    // The first factor of the account: its recovery codes, shown once.
    on_page_without_violations(&browser, "Vos codes de récupération").await;
    let codes = bounded(
        "the codes",
        browser.find_all(Locator::Css("#recovery-codes li")),
    )
    .await;
    assert_eq!(codes.len(), 10);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM passkeys WHERE name = 'Téléphone'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE kind = 'second_factor_enrolled' \
             AND detail->>'method' = 'passkey'"
        )
        .await,
        1
    );
    assert_eq!(count(&app, "SELECT count(*) FROM recovery_codes").await, 10);

    // The next sign-in asks for the passkey after the password, and no session exists before.
    bounded("forgetting the session", browser.delete_all_cookies()).await;
    sign_in_with_password(&browser, &app).await;
    arrives_at(&browser, &app, "/mfa").await;
    on_page_without_violations(&browser, "Code de vérification").await;
    press_passkey_button(&browser).await;
    arrives_at(&browser, &app, "/").await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM sso_sessions WHERE amr = ARRAY['pwd','hwk'] AND ended_at IS NULL"
        )
        .await,
        1,
        "the session says a passkey was used"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM passkeys WHERE last_used_at IS NOT NULL"
        )
        .await,
        1
    );

    // Over HTTP, answers that do not verify: refused at the page, counted, audited.
    forged_assertions_are_refused(&app).await;
}

/// A login over HTTP for the account that has a passkey: the /mfa page offers it; forged,
/// replayed and oversized answers are refused like wrong codes, the fifth ends the attempt.
async fn forged_assertions_are_refused(app: &TestApp) {
    let http = app.new_browser();
    let (_, html) = form_page(app, &http, "/login").await;
    let answer = post_form(app, &http, &html, USER, PASSWORD).await;
    assert_eq!(location(&answer), "/mfa");
    let (csrf, page) = form_page(app, &http, "/mfa").await;
    assert!(
        page.contains("data-ceremony=\"get\""),
        "a passkey is offered"
    );
    assert!(page.contains("challenge"), "with its options");
    // Oversized: the body limit answers before any check, and nothing is counted.
    let huge = "x".repeat(20_000);
    let oversized = http
        .post(app.url("/mfa/passkey"))
        .form(&[("csrf", csrf.as_str()), ("credential", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
    for credential in ["{}", "not json", "", "{\"id\":1}"] {
        let refused = http
            .post(app.url("/mfa/passkey"))
            .form(&[("csrf", csrf.as_str()), ("credential", credential)])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400);
        let text = unescape(&refused.text().await.unwrap());
        assert!(text.contains("n'a pas été reconnue"), "{text}");
    }
    let last = http
        .post(app.url("/mfa/passkey"))
        .form(&[("csrf", csrf.as_str()), ("credential", "{}")])
        .send()
        .await
        .unwrap();
    assert_eq!(last.status(), 400);
    assert!(unescape(&last.text().await.unwrap()).contains("Trop de codes erronés"));
    let after = http.get(app.url("/")).send().await.unwrap();
    assert_eq!(location(&after), "/login", "no session");
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM audit_events WHERE kind = 'second_factor' \
             AND outcome = 'refused' AND detail->>'method' = 'passkey'"
        )
        .await,
        5
    );
}

/// Adds a stored passkey row for `username` (its content never decodes: the settings count and
/// list it, the sign-in cannot offer it); its id.
async fn stored_passkey(app: &TestApp, username: &str, name: &str) -> Uuid {
    let db = app.deployment.db.get().await.unwrap();
    let account = idp::store::accounts::find_by_login_name(&db, &username.to_lowercase())
        .await
        .unwrap()
        .unwrap()
        .account
        .id;
    let credential: Vec<u8> = Uuid::new_v4().as_bytes().to_vec();
    idp::store::passkeys::insert(&db, account, &credential, name, &serde_json::json!({}))
        .await
        .unwrap()
}

async fn post(
    app: &TestApp,
    http: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let (csrf, _) = form_page(app, http, "/account/passkeys").await;
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    http.post(app.url(path)).form(&fields).send().await.unwrap()
}

#[tokio::test]
async fn passkey_settings_refuse_what_does_not_verify_and_change_nothing() {
    let app = spawn_app_on_localhost().await;
    app.add_user(USER).await;
    let http = app.new_browser();
    assert_eq!(
        log_in(&app, &http, "/login", USER, PASSWORD).await.status(),
        303
    );

    // Adding: a wrong password, no name, a name too long.
    let wrong = post(
        &app,
        &http,
        "/account/passkeys",
        &[("name", "Clé"), ("current_password", "non")],
    )
    .await;
    assert_eq!(wrong.status(), 400);
    assert!(
        unescape(&wrong.text().await.unwrap()).contains("Le mot de passe actuel n'est pas le bon")
    );
    let long = "n".repeat(65);
    for name in ["", "   ", long.as_str()] {
        let refused = post(
            &app,
            &http,
            "/account/passkeys",
            &[("name", name), ("current_password", PASSWORD)],
        )
        .await;
        assert_eq!(refused.status(), 400, "name {name:?}");
        assert!(
            unescape(&refused.text().await.unwrap()).contains("Donnez un nom à la clé d'accès")
        );
    }
    // An answer with no ceremony under way.
    let none = post(
        &app,
        &http,
        "/account/passkeys/finish",
        &[("credential", "{}")],
    )
    .await;
    assert_eq!(none.status(), 400);
    assert!(
        unescape(&none.text().await.unwrap())
            .contains("Le délai pour créer la clé d'accès est écoulé")
    );
    // A ceremony, then answers that do not verify: refused once, then the ceremony is spent.
    let begun = post(
        &app,
        &http,
        "/account/passkeys",
        &[("name", "Clé"), ("current_password", PASSWORD)],
    )
    .await;
    assert_eq!(begun.status(), 200);
    let html = begun.text().await.unwrap();
    assert!(html.contains("data-ceremony=\"create\""));
    assert!(
        unescape(&html).contains("\"rp\":{\"name\":\"RAMQ\",\"id\":\"localhost\"}"),
        "{html}"
    );
    let forged = post(
        &app,
        &http,
        "/account/passkeys/finish",
        &[("credential", "{\"id\":\"x\"}")],
    )
    .await;
    assert_eq!(forged.status(), 400);
    assert!(unescape(&forged.text().await.unwrap()).contains("n'a pas pu être vérifiée"));
    let again = post(
        &app,
        &http,
        "/account/passkeys/finish",
        &[("credential", "{}")],
    )
    .await;
    assert_eq!(again.status(), 400, "a ceremony serves once");
    let huge = "x".repeat(70_000);
    let oversized = post(
        &app,
        &http,
        "/account/passkeys/finish",
        &[("credential", huge.as_str())],
    )
    .await;
    assert!(
        oversized.status().is_client_error(),
        "{}",
        oversized.status()
    );
    assert_eq!(count(&app, "SELECT count(*) FROM passkeys").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM recovery_codes").await, 0);

    // Removing: a malformed id, an unknown one, another account's, a wrong password.
    app.add_user("IP80502").await;
    let theirs = stored_passkey(&app, "IP80502", "La leur").await;
    let mine = stored_passkey(&app, USER, "La mienne").await;
    let shown = form_page(&app, &http, "/account/passkeys").await.1;
    assert!(shown.contains("La mienne") && !shown.contains("La leur"));
    for id in [
        "pas-un-id".to_owned(),
        Uuid::new_v4().to_string(),
        theirs.to_string(),
    ] {
        let refused = post(
            &app,
            &http,
            "/account/passkeys/remove",
            &[("passkey", &id), ("current_password", PASSWORD)],
        )
        .await;
        assert_eq!(refused.status(), 400, "{id}");
        assert!(
            unescape(&refused.text().await.unwrap()).contains("Cette clé d'accès n'existe pas")
        );
    }
    let wrong = post(
        &app,
        &http,
        "/account/passkeys/remove",
        &[("passkey", &mine.to_string()), ("current_password", "non")],
    )
    .await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(
        count(&app, "SELECT count(*) FROM passkeys").await,
        2,
        "nothing removed"
    );
    // Forged CSRF.
    let forged = http
        .post(app.url("/account/passkeys/remove"))
        .form(&[
            ("csrf", "forged"),
            ("passkey", &mine.to_string()),
            ("current_password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(forged.status().is_client_error());
    // Right: removed, audited, reported.
    let removed = post(
        &app,
        &http,
        "/account/passkeys/remove",
        &[
            ("passkey", &mine.to_string()),
            ("current_password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(location(&removed), "/account?done=passkeys");
    assert_eq!(
        count(&app, "SELECT count(*) FROM passkeys").await,
        1,
        "theirs stays"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM audit_events WHERE kind = 'second_factor_removed' AND detail->>'method' = 'passkey'").await,
        1
    );
}

#[tokio::test]
async fn an_agency_role_keeps_its_last_second_factor() {
    let app = spawn_app_on_localhost().await;
    let agent = "CE80503";
    app.add_account(agent, "staff", None).await;
    {
        let db = app.deployment.db.get().await.unwrap();
        idp::admin::roles::grant(&db, agent, Role::HelpdeskAgent)
            .await
            .unwrap();
    }
    let only = stored_passkey(&app, agent, "Clé du bureau").await;
    let http = app.new_browser();
    // The sign-in passes the authenticator app's code (the helper sets one up).
    assert_eq!(
        log_in(&app, &http, "/login", agent, PASSWORD)
            .await
            .status(),
        303
    );
    // With an app and a passkey, the app may go: the passkey remains.
    let (csrf, _) = form_page(&app, &http, "/account/second-factor").await;
    let gone = http
        .post(app.url("/account/second-factor/remove"))
        .form(&[("csrf", csrf.as_str()), ("current_password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&gone), "/account?done=second-factor");
    // The last factor stays: the page says so and the removal is forbidden.
    let page = form_page(&app, &http, "/account/passkeys").await.1;
    assert!(unescape(&page).contains("votre dernière clé d'accès ne peut pas être retirée"));
    let refused = post(
        &app,
        &http,
        "/account/passkeys/remove",
        &[
            ("passkey", &only.to_string()),
            ("current_password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(count(&app, "SELECT count(*) FROM passkeys").await, 1);
}

#[tokio::test]
async fn a_deployment_at_an_ip_address_offers_no_passkeys() {
    let app = spawn_app().await;
    app.add_user(USER).await;
    let http = app.new_browser();
    assert_eq!(
        log_in(&app, &http, "/login", USER, PASSWORD).await.status(),
        303
    );
    let page = form_page(&app, &http, "/account/passkeys").await.1;
    assert!(unescape(&page).contains("Les clés d'accès ne sont pas offertes à cette adresse"));
    assert!(
        !page.contains("action=\"/account/passkeys\""),
        "no form to add one"
    );
    let refused = post(
        &app,
        &http,
        "/account/passkeys",
        &[("name", "Clé"), ("current_password", PASSWORD)],
    )
    .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(count(&app, "SELECT count(*) FROM passkeys").await, 0);
}
