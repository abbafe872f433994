//! The help-desk console (issue 10): an agent (helpdesk-agent role, signed in with a second
//! factor) finds an account, records how the caller's identity was established and why, and
//! acts — unlock, a temporary password read to the caller, the username e-mailed, disable —
//! each audited with the agent. Anyone else is refused every console URL and action (403,
//! nothing changed); forms without the checklist, the reason or the CSRF token change nothing.

use idp::domain::Role;
use integration_tests::login::{log_in, logs_in};
use integration_tests::page::{form_page, unescape};
use integration_tests::{PASSWORD, TestApp, location, spawn_app};
use serde_json::Value;

const AGENT: &str = "CE27100";
const CALLER: &str = "IP27101";

async fn agent(app: &TestApp, username: &str) {
    app.add_account(username, "staff", None).await;
    let db = app.deployment.db.get().await.unwrap();
    idp::admin::roles::grant(&db, username, Role::HelpdeskAgent)
        .await
        .unwrap();
}

/// A browser signed in as `username` (an agent sets up its second factor on the way).
async fn signed_in(app: &TestApp, username: &str) -> reqwest::Client {
    let browser = app.new_browser();
    let answer = log_in(app, &browser, "/login", username, PASSWORD).await;
    assert_eq!(location(&answer), "/", "{username} signs in");
    browser
}

async fn account_id(app: &TestApp, username: &str) -> String {
    let db = app.deployment.db.get().await.unwrap();
    let id: uuid::Uuid = db
        .query_one("SELECT id FROM accounts WHERE username = $1", &[&username])
        .await
        .unwrap()
        .get(0);
    id.to_string()
}

/// Posts the action form of account `id`.
async fn act(
    app: &TestApp,
    browser: &reqwest::Client,
    id: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let (csrf, _) = form_page(app, browser, &format!("/helpdesk/accounts/{id}")).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let answer = browser
        .post(app.url(&format!("/helpdesk/accounts/{id}/act")))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, unescape(&answer.text().await.unwrap()))
}

const CHECKED: [(&str, &str); 2] = [
    ("check.professional_number", "1"),
    ("check.postal_address", "1"),
];

fn with_checks<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = CHECKED.to_vec();
    form.extend_from_slice(extra);
    form
}

