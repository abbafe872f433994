//! « Mot de passe oublié? » in a real headless Chromium, in French: from the link at the bottom
//! of the login page, the username, three of the eight secret questions, a new password, the
//! success page — then a sign-in with the new password. And the e-mailed link of policy
//! `recovery.email_proof`: opening it shows a button, pressing it opens the questions.

use fantoccini::Locator;
use figment::providers::Serialized;
use integration_tests::chromium::{Driver, arrives_at, bounded, fill, heading, submit};
use integration_tests::credentials::{answer_for, catalogue, give_questions};
use integration_tests::{spawn_app, spawn_app_with};

const NEW_PASSWORD: &str = "les outardes reviennent en avril";

#[tokio::test]
async fn a_forgotten_password_is_replaced_in_french_with_three_secret_questions() {
    let app = spawn_app().await;
    let sub = app.add_user("IP80201").await;
    give_questions(&app, &sub, 8).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;

    bounded("the login page", browser.goto(&app.url("/login"))).await;
    let link = bounded(
        "the forgotten-password link",
        browser.find(Locator::LinkText("Mot de passe oublié?")),
    )
    .await;
    bounded("following it", link.click()).await;
    arrives_at(&browser, &app, "/recovery").await;
    fill(&browser, "username", "IP80201").await;
    submit(&browser).await;

    arrives_at(&browser, &app, "/recovery/questions").await;
    let catalogue = catalogue();
    let mut asked = 0;
    for n in 1..=8 {
        let Ok(label) = browser
            .find(Locator::Css(&format!("label[for=answer_{n}]")))
            .await
        else {
            break;
        };
        let text = bounded("the question", label.text()).await;
        let question = catalogue
            .catalogue
            .iter()
            .find(|q| text.contains(&q.fr))
            .unwrap_or_else(|| panic!("a question of the catalogue, in French: {text}"));
        // Typed in capitals without accents: the answers are normalised.
        let typed = answer_for(&question.id)
            .to_uppercase()
            .replace('É', "E")
            .replace('À', "A");
        fill(&browser, &format!("answer_{n}"), &typed).await;
        asked += 1;
    }
    assert_eq!(asked, 3, "three of the eight questions are asked");
    submit(&browser).await;

    arrives_at(&browser, &app, "/recovery/password").await;
    fill(&browser, "new_password", NEW_PASSWORD).await;
    fill(&browser, "confirm_password", NEW_PASSWORD).await;
    submit(&browser).await;

    arrives_at(&browser, &app, "/recovery/done").await;
    assert_eq!(heading(&browser).await, "Mot de passe changé");
    let login = bounded(
        "the sign-in link",
        browser.find(Locator::LinkText("Se connecter aux services en ligne")),
    )
    .await;
    bounded("following it", login.click()).await;
    fill(&browser, "username", "IP80201").await;
    fill(&browser, "password", NEW_PASSWORD).await;
    submit(&browser).await;
    arrives_at(&browser, &app, "/").await;
    let page = bounded("the home page", browser.find(Locator::Css("main"))).await;
    assert!(
        bounded("its text", page.text())
            .await
            .contains("Marie Tremblay")
    );
    let _ = browser.close().await;
}

#[tokio::test]
async fn an_emailed_recovery_link_opens_a_button_that_leads_to_the_questions() {
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default(
            "recovery.email_proof",
            "when_available",
        ))
    })
    .await;
    let sub = app.add_user("IP80202").await;
    give_questions(&app, &sub, 8).await;
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE accounts SET email_verified = true WHERE username = 'IP80202'",
        &[],
    )
    .await
    .unwrap();
    let driver = Driver::start().await;
    let browser = driver.session().await;

    bounded("the recovery page", browser.goto(&app.url("/recovery"))).await;
    fill(&browser, "username", "IP80202").await;
    submit(&browser).await;
    let mails = app.smtp.wait_for("ip80202@example.org", 1).await;
    let link = mails[0].links()[0].clone();

    // Opened from the e-mail: a page with one button, nothing spent yet.
    bounded("the e-mailed link", browser.goto(&link)).await;
    assert_eq!(heading(&browser).await, "Poursuivre votre demande");
    let button = bounded(
        "the button",
        browser.find(Locator::Css("button[type=submit]")),
    )
    .await;
    assert_eq!(bounded("its text", button.text()).await, "Continuer");
    bounded("pressing it", button.click()).await;
    arrives_at(&browser, &app, "/recovery/questions").await;
    assert_eq!(heading(&browser).await, "Questions secrètes");
    let _ = browser.close().await;
}
