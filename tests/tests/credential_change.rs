//! The restricted state (issue 3): a login with an expired or a temporary password proves who
//! the user is but opens no session — no relying party gets a code — until the *Questions
//! secrètes* page (when fewer than 8 are set) and a new password are done; then the original
//! authorization request resumes.

use idp::keys::SigningAlg;
use integration_tests::credentials::{
    age_password, give_questions, issue_temporary, post_new_password, questions_form,
};
use integration_tests::login::{log_in, logs_in, page_location};
use integration_tests::page::form_page;
use integration_tests::rp::{self, algs};
use integration_tests::{
    CALLBACK, PASSWORD, Provider, TestApp, confidential_client, hidden_input, location, provider,
    spawn_app,
};
use openidconnect::core::{CoreClient, CoreIdTokenVerifier};
use openidconnect::{ClientId, RedirectUrl, TokenResponse};

const NEW_PASSWORD: &str = "une toute nouvelle phrase de passe";

/// Fills the *Questions secrètes* page; the raw answer.
async fn answer_questions(app: &TestApp, browser: &reqwest::Client) -> reqwest::Response {
    let (csrf, html) = form_page(app, browser, "/questions").await;
    assert!(html.contains("Questions secrètes"), "the page is in French");
    assert_eq!(
        html.matches("<select").count(),
        8,
        "eight questions to pick"
    );
    let response = browser
        .post(app.url("/questions"))
        .form(&questions_form(csrf))
        .send()
        .await
        .unwrap();
    integration_tests::through_resume(app, browser, response).await
}

async fn answers_stored(app: &TestApp, sub: &str) -> i64 {
    let db = app.deployment.db.get().await.unwrap();
    let id: uuid::Uuid = sub.parse().unwrap();
    db.query_one(
        "SELECT count(*) FROM secret_answers WHERE account_id = $1",
        &[&id],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn an_expired_password_leads_through_the_questions_and_a_new_password_back_to_the_relying_party()
 {
    let Provider {
        app,
        secret,
        metadata,
    } = provider(confidential_client("portal", CALLBACK, SigningAlg::Rs256)).await;
    let sub = app.add_user("IP41001").await;
    age_password(&app, &sub, 400).await;

    let started = rp::start(&metadata, "portal", CALLBACK, &["openid", "profile"]);
    let browser = app.new_browser();
    let login = page_location(&browser, started.url.as_str()).await;
    let answer = log_in(&app, &browser, &login, "IP41001", PASSWORD).await;
    assert_eq!(answer.status(), 303);
    assert_eq!(
        location(&answer),
        "/questions",
        "no questions yet: that page first"
    );

    // Restricted: no session, so the relying party gets nothing yet.
    let again = browser.get(started.url.as_str()).send().await.unwrap();
    assert!(
        location(&again).starts_with("/login?req="),
        "no session exists in the restricted state"
    );
    let home = browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        location(&home),
        "/login",
        "the home page is not open either"
    );
    let skip = browser.get(app.url("/password/new")).send().await.unwrap();
    assert_eq!(
        location(&skip),
        "/login",
        "the password step waits for the questions"
    );

    let answer = answer_questions(&app, &browser).await;
    assert_eq!(answer.status(), 303);
    assert_eq!(location(&answer), "/password/new");
    assert_eq!(answers_stored(&app, &sub).await, 8);

    let answer =
        post_new_password(&app, &browser, "/password/new", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(
        answer.status(),
        303,
        "the last step resumes the authorization"
    );
    let callback = url::Url::parse(&location(&answer)).unwrap();
    assert!(
        callback.as_str().starts_with(CALLBACK),
        "back to the relying party: {callback}"
    );
    let code = rp::code_from(&callback, &app, &started.state);
    // The request was answered once: its hand-off, first parking included, is spent.
    let req = login.trim_start_matches("/login?req=");
    let replay = browser
        .get(app.url(&format!("/authorize/resume?req={req}")))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400, "no second code for one request");
    let client = CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new("portal".into()),
        rp::secret(secret),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap());
    let tokens = client
        .exchange_code(code)
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&rp::http(&app))
        .await
        .expect("the resumed request's code is redeemed");
    let verifier: CoreIdTokenVerifier = client
        .id_token_verifier()
        .set_allowed_algs(algs(SigningAlg::Rs256));
    let claims = tokens
        .id_token()
        .expect("an id_token")
        .claims(&verifier, &started.nonce)
        .expect("the id_token verifies");
    assert_eq!(claims.subject().as_str(), sub);

    assert!(
        !logs_in(&app, "IP41001", PASSWORD).await,
        "the old password is gone"
    );
    assert!(
        logs_in(&app, "IP41001", NEW_PASSWORD).await,
        "the new one works, unexpired"
    );
    let db = app.deployment.db.get().await.unwrap();
    let reason: String = db
        .query_one(
            "SELECT detail->>'reason' FROM audit_events WHERE kind = 'password_changed'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(reason, "expired", "the change is audited with its reason");
}

