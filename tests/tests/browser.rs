//! A real headless Chromium through WebDriver (chromedriver): the login page in French, a
//! sign-in typed at the keyboard, the redirect to a relying party's callback with `code`,
//! `state` and `iss`, and a form that can be used with the keyboard alone.
//!
//! `CHROMEDRIVER` and `CHROMIUM` override the paths (default `/usr/bin/chromedriver` and
//! `/usr/bin/chromium`). Every wait is bounded, so a missing or broken driver fails fast.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use idp::keys::SigningAlg;
use integration_tests::chromium::{Driver, WAIT, bounded, focused, press, type_then_tab};
use integration_tests::rp;
use integration_tests::{PASSWORD, Provider, TestApp, confidential_client, provider, wait_until};

/// A relying party's callback: records each query it receives and says "connecté".
#[derive(Clone, Default)]
struct Callback {
    seen: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

impl Callback {
    /// Serves `GET /callback` on 127.0.0.1; returns the recorder and the callback URL.
    async fn start() -> (Callback, String) {
        let callback = Callback::default();
        let router = axum::Router::new()
            .route("/callback", get(receive))
            .with_state(callback.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://127.0.0.1:{}/callback",
            listener.local_addr().unwrap().port()
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        (callback, url)
    }

    fn received(&self) -> Vec<HashMap<String, String>> {
        self.seen.lock().unwrap().clone()
    }
}

async fn receive(
    State(callback): State<Callback>,
    Query(query): Query<HashMap<String, String>>,
) -> Html<&'static str> {
    callback.seen.lock().unwrap().push(query);
    Html(
        "<!DOCTYPE html><html lang=\"fr-CA\"><head><meta charset=\"utf-8\"><title>connecté</title></head><body><p>connecté</p></body></html>",
    )
}

/// An idp with a confidential client redirecting to a live callback, and a user.
struct Scenario {
    app: TestApp,
    callback: Callback,
    callback_url: String,
    started: rp::Started,
}

async fn scenario(client_id: &str, username: &str) -> Scenario {
    let (callback, callback_url) = Callback::start().await;
    let Provider { app, metadata, .. } = provider(confidential_client(
        client_id,
        &callback_url,
        SigningAlg::Es256,
    ))
    .await;
    app.add_user(username).await;
    let started = rp::start(&metadata, client_id, &callback_url, &["openid", "profile"]);
    Scenario {
        app,
        callback,
        callback_url,
        started,
    }
}

/// A scenario for `client_id` and `username`, and a Chromium on its login page.
async fn on_the_login_page(client_id: &str, username: &str) -> (Scenario, Driver, Client) {
    let s = scenario(client_id, username).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    open_login_page(&browser, &s).await;
    (s, driver, browser)
}

/// Ends the WebDriver session, then chromedriver and its Chromium.
async fn close(browser: Client, driver: Driver) {
    let _ = tokio::time::timeout(WAIT, browser.close()).await;
    drop(driver);
}

/// Opens the authorization URL and waits for the login form.
async fn open_login_page(browser: &Client, s: &Scenario) {
    bounded(
        "navigation to the authorization URL",
        browser.goto(s.started.url.as_str()),
    )
    .await;
    bounded(
        "the login form",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("username")),
    )
    .await;
    let url = browser.current_url().await.unwrap();
    assert!(
        url.as_str().starts_with(&s.app.url("/login?req=")),
        "the browser is on the login page: {url}"
    );
}

/// Waits until the browser is on the relying party's callback, then checks what it received.
async fn assert_signed_in(browser: &Client, s: &Scenario) {
    let mut url = String::new();
    wait_until(WAIT, Duration::from_millis(100), async || {
        url = bounded("reading the current URL", browser.current_url())
            .await
            .to_string();
        // The answer to the login POST itself (an error, or the form again): no redirect is coming.
        let stuck = url == s.app.url("/login");
        url.starts_with(&s.callback_url) || stuck
    })
    .await;
    if !url.starts_with(&s.callback_url) {
        let source = browser.source().await.unwrap_or_default();
        panic!("the browser never reached the callback; it is on {url}:\n{source}");
    }
    let body = bounded("the callback page", browser.find(Locator::Css("body"))).await;
    assert_eq!(body.text().await.unwrap(), "connecté");
    let received = s.callback.received();
    assert_eq!(
        received.len(),
        1,
        "the callback was called once: {received:?}"
    );
    let query = &received[0];
    assert!(
        query.get("code").is_some_and(|c| c.len() >= 43),
        "a code: {query:?}"
    );
    assert_eq!(
        query.get("state"),
        Some(s.started.state.secret()),
        "the state is echoed"
    );
    assert_eq!(query.get("iss"), Some(&s.app.issuer), "iss (RFC 9207)");
    assert!(!query.contains_key("error"), "{query:?}");
}

#[tokio::test]
async fn a_person_signs_in_with_chromium_and_the_relying_party_gets_a_code() {
    let (s, driver, browser) = on_the_login_page("chromium-rp", "IP80001").await;
    let html = bounded("the html element", browser.find(Locator::Css("html"))).await;
    assert_eq!(
        html.attr("lang").await.unwrap().as_deref(),
        Some("fr-CA"),
        "the page is in French"
    );
    let heading = bounded("the heading", browser.find(Locator::Css("h1"))).await;
    assert_eq!(
        heading.text().await.unwrap(),
        "Connexion aux services en ligne"
    );
    let label = bounded(
        "the username label",
        browser.find(Locator::Css("label[for=username]")),
    )
    .await;
    assert_eq!(label.text().await.unwrap(), "Nom d'utilisateur");

    let username = bounded("the username field", browser.find(Locator::Id("username"))).await;
    bounded("typing the username", username.send_keys("ip80001")).await;
    let password = bounded("the password field", browser.find(Locator::Id("password"))).await;
    bounded("typing the password", password.send_keys(PASSWORD)).await;
    let button = bounded(
        "the submit button",
        browser.find(Locator::Css("button[type=submit]")),
    )
    .await;
    assert_eq!(button.text().await.unwrap(), "Se connecter");
    bounded("clicking the button", button.click()).await;

    assert_signed_in(&browser, &s).await;
    close(browser, driver).await;
}

#[tokio::test]
async fn the_login_form_can_be_completed_with_the_keyboard_alone() {
    let (s, driver, browser) = on_the_login_page("keyboard-rp", "IP80002").await;

    // From the top of the page, Tab passes only links (skip link, language) before the form.
    let mut before_form = Vec::new();
    loop {
        press(&browser, Key::Tab).await;
        let now = focused(&browser).await;
        if now.starts_with("input#username") {
            break;
        }
        assert!(
            now.starts_with("a#"),
            "only links come before the username field, got {now} after {before_form:?}"
        );
        before_form.push(now);
        assert!(
            before_form.len() < 4,
            "Tab never reached the username field: {before_form:?}"
        );
    }
    type_then_tab(&browser, "typing the username", "IP80002").await;
    assert_eq!(
        focused(&browser).await,
        "input#password[password]",
        "Tab goes from username to password"
    );
    type_then_tab(&browser, "typing the password", PASSWORD).await;
    assert_eq!(
        focused(&browser).await,
        "button#[submit]",
        "then to the submit button"
    );
    press(&browser, Key::Enter).await;

    assert_signed_in(&browser, &s).await;
    close(browser, driver).await;
}
