//! *Paramètres du compte* in a real headless Chromium: in French, from the home page's menu to
//! a new password typed with the keyboard alone (Tab, typing, Enter) and its confirmation; and
//! the menu in English once the language link is followed.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use integration_tests::chromium::{
    Driver, WAIT, arrives_at, bounded, fill, focused, press, type_then_tab,
};
use integration_tests::login::log_in;
use integration_tests::{PASSWORD, TestApp, spawn_app};

const NEW_PASSWORD: &str = "la neige tombe sur Rimouski";

/// Signs in at the provider's own login page; the browser lands on the home page.
async fn sign_in(browser: &Client, app: &TestApp, username: &str) {
    bounded("the login page", browser.goto(&app.url("/login"))).await;
    fill(browser, "username", username).await;
    fill(browser, "password", PASSWORD).await;
    let button = bounded(
        "the submit button",
        browser.find(Locator::Css("button[type=submit]")),
    )
    .await;
    bounded("submitting", button.click()).await;
    arrives_at(browser, app, "/").await;
}

/// The text of the first element matching `css`.
async fn text_of(browser: &Client, css: &str) -> String {
    let element = bounded(css, browser.find(Locator::Css(css))).await;
    bounded(css, element.text()).await
}

/// Follows the link whose text is `text`.
async fn follow_link(browser: &Client, text: &str) {
    let link = bounded(text, browser.find(Locator::LinkText(text))).await;
    bounded(text, link.click()).await;
}

#[tokio::test]
async fn the_password_is_changed_in_french_from_the_account_settings_with_the_keyboard() {
    let app = spawn_app().await;
    app.add_user("IP80301").await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    sign_in(&browser, &app, "IP80301").await;

    let menu = text_of(&browser, "nav").await;
    assert!(menu.contains("Marie Tremblay"), "{menu}");
    assert!(menu.contains("Paramètres du compte"), "{menu}");
    assert!(menu.contains("Changer de mot de passe"), "{menu}");
    assert!(menu.contains("Modifier mes questions secrètes"), "{menu}");
    follow_link(&browser, "Paramètres du compte").await;
    arrives_at(&browser, &app, "/account").await;
    assert_eq!(text_of(&browser, "h1").await, "Paramètres du compte");
    follow_link(&browser, "Changer de mot de passe").await;
    arrives_at(&browser, &app, "/account/password").await;
    assert_eq!(text_of(&browser, "h1").await, "Changer de mot de passe");

    // From the top of the page, Tab passes only links before the current-password field.
    let mut before_form = Vec::new();
    loop {
        press(&browser, Key::Tab).await;
        let now = focused(&browser).await;
        if now == "input#current_password[password]" {
            break;
        }
        assert!(
            now.starts_with("a#"),
            "only links before the form, got {now}"
        );
        before_form.push(now);
        assert!(
            before_form.len() < 4,
            "Tab never reached the form: {before_form:?}"
        );
    }
    type_then_tab(&browser, "the current password", PASSWORD).await;
    assert_eq!(focused(&browser).await, "input#new_password[password]");
    type_then_tab(&browser, "the new password", NEW_PASSWORD).await;
    assert_eq!(focused(&browser).await, "input#confirm_password[password]");
    bounded("the confirmation", browser.active_element())
        .await
        .send_keys(NEW_PASSWORD)
        .await
        .unwrap();
    press(&browser, Key::Enter).await;

    arrives_at(&browser, &app, "/account?done=password").await;
    let status = text_of(&browser, "[role=status]").await;
    assert!(
        status.contains("Votre mot de passe a été modifié."),
        "the confirmation: {status}"
    );
    let signed_in = log_in(&app, &app.new_browser(), "/login", "IP80301", NEW_PASSWORD).await;
    assert_eq!(signed_in.status(), 303, "the new password works");
    let _ = tokio::time::timeout(WAIT, browser.close()).await;
}

#[tokio::test]
async fn the_account_settings_menu_is_shown_in_english_after_the_language_link() {
    let app = spawn_app().await;
    app.add_user("IP80302").await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    sign_in(&browser, &app, "IP80302").await;

    follow_link(&browser, "English").await;
    let lang = bounded(
        "the page's language",
        browser.execute("return document.documentElement.lang;", vec![]),
    )
    .await;
    assert_eq!(lang.as_str(), Some("en"));
    let menu = text_of(&browser, "nav").await;
    for label in [
        "Account settings",
        "Change username",
        "Change password",
        "Modify my secret questions",
        "Active sessions",
        "Sign out",
    ] {
        assert!(menu.contains(label), "{label} in the menu: {menu}");
    }
    assert_eq!(text_of(&browser, "h1").await, "Your online services");
    follow_link(&browser, "Active sessions").await;
    arrives_at(&browser, &app, "/account/sessions").await;
    assert_eq!(text_of(&browser, "h1").await, "Active sessions");
    assert!(text_of(&browser, "main").await.contains("This session"));
    let _ = tokio::time::timeout(WAIT, browser.close()).await;
}
