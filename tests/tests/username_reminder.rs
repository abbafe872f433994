//! « Nom d'utilisateur oublié? » (issue 10): the username of every active account whose address
//! is proven is e-mailed to that address; the answer is the same page for any address, known
//! or not; bad input is refused at the field; sends are bounded per address.

use integration_tests::page::{form_page, unescape};
use integration_tests::{TestApp, spawn_app};

async fn ask(app: &TestApp, browser: &reqwest::Client, email: &str) -> (u16, String) {
    let (csrf, _) = form_page(app, browser, "/username/forgot").await;
    let response = browser
        .post(app.url("/username/forgot"))
        .form(&[("csrf", csrf.as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, unescape(&response.text().await.unwrap()))
}

async fn prove(app: &TestApp, username: &str) {
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE accounts SET email_verified = true WHERE username = $1",
        &[&username],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_proven_address_receives_its_username_and_any_other_address_sees_the_same_page() {
    let app = spawn_app().await;
    app.add_user("IP70101").await;
    prove(&app, "IP70101").await;
    app.add_user("IP70102").await; // address never proven
    let browser = app.new_browser();

    // The login page links to the form.
    let (_, login) = form_page(&app, &browser, "/login").await;
    assert!(
        unescape(&login).contains("<a href=\"/username/forgot\">Nom d'utilisateur oublié?</a>")
    );

    let (status, known) = ask(&app, &browser, "IP70101@Example.org").await;
    assert_eq!(status, 200);
    assert!(known.contains("Consultez vos courriels"), "{known}");
    let mail = app.smtp.wait_for("IP70101@Example.org", 1).await;
    assert_eq!(mail[0].subject, "Votre nom d'utilisateur");
    assert!(mail[0].text.contains("IP70101"), "{}", mail[0].text);

    // Unknown and unproven addresses: the same page (but for the address), no e-mail.
    for other in ["personne@example.org", "ip70102@example.org"] {
        let (status, page) = ask(&app, &browser, other).await;
        assert_eq!(status, 200);
        assert_eq!(
            page.replace(other, "X"),
            known.replace("IP70101@Example.org", "X"),
            "the page never tells whether an address is known"
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        app.smtp.messages().await.len(),
        1,
        "only the proven address got mail"
    );

    let db = app.deployment.db.get().await.unwrap();
    let outcomes: Vec<String> = db
        .query(
            "SELECT outcome FROM audit_events WHERE kind = 'username_reminder' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(outcomes, ["sent", "unknown_address", "unknown_address"]);
}

#[tokio::test]
async fn bad_addresses_are_refused_at_the_field_and_one_address_gets_three_a_day() {
    let app = spawn_app().await;
    let browser = app.new_browser();
    for (email, message) in [
        ("", "Inscrivez votre adresse courriel."),
        ("pas@@valide", "n'est pas valide"),
        ("a\u{7}b@example.org", "n'est pas valide"),
    ] {
        let (status, page) = ask(&app, &browser, email).await;
        assert_eq!(status, 400, "{email:?}");
        assert!(page.contains(message), "{email:?}: {page}");
        assert!(page.contains("id=\"email-error\"") && page.contains("aria-invalid=\"true\""));
    }
    let long = format!("{}@example.org", "a".repeat(5000));
    let (status, page) = ask(&app, &browser, &long).await;
    assert_eq!(status, 400);
    assert!(
        !page.contains(&"a".repeat(300)),
        "a huge value is not echoed"
    );

    let forged = browser
        .post(app.url("/username/forgot"))
        .form(&[("csrf", "forged"), ("email", "x@example.org")])
        .send()
        .await
        .unwrap();
    assert!(forged.status().is_client_error());

    for expected in [200, 200, 200, 429] {
        let (status, _) = ask(&app, &browser, "julie@example.org").await;
        assert_eq!(status, expected);
    }
}