async fn actions(app: &TestApp) -> Vec<Value> {
    let db = app.deployment.db.get().await.unwrap();
    db.query(
        "SELECT detail FROM audit_events WHERE kind = 'helpdesk_action' ORDER BY id",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[tokio::test]
async fn an_agent_finds_an_account_and_acts_each_action_audited_with_the_agent() {
    let app = spawn_app().await;
    agent(&app, AGENT).await;
    app.add_user(CALLER).await;
    let caller = account_id(&app, CALLER).await;
    let agent_id = account_id(&app, AGENT).await;
    {
        let db = app.deployment.db.get().await.unwrap();
        db.execute(
            "UPDATE accounts SET locked_at = now() WHERE username = $1",
            &[&CALLER],
        )
        .await
        .unwrap();
    }
    let browser = signed_in(&app, AGENT).await;
    let (_, home) = form_page(&app, &browser, "/").await;
    assert!(
        home.contains("href=\"/helpdesk\""),
        "the home page links the console"
    );

    // Found by number, by address, by the start of a name.
    for q in ["27101", "27 101", "ip27101@example.org", "tremb", "IP271"] {
        let (_, html) = form_page(&app, &browser, &format!("/helpdesk?q={q}")).await;
        assert!(
            html.contains(&format!("href=\"/helpdesk/accounts/{caller}\"")),
            "{q}: {html}"
        );
    }
    let (_, html) = form_page(&app, &browser, "/helpdesk?q=zzzz").await;
    assert!(unescape(&html).contains("Aucun compte ne correspond."));
    for hostile in ["%07abc", "x", &"a".repeat(101)] {
        let answer = browser
            .get(app.url(&format!("/helpdesk?q={hostile}")))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{hostile}");
    }

    let (_, page) = form_page(&app, &browser, &format!("/helpdesk/accounts/{caller}")).await;
    let page = unescape(&page);
    assert!(
        page.contains("Verrouillé (attend le centre d'assistance)"),
        "{page}"
    );
    assert!(!page.contains("$argon2"), "no secret on the page");

    // Without the checklist and the reason: refused at the fields, nothing changed.
    let (status, text) = act(
        &app,
        &browser,
        &caller,
        &[("check.postal_address", "1"), ("action", "unlock")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        text.contains("id=\"checks-error\"") && text.contains("id=\"reason-error\""),
        "{text}"
    );
    assert!(actions(&app).await.is_empty());

    let (status, text) = act(
        &app,
        &browser,
        &caller,
        &with_checks(&[("reason", "locked_out"), ("action", "unlock")]),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("Le compte est déverrouillé"), "{text}");
    assert!(logs_in(&app, CALLER, PASSWORD).await, "unlocked");

    let (status, text) = act(
        &app,
        &browser,
        &caller,
        &with_checks(&[
            ("reason", "forgotten_password"),
            ("action", "temporary_password"),
        ]),
    )
    .await;
    assert_eq!(status, 200);
    let temporary = text
        .split("<code id=\"temporary-password\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the temporary password, shown once")
        .to_owned();
    let fresh = app.new_browser();
    let answer = log_in(&app, &fresh, "/login", CALLER, &temporary).await;
    assert_eq!(
        location(&answer),
        "/password/new",
        "the caller signs in with it"
    );

    let (status, _) = act(
        &app,
        &browser,
        &caller,
        &with_checks(&[
            ("reason", "forgotten_username"),
            ("action", "send_username"),
        ]),
    )
    .await;
    assert_eq!(status, 200);
    let mail = app.smtp.wait_for("ip27101@example.org", 1).await;
    assert!(
        mail.iter()
            .any(|m| m.subject == "Votre nom d'utilisateur" && m.text.contains(CALLER))
    );

    let (status, _) = act(
        &app,
        &browser,
        &caller,
        &with_checks(&[("reason", "suspected_fraud"), ("action", "disable")]),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!logs_in(&app, CALLER, PASSWORD).await, "disabled");

    let audited = actions(&app).await;
    assert_eq!(audited.len(), 4, "{audited:?}");
    for detail in &audited {
        assert_eq!(detail["agent"], agent_id.as_str(), "{detail}");
        assert_eq!(
            detail["checks"],
            serde_json::json!(["postal_address", "professional_number"])
        );
    }
    assert_eq!(audited[0]["reason"], "locked_out");
    assert_eq!(audited[1]["action"], "temporary_password");
    let raw: String = {
        let db = app.deployment.db.get().await.unwrap();
        db.query_one(
            "SELECT string_agg(detail::text, ' ') FROM audit_events",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    };
    assert!(
        !raw.contains(&temporary),
        "the audit never holds the password"
    );
}

#[tokio::test]
async fn every_console_url_and_action_is_refused_to_everyone_else_and_nothing_changes() {
    let app = spawn_app().await;
    agent(&app, AGENT).await;
    agent(&app, "CE27102").await;
    app.add_user(CALLER).await;
    app.add_account("CE27103", "staff", None).await;
    let caller = account_id(&app, CALLER).await;
    let other_agent = account_id(&app, "CE27102").await;
    let own = account_id(&app, AGENT).await;
    let unlock = with_checks(&[("reason", "locked_out"), ("action", "disable")]);
    registered_with_nip(&app, "27150").await;

    // Not signed in: the login page.
    let anonymous = app.new_browser();
    for path in [
        "/helpdesk".to_owned(),
        format!("/helpdesk/accounts/{caller}"),
    ] {
        let answer = anonymous.get(app.url(&path)).send().await.unwrap();
        assert_eq!(location(&answer), "/login", "{path}");
    }
    // A professional and a staff account without the role: 403 everywhere.
    for who in [CALLER, "CE27103"] {
        let browser = signed_in(&app, who).await;
        let (csrf, _) = form_page(&app, &browser, "/account/password").await;
        for path in [
            "/helpdesk".to_owned(),
            "/helpdesk?q=ip".to_owned(),
            format!("/helpdesk/accounts/{caller}"),
            "/helpdesk/professionals/27150".to_owned(),
            "/helpdesk/access-form".to_owned(),
        ] {
            let answer = browser.get(app.url(&path)).send().await.unwrap();
            assert_eq!(answer.status(), 403, "{who} {path}");
        }
        for (path, fields) in [
            (
                "/helpdesk/professionals/27150/resend-nip",
                with_checks(&[("reason", "new_nip")]),
            ),
            (
                "/helpdesk/access-form",
                vec![
                    ("name", "Julie Roy"),
                    ("email", "julie@clinique.example"),
                    ("reason", "access_form"),
                ],
            ),
        ] {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend_from_slice(&fields);
            let answer = browser
                .post(app.url(path))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 403, "{who} {path}");
        }
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(&unlock);
        let answer = browser
            .post(app.url(&format!("/helpdesk/accounts/{caller}/act")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403, "{who} acting");
    }
    // The agent: not on its own account, not on another agent's; a forged token; unknown ids.
    let browser = signed_in(&app, AGENT).await;
    let (csrf, _) = form_page(&app, &browser, &format!("/helpdesk/accounts/{caller}")).await;
    for (target, status) in [
        (own.as_str(), 403),
        (other_agent.as_str(), 403),
        ("not-an-id", 404),
        ("00000000-0000-4000-8000-000000000000", 404),
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(&unlock);
        let answer = browser
            .post(app.url(&format!("/helpdesk/accounts/{target}/act")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{target}");
    }
    let mut forged = vec![("csrf", "forged")];
    forged.extend_from_slice(&unlock);
    let answer = browser
        .post(app.url(&format!("/helpdesk/accounts/{caller}/act")))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_client_error());
    assert!(actions(&app).await.is_empty(), "nothing was done");
    let disabled: i64 = {
        let db = app.deployment.db.get().await.unwrap();
        db.query_one(
            "SELECT count(*) FROM accounts WHERE disabled_at IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    };
    assert_eq!(disabled, 0);

    // Idle past `consoles.idle_secs` (15 minutes): the console ends the session.
    {
        let db = app.deployment.db.get().await.unwrap();
        let id: uuid::Uuid = own.parse().unwrap();
        db.execute(
            "UPDATE sso_sessions SET last_seen_at = now() - interval '20 minutes' \
             WHERE account_id = $1",
            &[&id],
        )
        .await
        .unwrap();
    }
    let answer = browser.get(app.url("/helpdesk")).send().await.unwrap();
    assert_eq!(location(&answer), "/login");
    let answer = browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(location(&answer), "/login", "the session is over");
}

#[tokio::test]
async fn an_agent_unlocks_an_account_in_a_real_browser_in_french() {
    use fantoccini::Locator;
    use integration_tests::chromium::{
        Driver, WAIT, axe_violations, bounded, fill, heading, sign_in_with_code, submit,
    };
    let app = spawn_app().await;
    agent(&app, AGENT).await;
    app.add_user(CALLER).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    sign_in_with_code(&browser, &app, AGENT).await;
    bounded("console", browser.goto(&app.url("/helpdesk"))).await;
    assert_eq!(heading(&browser).await, "Console du centre d'assistance");
    fill(&browser, "q", "27101").await;
    submit(&browser).await;
    let link = bounded(
        "the result",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::LinkText(CALLER)),
    )
    .await;
    let found = axe_violations(&browser).await;
    assert!(found.is_empty(), "search: {found:?}");
    bounded("open it", link.click()).await;
    bounded(
        "the account",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("checks")),
    )
    .await;
    let found = axe_violations(&browser).await;
    assert!(found.is_empty(), "account: {found:?}");
    submit(&browser).await;
    bounded(
        "the problems",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("checks-error")),
    )
    .await;
    let found = axe_violations(&browser).await;
    assert!(found.is_empty(), "refusal: {found:?}");
    for css in [
        "input[name='check.professional_number']",
        "input[name='check.date_of_birth']",
        "input[value='unlock']",
    ] {
        let input = bounded(css, browser.find(Locator::Css(css))).await;
        bounded("tick", input.click()).await;
    }
    let reason = bounded("reason", browser.find(Locator::Id("reason"))).await;
    bounded("choose", reason.select_by_value("locked_out")).await;
    submit(&browser).await;
    bounded(
        "done",
        browser
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("[role=status]")),
    )
    .await;
    assert_eq!(heading(&browser).await, "Action effectuée");
    let found = axe_violations(&browser).await;
    assert!(found.is_empty(), "done: {found:?}");
    assert_eq!(actions(&app).await.len(), 1);

    // The register's page, the access form and a pending access request, with their refusals.
    registered_with_nip(&app, "27150").await;
    let request = {
        let db = app.deployment.db.get().await.unwrap();
        let request = idp::store::access_requests::NewRequest {
            given_name: "Julie".into(),
            family_name: "Roy".into(),
            email: "julie@clinique.example".into(),
            phone: "418 555-0199".into(),
            establishment: "Clinique du Parc".into(),
            acts_for: vec!["27101".into()],
            services: vec![],
            lang: "fr-CA".into(),
        };
        idp::store::access_requests::insert(&db, &request, None)
            .await
            .unwrap()
    };
    bounded(
        "the queue",
        browser.goto(&app.url("/helpdesk/access-requests")),
    )
    .await;
    let found = axe_violations(&browser).await;
    assert!(found.is_empty(), "queue: {found:?}");
    let request_path = format!("/helpdesk/access-requests/{request}");
    for (path, field) in [
        ("/helpdesk/professionals/27150", "checks-error"),
        ("/helpdesk/access-form", "email-error"),
        (request_path.as_str(), "decision-error"),
    ] {
        bounded(path, browser.goto(&app.url(path))).await;
        let found = axe_violations(&browser).await;
        assert!(found.is_empty(), "{path}: {found:?}");
        submit(&browser).await;
        bounded(
            "the problems",
            browser.wait().at_most(WAIT).for_element(Locator::Id(field)),
        )
        .await;
        let found = axe_violations(&browser).await;
        assert!(found.is_empty(), "{path} refused: {found:?}");
    }
}

/// A professional of the register (not enrolled) with a NIP issued: the NIP as printed.
async fn registered_with_nip(app: &TestApp, number: &str) -> String {
    use idp::config::EnrolmentConfig;
    use idp::store::professionals::{self, Professional};
    let mut db = app.deployment.db.get().await.unwrap();
    let tx = db.transaction().await.unwrap();
    let p = Professional {
        number: number.into(),
        given_name: "Hélène".into(),
        family_name: "Gagnon".into(),
        profession: "pharmacien".into(),
        address: "12 rue des Érables".into(),
        city: "Rimouski".into(),
        province: "QC".into(),
        postal_code: "G5L 1A1".into(),
        email: None,
        birth_date: None,
    };
    professionals::upsert(&tx, &p).await.unwrap();
    let rules = EnrolmentConfig {
        nip_valid_days: 60,
        nip_max_tries: 5,
        ask_birth_date: false,
    };
    let issued = idp::enrolment::nip::issue(&tx, &app.client_secret_key(), rules, vec![p])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    issued[0].nip.printed()
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let db = app.deployment.db.get().await.unwrap();
    db.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn an_agent_resends_a_nip_by_mail_and_the_access_form_by_e_mail_each_audited() {
    let app = spawn_app().await;
    agent(&app, AGENT).await;
    let nip = registered_with_nip(&app, "27150").await;
    let browser = signed_in(&app, AGENT).await;

    // Found in the register by number and by family name, never with the NIP.
    for q in ["27150", "gagn"] {
        let (_, page) = form_page(&app, &browser, &format!("/helpdesk?q={q}")).await;
        let page = unescape(&page);
        assert!(
            page.contains("/helpdesk/professionals/27150"),
            "{q}: {page}"
        );
        assert!(page.contains("Non inscrit"), "{q}");
    }
    let path = "/helpdesk/professionals/27150";
    let (_, page) = form_page(&app, &browser, path).await;
    let page = unescape(&page);
    assert!(page.contains("Actif : émis le"), "{page}");
    assert!(page.contains("12 rue des Érables, Rimouski QC G5L 1A1"));
    assert!(
        !page.contains(&nip) && !page.contains(&nip.replace('-', "")),
        "no NIP shown"
    );
    let live = "SELECT count(*) FROM nips WHERE used_at IS NULL AND invalidated_at IS NULL";
    assert_eq!(scalar(&app, live).await, 1);

    // Without the checklist or the reason: nothing happens.
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let browser = browser.clone();
        let app = &app;
        async move {
            let (csrf, _) = form_page(app, &browser, path).await;
            let mut form = vec![("csrf", csrf)];
            form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
            let answer = browser
                .post(app.url(&format!("{path}/resend-nip")))
                .form(&form)
                .send()
                .await
                .unwrap();
            (
                answer.status().as_u16(),
                unescape(&answer.text().await.unwrap()),
            )
        }
    };
    let (status, page) = post(vec![("reason", "new_nip")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Cochez les éléments d'identité"));
    let (status, _) = post(with_checks(&[("reason", "pas-un-motif")])).await;
    assert_eq!(status, 422);
    assert_eq!(scalar(&app, live).await, 1, "still live");

    // Done: the NIP is cancelled at once and a letter asked for the next print run.
    let (status, page) = post(with_checks(&[("reason", "new_nip")])).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Le NIP actuel est annulé"));
    assert_eq!(scalar(&app, live).await, 0, "the old NIP serves no more");
    let audited = actions(&app).await;
    let last = audited.last().unwrap();
    assert_eq!(last["action"], "resend_nip");
    assert_eq!(last["professional"], "27150");
    assert_eq!(last["invalidated"], true);
    assert_eq!(last["agent_username"], AGENT);
    // The print run (`idp nip issue --all-new`) takes the request, and answers it.
    {
        let mut db = app.deployment.db.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        let awaiting = idp::store::professionals::awaiting_a_nip(&tx)
            .await
            .unwrap();
        assert_eq!(awaiting.len(), 1);
        assert_eq!(awaiting[0].number, "27150");
        let rules = idp::config::EnrolmentConfig {
            nip_valid_days: 60,
            nip_max_tries: 5,
            ask_birth_date: false,
        };
        idp::enrolment::nip::issue(&tx, &app.client_secret_key(), rules, awaiting)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(scalar(&app, live).await, 1, "a new NIP");
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM professionals WHERE nip_requested_at IS NOT NULL"
        )
        .await,
        0
    );

    // Unknown and malformed numbers; an enrolled professional gets no NIP.
    for unknown in ["99999", "pas-un-numero"] {
        let answer = browser
            .get(app.url(&format!("/helpdesk/professionals/{unknown}")))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "{unknown}");
    }
    {
        let db = app.deployment.db.get().await.unwrap();
        db.execute("UPDATE professionals SET enrolled_at = now()", &[])
            .await
            .unwrap();
    }
    let (_, page) = form_page(&app, &browser, path).await;
    assert!(
        !page.contains("resend-nip"),
        "no form for an enrolled professional"
    );
    let (status, _) = post(with_checks(&[("reason", "new_nip")])).await;
    assert_eq!(status, 400);
    assert_eq!(scalar(&app, live).await, 1, "the NIP stays as it was");

    // The access form: a bad address changes nothing; a right one sends the link.
    let form_path = "/helpdesk/access-form";
    let send = |fields: Vec<(&'static str, &'static str)>| {
        let browser = browser.clone();
        let app = &app;
        async move {
            let (csrf, _) = form_page(app, &browser, form_path).await;
            let mut form = vec![("csrf", csrf)];
            form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
            let answer = browser
                .post(app.url(form_path))
                .form(&form)
                .send()
                .await
                .unwrap();
            (
                answer.status().as_u16(),
                unescape(&answer.text().await.unwrap()),
            )
        }
    };
    let (status, page) = send(vec![
        ("name", "Julie Roy"),
        ("email", "pas une adresse"),
        ("reason", "access_form"),
    ])
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("Inscrivez une adresse courriel valide"));
    let (status, _) = send(vec![
        ("name", ""),
        ("email", "julie@clinique.example"),
        ("reason", "access_form"),
    ])
    .await;
    assert_eq!(status, 422);
    let (status, page) = send(vec![
        ("name", "Julie Roy"),
        ("email", "Julie@Clinique.example"),
        ("reason", "access_form"),
    ])
    .await;
    assert_eq!(status, 200, "{page}");
    let mail = app.smtp.wait_for("julie@clinique.example", 1).await;
    assert!(
        mail[0]
            .links()
            .iter()
            .any(|l| l == &app.url("/access-request")),
        "{:?}",
        mail[0].links()
    );
    let audited = actions(&app).await;
    let last = audited.last().unwrap();
    assert_eq!(last["action"], "send_access_form");
    assert_eq!(last["to"], "julie@clinique.example");
    assert_eq!(
        app.smtp.messages_to("julie@clinique.example").await.len(),
        1,
        "one e-mail only"
    );
}
