//! The public access-request form in a real headless Chromium, in French: sent blank, every
//! error is tied to its field (axe: no violation); filled, the request is stored, the page
//! says what comes next and a confirmation e-mail (content-free of anything but the request)
//! reaches the requester. Hostile forms are refused with nothing stored.

use fantoccini::Locator;
use idp::keys::SigningAlg;
use integration_tests::chromium::{
    Driver, WAIT, arrives_at, axe_violations, bounded, fill, heading, submit,
};
use integration_tests::{CALLBACK, confidential_client, spawn_app};

async fn requests(app: &integration_tests::TestApp) -> i64 {
    let db = app.deployment.db.get().await.unwrap();
    db.query_one("SELECT count(*) FROM access_requests", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_clinic_employee_requests_access_in_french_and_gets_a_confirmation() {
    let app = spawn_app().await;
    let mut portal = confidential_client("messaging", CALLBACK, SigningAlg::Es256);
    portal.name = "Messagerie sécurisée".into();
    portal.home_uri = Some("https://messagerie.example/".into());
    app.register_client(portal).await;

    let driver = Driver::start().await;
    let browser = driver.session().await;
    bounded("the form", browser.goto(&app.url("/access-request"))).await;
    assert_eq!(
        heading(&browser).await,
        "Demande d'accès aux services en ligne"
    );
    assert!(axe_violations(&browser).await.is_empty());

    // Sent blank: every error listed and tied to its field.
    submit(&browser).await;
    bounded(
        "the errors",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("form-errors")),
    )
    .await;
    for field in ["given_name", "email", "acts_for", "services"] {
        bounded(field, browser.find(Locator::Id(&format!("{field}-error")))).await;
    }
    let violations = axe_violations(&browser).await;
    assert!(violations.is_empty(), "{violations:?}");
    assert_eq!(requests(&app).await, 0);

    fill(&browser, "given_name", "Julie").await;
    fill(&browser, "family_name", "Roy").await;
    fill(&browser, "email", "julie.roy@clinique.example").await;
    fill(&browser, "phone", "418 555-0199").await;
    fill(&browser, "establishment", "Clinique du Parc").await;
    fill(&browser, "acts_for", "IP12345, 23456").await;
    let service = bounded(
        "the service",
        browser.find(Locator::Css("input[name='service.messaging']")),
    )
    .await;
    bounded("tick it", service.click()).await;
    submit(&browser).await;
    arrives_at(&browser, &app, "/access-request").await;
    let sent = bounded(
        "the confirmation",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("[role=status]")),
    )
    .await;
    assert!(
        bounded("its text", sent.text())
            .await
            .contains("julie.roy@clinique.example")
    );
    assert_eq!(heading(&browser).await, "Demande envoyée");
    assert!(axe_violations(&browser).await.is_empty());
    let _ = browser.close().await;

    assert_eq!(requests(&app).await, 1);
    let db = app.deployment.db.get().await.unwrap();
    let row = db
        .query_one("SELECT acts_for, services, state FROM access_requests", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Vec<String>>(0), vec!["12345", "23456"]);
    assert_eq!(row.get::<_, Vec<String>>(1), vec!["messaging"]);
    assert_eq!(row.get::<_, String>(2), "pending");
    let mail = app.smtp.wait_for("julie.roy@clinique.example", 1).await;
    assert_eq!(mail[0].subject, "Nous avons reçu votre demande d'accès");
    assert!(
        mail[0].text.contains("Bonjour Julie Roy"),
        "{}",
        mail[0].text
    );
}

#[tokio::test]
async fn hostile_access_requests_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let mut portal = confidential_client("messaging", CALLBACK, SigningAlg::Es256);
    portal.home_uri = Some("https://messagerie.example/".into());
    app.register_client(portal).await;
    let browser = app.new_browser();
    let page = browser
        .get(app.url("/access-request"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = integration_tests::page::hidden_input(&page, "csrf").unwrap();
    let base = [
        ("given_name", "Julie"),
        ("family_name", "Roy"),
        ("email", "julie.roy@clinique.example"),
        ("phone", "418 555-0199"),
        ("establishment", "Clinique"),
        ("acts_for", "12345"),
    ];
    let many: String = (0..21).map(|i| format!("{},", 10000 + i)).collect();
    // (fields added or replaced, status, the error's element id)
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("service.unknown-client", "1")], 400, "services-error"),
        (
            vec![("service.messaging", "1"), ("acts_for", many.as_str())],
            400,
            "acts_for-error",
        ),
        (
            vec![
                ("service.messaging", "1"),
                ("establishment", "Clinique\u{1b}[31m"),
            ],
            400,
            "establishment-error",
        ),
        (
            vec![("service.messaging", "1"), ("email", "julie@@x")],
            400,
            "email-error",
        ),
    ];
    for (extra, status, marker) in cases {
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend(
            base.iter()
                .copied()
                .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k)),
        );
        form.extend(extra.iter().copied());
        let response = browser
            .post(app.url("/access-request"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{extra:?}");
        let text = response.text().await.unwrap();
        assert!(text.contains(marker), "{extra:?}: {text}");
    }
    let mut forged: Vec<(&str, &str)> = vec![("csrf", "forged"), ("service.messaging", "1")];
    forged.extend(base.iter().copied());
    let response = browser
        .post(app.url("/access-request"))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_eq!(requests(&app).await, 0, "nothing stored");

    // One address receives at most three requests' e-mails a day: the fourth is refused (429)
    // and not stored.
    let mut valid: Vec<(&str, &str)> = vec![("csrf", csrf.as_str()), ("service.messaging", "1")];
    valid.extend(base.iter().copied());
    for expected in [200, 200, 200, 429] {
        let response = browser
            .post(app.url("/access-request"))
            .form(&valid)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected);
    }
    assert_eq!(requests(&app).await, 3);
}
