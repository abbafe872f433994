//! Setting up an account's credentials directly in the store: secret questions with known
//! answers, an aged password, a temporary password.

use idp::questions::answer;

use crate::TestApp;

/// The answer a test gives to a question: derived from its id, distinct for each.
pub fn answer_for(question_id: &str) -> String {
    format!("Réponse à {question_id}")
}

/// Gives `sub` answers to the first `n` questions of the catalogue (`answer_for` each); returns
/// their ids.
pub async fn give_questions(app: &TestApp, sub: &str, n: usize) -> Vec<String> {
    let hasher = test_hasher();
    let mut hashed = Vec::new();
    for q in catalogue().catalogue.iter().take(n) {
        let normalised = answer::normalise(&answer_for(&q.id)).unwrap();
        let input = answer::hash_input(&q.id, &normalised).unwrap();
        hashed.push((q.id.clone(), hasher.hash(&input).await.unwrap()));
    }
    let db = app.deployment.db.get().await.unwrap();
    let id: uuid::Uuid = sub.parse().unwrap();
    idp::store::questions::replace(&db, id, &hashed)
        .await
        .unwrap();
    hashed.into_iter().map(|(q, _)| q).collect()
}

/// The secret questions of the test configuration.
pub fn catalogue() -> idp::config::QuestionsConfig {
    idp::config::Config::figment(&crate::repo_root().join("config"), "test")
        .extract_inner("secret_questions")
        .unwrap()
}

/// Makes the password of `sub` look `days` old.
pub async fn age_password(app: &TestApp, sub: &str, days: i32) {
    let db = app.deployment.db.get().await.unwrap();
    let id: uuid::Uuid = sub.parse().unwrap();
    db.execute(
        "UPDATE password_credentials SET changed_at = now() - make_interval(days => $2) WHERE account_id = $1",
        &[&id, &days],
    )
    .await
    .unwrap();
}

/// The hasher the tests' configuration uses (`[password]` of config/test.toml: cheap Argon2id
/// parameters), so what the tests store verifies on the nodes they start.
pub fn test_hasher() -> idp::password::Hasher {
    let config: idp::config::PasswordConfig =
        idp::config::Config::figment(&crate::repo_root().join("config"), "test")
            .extract_inner("password")
            .unwrap();
    idp::password::Hasher::new(config, 1, std::time::Duration::from_secs(30)).unwrap()
}

/// Issues a help-desk temporary password to `username`, as `idp users temp-password` does.
pub async fn issue_temporary(app: &TestApp, username: &str) -> String {
    let policy: idp::config::PasswordPolicyConfig =
        idp::config::Config::figment(&crate::repo_root().join("config"), "test")
            .extract_inner("password_policy")
            .unwrap();
    let db = app.deployment.db.get().await.unwrap();
    idp::admin::temp_password::issue(&db, &test_hasher(), &policy, username)
        .await
        .unwrap()
        .password
}

/// The form of the *Questions secrètes* page filled with the first `required` questions of
/// the catalogue and their `answer_for` answers.
pub fn questions_form(csrf: String) -> Vec<(String, String)> {
    let config = catalogue();
    let mut form = vec![("csrf".to_owned(), csrf)];
    for (i, q) in config.catalogue.iter().take(config.required).enumerate() {
        form.push((format!("question_{}", i + 1), q.id.clone()));
        form.push((format!("answer_{}", i + 1), answer_for(&q.id)));
    }
    form
}

/// Fills the new-password form at `path` (`/password/new`, `/recovery/password`); the raw
/// answer, after the hand-off back to the authorization endpoint when there is one.
pub async fn post_new_password(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    new: &str,
    confirm: &str,
) -> reqwest::Response {
    let (csrf, _) = crate::page::form_page(app, browser, path).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("new_password", new),
        ("confirm_password", confirm),
    ];
    let response = browser
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap();
    crate::through_resume(app, browser, response).await
}

/// Gives `username` a new TOTP authenticator (as its enrolment would, with no recovery codes):
/// the secret, from which `idp::second_factor::totp::current_code` reads the code an app shows.
/// A new secret starts with no step used, so each login may use the current code.
pub async fn fresh_totp(app: &TestApp, username: &str) -> Vec<u8> {
    use idp::second_factor::totp;
    let db = app.deployment.db.get().await.unwrap();
    let account = idp::store::accounts::find_by_login_name(&db, &username.to_lowercase())
        .await
        .unwrap()
        .expect("the account")
        .account
        .id;
    let secret = totp::new_secret().unwrap().to_vec();
    let sealed = totp::seal(&app.kek(), &totp::account_context(account), &secret).unwrap();
    idp::store::second_factors::enrol(&db, account, &sealed, 0, &[])
        .await
        .unwrap();
    secret
}

/// Passes the second-factor steps a login answered with, as a person with an authenticator
/// app does: `/mfa` (a code of a fresh authenticator, `fresh_totp`) or `/mfa/enrol` (the
/// secret read from the page, a code, then « Continuer »). Any other answer comes back as is.
pub async fn pass_second_factor(
    app: &TestApp,
    browser: &reqwest::Client,
    response: reqwest::Response,
    username: &str,
) -> reqwest::Response {
    use idp::second_factor::totp;
    let to = if response.status() == 303 {
        crate::location(&response)
    } else {
        return response;
    };
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let url = app.url(path);
        async move { browser.post(url).form(&form).send().await.unwrap() }
    };
    match to.as_str() {
        "/mfa" => {
            let secret = fresh_totp(app, username).await;
            let (csrf, _) = crate::page::form_page(app, browser, "/mfa").await;
            let code = totp::current_code(&secret).unwrap();
            post("/mfa", vec![("csrf", csrf), ("code", code)]).await
        }
        "/mfa/enrol" => {
            let (csrf, html) = crate::page::form_page(app, browser, "/mfa/enrol").await;
            let typed = html
                .split("<code id=\"secret\">")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .expect("the secret on the page")
                .replace(' ', "");
            let secret = totp_rs::Secret::try_from_base32(&typed).unwrap().to_vec();
            let code = totp::current_code(&secret).unwrap();
            let shown = post("/mfa/enrol", vec![("csrf", csrf), ("code", code)]).await;
            assert_eq!(shown.status(), 200, "the recovery codes");
            let html = shown.text().await.unwrap();
            let csrf = crate::hidden_input(&html, "csrf").unwrap();
            post("/mfa/enrol/done", vec![("csrf", csrf)]).await
        }
        _ => response,
    }
}