#[tokio::test]
async fn with_questions_already_set_an_expired_password_goes_straight_to_the_new_password() {
    let app = spawn_app().await;
    let sub = app.add_user("IP41002").await;
    give_questions(&app, &sub, 8).await;
    age_password(&app, &sub, 400).await;
    let browser = app.new_browser();
    let answer = log_in(&app, &browser, "/login", "IP41002", PASSWORD).await;
    assert_eq!(location(&answer), "/password/new");
    let questions = browser.get(app.url("/questions")).send().await.unwrap();
    assert_eq!(
        location(&questions),
        "/login",
        "the questions page is not a step here"
    );

    let answer = post_new_password(&app, &browser, "/password/new", PASSWORD, PASSWORD).await;
    assert_eq!(
        answer.status(),
        400,
        "the expired password cannot be chosen again"
    );
    let html = answer.text().await.unwrap();
    assert!(
        html.contains("déjà été utilisé"),
        "history refusal, in French: {html}"
    );

    let answer = post_new_password(
        &app,
        &browser,
        "/password/new",
        NEW_PASSWORD,
        "something else entirely",
    )
    .await;
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.unwrap().contains("ne correspond pas"));

    let answer =
        post_new_password(&app, &browser, "/password/new", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(location(&answer), "/", "no relying party: the home page");
    let home = browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200, "signed in once the password is changed");
}

#[tokio::test]
async fn a_temporary_password_forces_a_new_password_then_the_questions() {
    let app = spawn_app().await;
    let sub = app.add_user("IP41003").await;
    let temporary = issue_temporary(&app, "IP41003").await;
    assert!(
        !logs_in(&app, "IP41003", PASSWORD).await,
        "the old password is replaced"
    );

    let browser = app.new_browser();
    let answer = log_in(&app, &browser, "/login", "ip41003", &temporary).await;
    assert_eq!(
        location(&answer),
        "/password/new",
        "temporary: the password first"
    );

    let answer = post_new_password(
        &app,
        &browser,
        "/password/new",
        "password1234",
        "password1234",
    )
    .await;
    assert_eq!(answer.status(), 400);
    let html = answer.text().await.unwrap();
    assert!(
        html.contains("trop courant"),
        "a common password is refused, saying why"
    );
    assert!(
        html.contains("aria-invalid=\"true\""),
        "the error is tied to the field"
    );

    let answer =
        post_new_password(&app, &browser, "/password/new", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(
        location(&answer),
        "/questions",
        "then the questions, fewer than 8 being set"
    );
    let answer = answer_questions(&app, &browser).await;
    assert_eq!(location(&answer), "/");
    assert_eq!(answers_stored(&app, &sub).await, 8);
    assert!(logs_in(&app, "IP41003", NEW_PASSWORD).await);
}

#[tokio::test]
async fn a_temporary_password_works_once_and_not_after_it_expires() {
    let app = spawn_app().await;
    app.add_user("IP41004").await;
    let temporary = issue_temporary(&app, "IP41004").await;
    let first = log_in(&app, &app.new_browser(), "/login", "IP41004", &temporary).await;
    assert_eq!(
        location(&first),
        "/password/new",
        "the first use is accepted"
    );
    assert!(
        !logs_in(&app, "IP41004", &temporary).await,
        "a second use of the same temporary password is refused"
    );

    app.add_user("IP41005").await;
    let temporary = issue_temporary(&app, "IP41005").await;
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE password_credentials SET temporary_expires_at = now() - interval '1 minute' \
         FROM accounts a WHERE a.id = account_id AND a.username = 'IP41005'",
        &[],
    )
    .await
    .unwrap();
    let answer = log_in(&app, &app.new_browser(), "/login", "IP41005", &temporary).await;
    assert_eq!(
        answer.status(),
        200,
        "an expired temporary password fails like a wrong one"
    );
    assert!(answer.text().await.unwrap().contains("incorrect"));
}

