//! Every page, in a real headless Chromium, against axe-core's WCAG 2.1 A and AA rules: zero
//! violations, in French and in English, blank and showing its errors. The pages are reached
//! the way a person reaches them (forms filled and submitted), so the states after a POST
//! (refusals, « Consultez vos courriels », confirmations) are checked too.

use fantoccini::Client;
use integration_tests::chromium::{
    Driver, WAIT, arrives_at, axe_violations, bounded, fill, heading, submit,
};
use integration_tests::credentials::give_questions;
use integration_tests::{PASSWORD, TestApp, spawn_app, wait_until};

/// The violations found so far, by page.
#[derive(Default)]
struct Audit(Vec<String>);

impl Audit {
    /// Checks the page the browser shows now.
    async fn check(&mut self, browser: &Client, what: &str) {
        let url = browser.current_url().await.map(|u| u.to_string());
        let found = axe_violations(browser).await;
        if !found.is_empty() {
            self.0
                .push(format!("{what} ({url:?}):\n  {}", found.join("\n  ")));
        }
    }

    /// Opens `path` and checks it, in French then in English.
    async fn page(&mut self, browser: &Client, app: &TestApp, path: &str) {
        for lang in ["fr-CA", "en"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = app.url(&format!("{path}{sep}lang={lang}"));
            bounded(path, browser.goto(&url)).await;
            self.check(browser, &format!("{path} in {lang}")).await;
        }
        // Back to French for what follows.
        bounded(path, browser.goto(&app.url("/login?lang=fr-CA"))).await;
    }

    fn assert_clean(self) {
        assert!(
            self.0.is_empty(),
            "WCAG 2.1 A/AA violations:\n{}",
            self.0.join("\n")
        );
    }
}

#[tokio::test]
async fn the_pages_anyone_reaches_have_no_wcag_violation() {
    let app = spawn_app().await;
    app.add_user("IP80501").await; // no secret questions: the assistance page
    let driver = Driver::start().await;
    let browser = driver.session().await;
    let mut audit = Audit::default();

    audit.page(&browser, &app, "/login").await;
    fill(&browser, "username", "IP80501").await;
    fill(&browser, "password", "pas le bon mot de passe").await;
    submit(&browser).await;
    audit
        .check(&browser, "the login page refusing a password")
        .await;

    audit.page(&browser, &app, "/recovery").await;
    submit(&browser).await;
    audit
        .check(&browser, "the recovery start without a name")
        .await;
    fill(&browser, "username", "IP80501").await;
    submit(&browser).await;
    audit.check(&browser, "the assistance page").await;

    bounded("recovery", browser.goto(&app.url("/recovery"))).await;
    fill(&browser, "username", "IP80599").await;
    submit(&browser).await;
    arrives_at(&browser, &app, "/recovery/questions").await;
    audit.check(&browser, "the (decoy) questions").await;
    for n in 1..=3 {
        fill(&browser, &format!("answer_{n}"), "une réponse au hasard").await;
    }
    submit(&browser).await;
    audit.check(&browser, "the questions refusing a set").await;
    submit(&browser).await;
    audit
        .check(&browser, "the questions with empty answers")
        .await;

    audit.page(&browser, &app, "/username/forgot").await;
    bounded("reminder", browser.goto(&app.url("/username/forgot"))).await;
    fill(&browser, "email", "pas une adresse").await;
    submit(&browser).await;
    audit
        .check(&browser, "the username reminder refusing an address")
        .await;
    fill(&browser, "email", "personne@example.org").await;
    submit(&browser).await;
    audit.check(&browser, "the username reminder sent").await;

    bounded("a page that is not", browser.goto(&app.url("/nulle-part"))).await;
    audit.check(&browser, "the 404 page").await;
    audit.assert_clean();
}

