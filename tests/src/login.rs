//! The login page driven over HTTP as a browser would: follow an authorization request to the
//! form, read its `csrf` and `req` fields, and post it back.

use crate::{TestApp, hidden_input, location};

/// Follows `authorize_url` with a browser that has no session: checks the 303 to the login page
/// and returns its relative location (`/login?req=…`).
pub async fn page_location(browser: &reqwest::Client, authorize_url: &str) -> String {
    let response = browser.get(authorize_url).send().await.unwrap();
    assert_eq!(
        response.status(),
        303,
        "an unknown browser is sent to the login page"
    );
    let login = location(&response);
    assert!(
        login.starts_with("/login?req="),
        "sent to the login page, got {login}"
    );
    login
}

/// Posts the login form shown in `html` (its `csrf` and `req` fields) as `username`; the
/// answer, after the hand-off back to the authorization endpoint when there is one.
pub async fn submit_form(
    app: &TestApp,
    browser: &reqwest::Client,
    html: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let response = post_form(app, browser, html, username, password).await;
    let response = crate::credentials::pass_second_factor(app, browser, response, username).await;
    crate::through_resume(app, browser, response).await
}

/// Posts the login form shown in `html` as `username`: the login's own answer (its cookies,
/// its redirect), without following the hand-off.
pub async fn post_form(
    app: &TestApp,
    browser: &reqwest::Client,
    html: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let form = [
        ("csrf", hidden_input(html, "csrf").expect("csrf field")),
        ("req", hidden_input(html, "req").unwrap_or_default()),
        ("username", username.to_owned()),
        ("password", password.to_owned()),
    ];
    browser
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Opens the login page at `login_location` (relative) and submits it; the raw answer.
pub async fn log_in(
    app: &TestApp,
    browser: &reqwest::Client,
    login_location: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let page = browser.get(app.url(login_location)).send().await.unwrap();
    assert_eq!(page.status(), 200, "the login page at {login_location}");
    let html = page.text().await.unwrap();
    submit_form(app, browser, &html, username, password).await
}

/// Follows an authorization URL to the login page and signs in; the raw answer of the login.
pub async fn sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    authorize_url: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let login = page_location(browser, authorize_url).await;
    log_in(app, browser, &login, username, password).await
}

/// Whether a direct login at the provider with this name and password succeeds (303 home) or
/// is refused (the page again, 200); anything else fails the test.
pub async fn logs_in(app: &TestApp, username: &str, password: &str) -> bool {
    let answer = log_in(app, &app.new_browser(), "/login", username, password).await;
    match answer.status().as_u16() {
        303 => true,
        200 => false,
        other => panic!("a login answers 303 or the page again, got {other}"),
    }
}
