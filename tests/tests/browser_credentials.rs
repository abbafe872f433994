//! The expired-password path in a real headless Chromium, in French: login → *Questions
//! secrètes* (eight questions picked from the lists, answers typed) → new password → the
//! online-services home page, signed in.

use fantoccini::Locator;
use integration_tests::chromium::{
    Driver, WAIT, answer_questions, arrives_at, bounded, fill, heading, submit,
};
use integration_tests::credentials::age_password;
use integration_tests::{PASSWORD, spawn_app};

#[tokio::test]
async fn an_expired_password_is_replaced_in_french_through_the_questions_page() {
    let app = spawn_app().await;
    let sub = app.add_user("IP80101").await;
    age_password(&app, &sub, 400).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;

    bounded("the login page", browser.goto(&app.url("/login"))).await;
    fill(&browser, "username", "IP80101").await;
    fill(&browser, "password", PASSWORD).await;
    submit(&browser).await;

    arrives_at(&browser, &app, "/questions").await;
    assert_eq!(heading(&browser).await, "Questions secrètes");
    answer_questions(&browser).await;

    arrives_at(&browser, &app, "/password/new").await;
    assert_eq!(heading(&browser).await, "Nouveau mot de passe");
    let intro = bounded("the page", browser.find(Locator::Css("main"))).await;
    assert!(
        bounded("its text", intro.text()).await.contains("expiré"),
        "the page says why"
    );
    // A refused password first: the reason is shown next to the field, in French.
    fill(&browser, "new_password", "password1234").await;
    fill(&browser, "confirm_password", "password1234").await;
    submit(&browser).await;
    let error = bounded(
        "the field error",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("new_password-error")),
    )
    .await;
    assert!(
        bounded("its text", error.text())
            .await
            .contains("trop courant")
    );
    let field = bounded("the field", browser.find(Locator::Id("new_password"))).await;
    assert_eq!(
        bounded("aria-invalid", field.attr("aria-invalid"))
            .await
            .as_deref(),
        Some("true")
    );

    fill(&browser, "new_password", "le fleuve gèle en janvier").await;
    fill(&browser, "confirm_password", "le fleuve gèle en janvier").await;
    submit(&browser).await;
    arrives_at(&browser, &app, "/").await;
    let page = bounded("the home page", browser.find(Locator::Css("main"))).await;
    assert!(
        bounded("its text", page.text())
            .await
            .contains("Marie Tremblay"),
        "signed in: the home page greets the user"
    );
    let _ = browser.close().await;
}