#[tokio::test]
async fn the_restricted_steps_refuse_forged_or_missing_state() {
    let app = spawn_app().await;
    let sub = app.add_user("IP41006").await;
    age_password(&app, &sub, 400).await;
    let browser = app.new_browser();
    let answer = log_in(&app, &browser, "/login", "IP41006", PASSWORD).await;
    assert_eq!(location(&answer), "/questions");

    // Without the CSRF token: refused, nothing stored.
    let form = questions_form(String::new());
    let answer = browser
        .post(app.url("/questions"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(answers_stored(&app, &sub).await, 0);

    // Two rows with the same question and an answer equal to the username.
    let (csrf, _) = form_page(&app, &browser, "/questions").await;
    let mut form = questions_form(csrf);
    form[3].1 = form[1].1.clone(); // question_2 = question_1
    form[4].1 = "ip41006".into(); // answer_2 = the username
    let answer = browser
        .post(app.url("/questions"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let html = integration_tests::page::unescape(&answer.text().await.unwrap());
    assert!(html.contains("déjà choisie"), "duplicate question named");
    assert!(html.contains("nom d'utilisateur"), "personal answer named");
    assert!(
        !html.contains(&form[6].1) && !html.contains(&form[2].1),
        "answers are never written back into the page"
    );
    assert!(
        html.contains(&format!("value=\"{}\" selected", form[5].1)),
        "the questions picked stay picked"
    );
    assert_eq!(
        answers_stored(&app, &sub).await,
        0,
        "nothing is partly written"
    );

    // Another browser without the restricted cookie, and a forged cookie.
    let stranger = app.new_browser();
    let answer = stranger.get(app.url("/password/new")).send().await.unwrap();
    assert_eq!(location(&answer), "/login");
    let forged = stranger
        .get(app.url("/questions"))
        .header("cookie", "__Host-idp_restricted=../../etc/passwd")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&forged), "/login");

    // An oversized form is refused with a page, not a 500.
    let big = "a".repeat(100_000);
    let answer = browser
        .post(app.url("/questions"))
        .form(&[("csrf", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
}

#[tokio::test]
async fn the_audit_trail_cannot_be_rewritten() {
    let app = spawn_app().await;
    app.add_user("IP41007").await;
    assert!(!logs_in(&app, "IP41007", "not the password!").await);
    let db = app.deployment.db.get().await.unwrap();
    let failures: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_events WHERE kind = 'login' AND outcome = 'failure'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(failures, 1, "the failed login is audited");
    for statement in [
        "UPDATE audit_events SET outcome = 'success'",
        "DELETE FROM audit_events",
    ] {
        let refused = db.execute(statement, &[]).await;
        assert!(
            refused.is_err_and(|e| e.to_string().contains("append-only")
                || format!("{e:?}").contains("append-only")),
            "{statement} is refused"
        );
    }
}

#[tokio::test]
async fn the_temporary_password_cannot_become_the_lasting_one() {
    let app = spawn_app().await;
    app.add_user("IP41008").await;
    let temporary = issue_temporary(&app, "IP41008").await;
    let browser = app.new_browser();
    let answer = log_in(&app, &browser, "/login", "IP41008", &temporary).await;
    assert_eq!(location(&answer), "/password/new");
    let answer = post_new_password(&app, &browser, "/password/new", &temporary, &temporary).await;
    assert_eq!(
        answer.status(),
        400,
        "the temporary password is refused as the new one"
    );
    assert!(answer.text().await.unwrap().contains("déjà été utilisé"));
}

#[tokio::test]
async fn questions_owed_after_a_temporary_password_are_asked_at_the_next_login() {
    let app = spawn_app().await;
    let sub = app.add_user("IP41009").await;
    let temporary = issue_temporary(&app, "IP41009").await;
    let browser = app.new_browser();
    let answer = log_in(&app, &browser, "/login", "IP41009", &temporary).await;
    assert_eq!(location(&answer), "/password/new");
    let answer =
        post_new_password(&app, &browser, "/password/new", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(location(&answer), "/questions");

    // The user leaves here. Their next login opens no session: the questions come first.
    let later = app.new_browser();
    let answer = log_in(&app, &later, "/login", "IP41009", NEW_PASSWORD).await;
    assert_eq!(
        location(&answer),
        "/questions",
        "the questions are still owed"
    );
    let home = later.get(app.url("/")).send().await.unwrap();
    assert_eq!(location(&home), "/login", "no session yet");
    let answer = answer_questions(&app, &later).await;
    assert_eq!(location(&answer), "/");
    assert_eq!(answers_stored(&app, &sub).await, 8);
    assert!(
        logs_in(&app, "IP41009", NEW_PASSWORD).await,
        "then logins are normal"
    );
}

#[tokio::test]
async fn an_answer_equal_to_the_password_is_refused_in_the_restricted_state() {
    let app = spawn_app().await;
    let sub = app.add_user("IP41010").await;
    age_password(&app, &sub, 400).await;
    let browser = app.new_browser();
    let answer = log_in(&app, &browser, "/login", "IP41010", PASSWORD).await;
    assert_eq!(location(&answer), "/questions");
    let (csrf, _) = form_page(&app, &browser, "/questions").await;
    let mut form = questions_form(csrf);
    form[6].1 = PASSWORD.to_owned(); // answer_3 = the password, as typed
    let answer = browser
        .post(app.url("/questions"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let html = integration_tests::page::unescape(&answer.text().await.unwrap());
    assert!(
        html.contains("ne doit pas être votre mot de passe"),
        "{html}"
    );
    assert!(!html.contains(PASSWORD), "the password is not written back");
    assert_eq!(answers_stored(&app, &sub).await, 0);
}

#[tokio::test]
async fn the_restricted_state_ends_when_the_account_is_locked_meanwhile() {
    let app = spawn_app().await;
    let sub = app.add_user("IP41011").await;
    give_questions(&app, &sub, 8).await;
    age_password(&app, &sub, 400).await;
    let browser = app.new_browser();
    let answer = log_in(&app, &browser, "/login", "IP41011", PASSWORD).await;
    assert_eq!(location(&answer), "/password/new");
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE accounts SET locked_at = now() WHERE username = 'IP41011'",
        &[],
    )
    .await
    .unwrap();
    let page = browser.get(app.url("/password/new")).send().await.unwrap();
    assert_eq!(
        location(&page),
        "/login",
        "a help-desk lock ends the restricted state"
    );
}

#[tokio::test]
async fn login_events_are_audited_with_the_user_agent() {
    let app = spawn_app().await;
    app.add_user("IP41012").await;
    let browser = app.new_browser();
    let page = browser.get(app.url("/login")).send().await.unwrap();
    let html = page.text().await.unwrap();
    let form = [
        ("csrf", hidden_input(&html, "csrf").unwrap()),
        ("username", "IP41012".to_owned()),
        ("password", PASSWORD.to_owned()),
    ];
    let answer = browser
        .post(app.url("/login"))
        .header("user-agent", "Navigateur d'essai/1.0")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let db = app.deployment.db.get().await.unwrap();
    let agent: Option<String> = db
        .query_one(
            "SELECT user_agent FROM audit_events WHERE kind = 'login' AND outcome = 'success'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(agent.as_deref(), Some("Navigateur d'essai/1.0"));
}

#[tokio::test]
async fn a_password_change_in_the_settings_revokes_refresh_tokens_of_idle_sessions() {
    let Provider {
        app,
        secret,
        metadata,
    } = provider(confidential_client("portal", CALLBACK, SigningAlg::Rs256)).await;
    let secret = secret.unwrap();
    app.add_user("IP41013").await;
    // A relying party holds a refresh token from a session that has since gone idle.
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid"]);
    let old_browser = app.new_browser();
    let callback = rp::sign_in(
        &old_browser,
        &app,
        started.url.as_str(),
        "IP41013",
        PASSWORD,
    )
    .await;
    let code = rp::code_from(&callback, &app, &started.state);
    let (status, tokens) = integration_tests::oauth::redeem(
        &app,
        "portal",
        &secret,
        code.secret(),
        started.verifier.secret(),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let refresh_token = integration_tests::oauth::field(&tokens, "refresh_token");
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE sso_sessions SET last_seen_at = now() - interval '1 day'",
        &[],
    )
    .await
    .unwrap();

    let browser = app.new_browser();
    let answer = log_in(&app, &browser, "/login", "IP41013", PASSWORD).await;
    assert_eq!(answer.status(), 303);
    let (csrf, _) = form_page(&app, &browser, "/account/password").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("current_password", PASSWORD),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    let answer = browser
        .post(app.url("/account/password"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303, "the password is changed");
    let (status, body) =
        integration_tests::oauth::refresh(&app, "portal", &secret, &refresh_token).await;
    assert_eq!(
        status, 400,
        "the idle session's refresh token is revoked: {body}"
    );
    assert_eq!(body["error"], "invalid_grant");
    let home = browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200, "the session that changed it stays");
}
