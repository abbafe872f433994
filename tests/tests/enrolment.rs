//! Enrolment by NIP against a real Postgres: a NIP serves once, is refused for another
//! professional's number exactly like a wrong one, dies after the configured wrong tries (each
//! counted even when the caller gives up), says "expired" only to whoever typed it right, and
//! cannot be used once re-issued.

use idp::config::{EnrolmentConfig, Secret32};
use idp::enrolment::nip::{self, CheckError, NipRefused};
use idp::store::professionals::{self, Professional};
use integration_tests::spawn_app;

fn professional(number: &str, given: &str) -> Professional {
    Professional {
        number: number.into(),
        given_name: given.into(),
        family_name: "Tremblay".into(),
        profession: "medecin".into(),
        address: "1 rue Principale".into(),
        city: "Québec".into(),
        province: "QC".into(),
        postal_code: "G1A 1A1".into(),
        email: None,
        birth_date: None,
    }
}

fn refused(outcome: Result<nip::Redeemable, CheckError>) -> Option<NipRefused> {
    match outcome {
        Err(CheckError::Refused(why)) => Some(why),
        Err(CheckError::Store(e)) => panic!("the store failed: {e}"),
        Ok(_) => None,
    }
}

#[tokio::test]
async fn a_nip_serves_once_is_refused_for_another_number_and_dies_after_the_wrong_tries() {
    let app = spawn_app().await;
    let pool = &app.deployment.db;
    let key = Secret32::new(Box::new([9u8; 32]));
    let rules = EnrolmentConfig {
        nip_valid_days: 60,
        nip_max_tries: 5,
        ask_birth_date: false,
    };
    let issued = {
        let mut db = pool.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        let people = vec![professional("12345", "Marie"), professional("23456", "Luc")];
        for p in &people {
            professionals::upsert(&tx, p).await.unwrap();
        }
        let issued = nip::issue(&tx, &key, rules, people).await.unwrap();
        tx.commit().await.unwrap();
        issued
    };
    let marie = issued[0].nip.printed();
    let luc = issued[1].nip.printed();

    // Marie's NIP with Luc's number: refused like any wrong NIP (and counted for Luc).
    assert_eq!(
        refused(nip::check(pool, &key, rules, "23456", &marie, None, None).await),
        Some(NipRefused::Wrong)
    );
    // An unknown number: the same answer.
    assert_eq!(
        refused(nip::check(pool, &key, rules, "99999", &marie, None, None).await),
        Some(NipRefused::Wrong)
    );
    // Right (typed in lower case with spaces): redeemable, then used once in the account's
    // transaction; afterwards refused.
    let typed = marie.to_lowercase().replace('-', " ");
    let ok = nip::check(pool, &key, rules, "12345", &typed, None, None)
        .await
        .unwrap();
    {
        let mut db = pool.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        nip::consume(&tx, "12345", ok).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(
        refused(nip::check(pool, &key, rules, "12345", &marie, None, None).await),
        Some(NipRefused::Wrong),
        "used once"
    );
    {
        let db = pool.get().await.unwrap();
        let enrolled: bool = db
            .query_one(
                "SELECT enrolled_at IS NOT NULL FROM professionals WHERE number = '12345'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(enrolled);
        let clear: i64 = db
            .query_one(
                "SELECT count(*) FROM nips WHERE position($1::bytea in nip_hash) > 0",
                &[&marie.replace('-', "").as_bytes()],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(clear, 0, "never stored in clear");
    }

    // Luc: one wrong try already (Marie's NIP); three more, then the fifth kills it: his
    // right NIP is then refused like a wrong one.
    for _ in 0..4 {
        assert_eq!(
            refused(nip::check(pool, &key, rules, "23456", "AAAAA-AAAAA", None, None).await),
            Some(NipRefused::Wrong)
        );
    }
    assert_eq!(
        refused(nip::check(pool, &key, rules, "23456", &luc, None, None).await),
        Some(NipRefused::Wrong),
        "dead after five wrong tries"
    );

    // A new NIP for Luc: expired, it says so only to the right NIP; re-issued between the
    // check and the account, it cannot be used.
    let again = {
        let mut db = pool.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        let issued = nip::issue(&tx, &key, rules, vec![professional("23456", "Luc")])
            .await
            .unwrap();
        tx.execute(
            "UPDATE nips SET expires_at = now() - interval '1 day' WHERE professional_number = '23456' AND used_at IS NULL AND invalidated_at IS NULL",
            &[],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        issued[0].nip.printed()
    };
    assert_eq!(
        refused(nip::check(pool, &key, rules, "23456", &again, None, None).await),
        Some(NipRefused::Expired)
    );
    assert_eq!(
        refused(nip::check(pool, &key, rules, "23456", "BBBBB-BBBBB", None, None).await),
        Some(NipRefused::Wrong),
        "a wrong guess does not learn that it expired"
    );
    let fresh = {
        let mut db = pool.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        let issued = nip::issue(&tx, &key, rules, vec![professional("23456", "Luc")])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        issued[0].nip.printed()
    };
    let ok = nip::check(pool, &key, rules, "23456", &fresh, None, None)
        .await
        .unwrap();
    {
        let mut db = pool.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        nip::issue(&tx, &key, rules, vec![professional("23456", "Luc")])
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let mut db = pool.get().await.unwrap();
    let tx = db.transaction().await.unwrap();
    assert!(
        matches!(
            nip::consume(&tx, "23456", ok).await,
            Err(CheckError::Refused(NipRefused::Wrong))
        ),
        "re-issued meanwhile: the checked NIP is dead"
    );
}

/// A professional in the register of `app` with a NIP: the NIP as printed.
async fn with_nip(app: &integration_tests::TestApp, number: &str) -> String {
    born_with_nip(app, number, None).await
}

/// A professional born on `birth_date` (when given) with a NIP: the NIP as printed.
async fn born_with_nip(
    app: &integration_tests::TestApp,
    number: &str,
    birth_date: Option<chrono::NaiveDate>,
) -> String {
    let key = app.client_secret_key();
    let mut db = app.deployment.db.get().await.unwrap();
    let tx = db.transaction().await.unwrap();
    let mut p = professional(number, "Hélène");
    p.email = Some(format!("p{number}@example.org"));
    p.birth_date = birth_date;
    professionals::upsert(&tx, &p).await.unwrap();
    let rules = EnrolmentConfig {
        nip_valid_days: 60,
        nip_max_tries: 5,
        ask_birth_date: false,
    };
    let issued = nip::issue(&tx, &key, rules, vec![p]).await.unwrap();
    tx.commit().await.unwrap();
    issued[0].nip.printed()
}

#[tokio::test]
async fn a_new_professional_enrols_in_french_with_the_nip_sees_the_username_and_sets_password_and_questions()
 {
    use fantoccini::Locator;
    use integration_tests::chromium::{
        Driver, WAIT, answer_questions, arrives_at, axe_violations, bounded, fill, heading, submit,
    };

    let app = spawn_app().await;
    let printed = with_nip(&app, "31416").await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    // From the login page's link.
    bounded("the login page", browser.goto(&app.url("/login"))).await;
    let link = bounded(
        "the enrolment link",
        browser.find(Locator::LinkText(
            "Nouveau professionnel : inscription avec votre NIP",
        )),
    )
    .await;
    bounded("follow it", link.click()).await;
    arrives_at(&browser, &app, "/enrol").await;
    assert_eq!(heading(&browser).await, "Inscription aux services en ligne");
    assert!(axe_violations(&browser).await.is_empty());

    // A wrong NIP: the error tied to its field, in French; the number kept.
    fill(&browser, "number", "31416").await;
    fill(&browser, "nip", "AAAAA-AAAAA").await;
    submit(&browser).await;
    let error = bounded(
        "the NIP's error",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("nip-error")),
    )
    .await;
    assert!(
        bounded("its text", error.text())
            .await
            .contains("ne correspondent pas")
    );
    let violations = axe_violations(&browser).await;
    assert!(violations.is_empty(), "{violations:?}");

    // The right one (typed in lower case): the account is made, the username shown.
    let nip_field = bounded("the NIP field", browser.find(Locator::Id("nip"))).await;
    bounded("cleared", nip_field.clear()).await;
    fill(&browser, "nip", &printed.to_lowercase()).await;
    submit(&browser).await;
    let username = bounded(
        "the username",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("assigned-username")),
    )
    .await;
    assert_eq!(bounded("its text", username.text()).await, "IP31416");
    assert_eq!(heading(&browser).await, "Votre compte est créé");
    // A reload shows the same page (a GET: the NIP is never posted again).
    bounded("reload", browser.refresh()).await;
    arrives_at(&browser, &app, "/enrol/welcome").await;
    let again = bounded(
        "the username again",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("assigned-username")),
    )
    .await;
    assert_eq!(bounded("its text", again.text()).await, "IP31416");
    assert!(axe_violations(&browser).await.is_empty());
    let go = bounded(
        "continue",
        browser.find(Locator::LinkText("Choisir mon mot de passe")),
    )
    .await;
    bounded("follow it", go.click()).await;

    arrives_at(&browser, &app, "/password/new").await;
    fill(&browser, "new_password", "la neige tombe sur le fleuve").await;
    fill(&browser, "confirm_password", "la neige tombe sur le fleuve").await;
    submit(&browser).await;
    arrives_at(&browser, &app, "/questions").await;
    answer_questions(&browser).await;
    arrives_at(&browser, &app, "/").await;
    let page = bounded("the home page", browser.find(Locator::Css("main"))).await;
    assert!(
        bounded("its text", page.text())
            .await
            .contains("Hélène Tremblay"),
        "signed in as the register names them"
    );
    let _ = browser.close().await;

    // The register's address gets a welcome, not a "password changed" notice.
    let mail = app.smtp.wait_for("p31416@example.org", 1).await;
    assert_eq!(
        mail[0].subject,
        "Bienvenue aux services en ligne de la Régie"
    );

    // The NIP served once: the same NIP again is refused like a wrong one; the welcome page
    // is nobody else's.
    let http = app.new_browser();
    let stranger = http.get(app.url("/enrol/welcome")).send().await.unwrap();
    assert!(
        stranger.url().path() == "/login" || stranger.status().is_redirection(),
        "{}",
        stranger.url()
    );
    let form = http
        .get(app.url("/enrol"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = integration_tests::page::hidden_input(&form, "csrf").unwrap();
    let again = http
        .post(app.url("/enrol"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("number", "31416"),
            ("nip", printed.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("ne correspondent pas"));
}

#[tokio::test]
async fn with_the_birth_date_asked_a_wrong_date_counts_as_a_wrong_nip() {
    use figment::providers::Serialized;
    let app = integration_tests::spawn_app_with(|f| {
        f.merge(Serialized::default("enrolment.ask_birth_date", true))
    })
    .await;
    let born = chrono::NaiveDate::from_ymd_opt(1975, 3, 14);
    let nip = born_with_nip(&app, "34567", born).await;
    let browser = app.new_browser();
    let (csrf, html) = integration_tests::page::form_page(&app, &browser, "/enrol").await;
    assert!(html.contains("id=\"birth_date\""), "the field is asked");
    let enrol = |birth: &'static str| {
        let (browser, csrf, nip, app) = (&browser, &csrf, &nip, &app);
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("number", "34567"),
                ("nip", nip.as_str()),
                ("birth_date", birth),
            ];
            let answer = browser
                .post(app.url("/enrol"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            let location = answer
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            let text = integration_tests::page::unescape(&answer.text().await.unwrap());
            (status, location, text)
        }
    };
    let tries = async || -> i32 {
        let db = app.deployment.db.get().await.unwrap();
        db.query_one(
            "SELECT wrong_tries FROM nips WHERE professional_number = '34567'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    };
    for bad in ["", "14/03/1975", "2999-01-01", "1975-02-30"] {
        let (status, _, text) = enrol(bad).await;
        assert_eq!(status, 400, "{bad:?}");
        assert!(text.contains("id=\"birth_date-error\""), "{bad:?}: {text}");
    }
    assert_eq!(tries().await, 0, "a malformed date is not a try");
    let (status, _, text) = enrol("1975-03-15").await;
    assert_eq!(status, 400);
    assert!(
        text.contains("Le NIP ou la date de naissance ne correspond pas"),
        "{text}"
    );
    assert_eq!(tries().await, 1, "a wrong date is a wrong try");
    let (status, location, _) = enrol("1975-03-14").await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/enrol/welcome"));
}