#[tokio::test]
async fn the_signed_in_pages_have_no_wcag_violation() {
    let app = spawn_app().await;
    let sub = app.add_user("IP80502").await;
    give_questions(&app, &sub, 8).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    let mut audit = Audit::default();

    bounded("the login page", browser.goto(&app.url("/login"))).await;
    fill(&browser, "username", "IP80502").await;
    fill(&browser, "password", PASSWORD).await;
    submit(&browser).await;
    arrives_at(&browser, &app, "/").await;
    for path in [
        "/",
        "/account",
        "/account?done=password",
        "/account/password",
        "/account/username",
        "/account/questions",
        "/account/sessions",
        "/account/second-factor",
    ] {
        audit.page(&browser, &app, path).await;
    }

    // « Délégations » with a request waiting, then the grant form refusing a name.
    {
        let db = app.deployment.db.get().await.unwrap();
        let request = idp::store::access_requests::NewRequest {
            given_name: "Julie".into(),
            family_name: "Roy".into(),
            email: "julie.roy@clinique.example".into(),
            phone: "418 555-0199".into(),
            establishment: "Clinique du Parc".into(),
            acts_for: vec!["80502".into()],
            services: vec![],
            lang: "fr-CA".into(),
        };
        idp::store::access_requests::insert(&db, &request, None)
            .await
            .unwrap();
    }
    audit.page(&browser, &app, "/account/delegations").await;
    bounded(
        "delegations",
        browser.goto(&app.url("/account/delegations")),
    )
    .await;
    fill(&browser, "staff", "CE00000").await;
    let grant = bounded(
        "the grant button",
        browser.find(fantoccini::Locator::Css("form[action$='/grant'] button")),
    )
    .await;
    bounded("grant", grant.click()).await;
    bounded(
        "the refusal",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(fantoccini::Locator::Id("staff-error")),
    )
    .await;
    audit
        .check(&browser, "the grant form refusing a name")
        .await;

    bounded("questions", browser.goto(&app.url("/account/questions"))).await;
    // Every question's fieldset stays inside the white card, and the drop-downs use the text
    // fields' font (a drop-down of long questions used to push its fieldset out of the card).
    let layout = r#"
        const card = document.querySelector('main').getBoundingClientRect();
        const inside = [...document.querySelectorAll('fieldset')]
            .every(f => f.getBoundingClientRect().right <= card.right + 0.5);
        const font = e => getComputedStyle(e).fontSize;
        const same = font(document.querySelector('select')) === font(document.querySelector('#answer_1'));
        return [document.querySelectorAll('fieldset').length, inside, same];
    "#;
    let measured = bounded("the layout", browser.execute(layout, vec![])).await;
    assert_eq!(
        measured,
        serde_json::json!([8, true, true]),
        "8 fieldsets inside the card, drop-downs in the fields' font"
    );
    fill(&browser, "answer_1", "123").await;
    submit(&browser).await;
    audit
        .check(&browser, "the questions refusing answers")
        .await;

    bounded("password", browser.goto(&app.url("/account/password"))).await;
    fill(&browser, "current_password", PASSWORD).await;
    fill(&browser, "new_password", "court").await;
    fill(&browser, "confirm_password", "court").await;
    submit(&browser).await;
    audit.check(&browser, "the new password refused").await;

    // The e-mail alias: the form, « Consultez vos courriels » after its POST, the link's
    // button and the confirmation after that POST.
    bounded("username", browser.goto(&app.url("/account/username"))).await;
    fill(&browser, "email", "pas une adresse").await;
    fill(&browser, "current_password", PASSWORD).await;
    submit(&browser).await;
    audit
        .check(&browser, "the username form refusing an address")
        .await;
    bounded("username", browser.goto(&app.url("/account/username"))).await;
    fill(&browser, "email", "marie.access@example.org").await;
    fill(&browser, "current_password", PASSWORD).await;
    submit(&browser).await;
    arrives_at(&browser, &app, "/account/username/sent").await;
    audit.check(&browser, "« Consultez vos courriels »").await;
    let mail = app.smtp.wait_for("marie.access@example.org", 1).await;
    let link = mail[0].links().into_iter().next().expect("a link");
    bounded("the link", browser.goto(&link)).await;
    audit
        .check(&browser, "the link's confirmation button")
        .await;
    submit(&browser).await;
    let confirmed = wait_until(WAIT, std::time::Duration::from_millis(100), async || {
        browser
            .current_url()
            .await
            .is_ok_and(|u| u.path() == "/account/username/verified")
    })
    .await;
    assert!(confirmed, "the confirmation page after the button");
    assert_eq!(heading(&browser).await, "Nom d'utilisateur confirmé");
    audit.check(&browser, "the confirmed username").await;
    audit.assert_clean();
}

#[tokio::test]
async fn the_audit_finds_a_page_that_breaks_the_rules() {
    // A page with no language, an image without text and a field without a label: the
    // audit above is only worth something if it sees these.
    let driver = Driver::start().await;
    let browser = driver.session().await;
    let page = "data:text/html,<html><head><title>x</title></head><body>\
                <img src='x.png'><input type='text'></body></html>";
    bounded("a broken page", browser.goto(page)).await;
    let found = axe_violations(&browser).await;
    for rule in ["html-has-lang", "image-alt", "label"] {
        assert!(
            found.iter().any(|v| v.starts_with(&format!("{rule}:"))),
            "{rule} reported: {found:#?}"
        );
    }
}

#[tokio::test]
async fn a_form_being_sent_says_so_and_cannot_be_sent_twice() {
    let app = spawn_app().await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    bounded("the login page", browser.goto(&app.url("/login"))).await;
    // The first submission is held on the page, as a slow server would hold it; each one
    // records whether something had already stopped it (the page's script, for the second).
    let hold = r#"
        window.submits = [];
        window.addEventListener('submit', e => {
            window.submits.push(e.defaultPrevented);
            if (window.submits.length === 1) { e.preventDefault(); }
        });
        return true;
    "#;
    bounded("holding the form", browser.execute(hold, vec![])).await;
    fill(&browser, "username", "IP80503").await;
    fill(&browser, "password", PASSWORD).await;
    submit(&browser).await;
    submit(&browser).await;
    let submits = bounded(
        "the submissions",
        browser.execute("return window.submits;", vec![]),
    )
    .await;
    assert_eq!(
        submits,
        serde_json::json!([false, true]),
        "the first press sends, the second is stopped while the first is under way"
    );
    let state = r#"
        const form = document.querySelector('form');
        const button = form.querySelector('button[type=submit]');
        return [form.getAttribute('aria-busy'), button.textContent.trim(), button.getAttribute('aria-disabled')];
    "#;
    let seen = bounded("the busy state", browser.execute(state, vec![])).await;
    assert_eq!(
        seen,
        serde_json::json!(["true", "Veuillez patienter…", "true"]),
        "the button says to wait, in French"
    );
}
