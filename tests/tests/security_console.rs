//! The security console (issue 10): a security officer (second factor at sign-in) searches the
//! audit trail by account, agent, kind, days and address, exports it as CSV, and reads the
//! policy in force; bad filters are named at their fields; everyone else gets 403; the trail
//! stays append-only, TRUNCATE included.

use idp::domain::Role;
use integration_tests::login::{log_in, logs_in};
use integration_tests::page::unescape;
use integration_tests::{PASSWORD, TestApp, location, spawn_app};

const OFFICER: &str = "CE27200";
const PROFESSIONAL: &str = "IP27201";

async fn staff_with(app: &TestApp, username: &str, role: Role) {
    app.add_account(username, "staff", None).await;
    let db = app.deployment.db.get().await.unwrap();
    idp::admin::roles::grant(&db, username, role).await.unwrap();
}

async fn signed_in(app: &TestApp, username: &str) -> reqwest::Client {
    let browser = app.new_browser();
    let answer = log_in(app, &browser, "/login", username, PASSWORD).await;
    assert_eq!(location(&answer), "/", "{username} signs in");
    browser
}

async fn get(app: &TestApp, browser: &reqwest::Client, path: &str) -> (u16, String, String) {
    let answer = browser.get(app.url(path)).send().await.unwrap();
    let status = answer.status().as_u16();
    let kind = answer
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, unescape(&answer.text().await.unwrap()))
}

#[tokio::test]
async fn an_officer_searches_and_exports_the_audit_trail_and_reads_the_policy() {
    let app = spawn_app().await;
    staff_with(&app, OFFICER, Role::SecurityOfficer).await;
    app.add_user(PROFESSIONAL).await;
    assert!(!logs_in(&app, PROFESSIONAL, "pas le bon mot de passe").await);
    let browser = signed_in(&app, OFFICER).await;
    let (_, _, home) = get(&app, &browser, "/").await;
    assert!(
        home.contains("href=\"/security\""),
        "the home page links the console"
    );
    let answer = browser.get(app.url("/security")).send().await.unwrap();
    assert_eq!(location(&answer), "/security/audit");

    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (status, _, page) = get(
        &app,
        &browser,
        &format!("/security/audit?account=ip27201&kind=login&from={today}&to={today}&ip=127.0.0.1"),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<td>login</td>") && page.contains("<td>failure</td>"),
        "{page}"
    );
    assert!(page.contains(PROFESSIONAL));
    let (_, _, none) = get(&app, &browser, "/security/audit?kind=login&to=2000-01-01").await;
    assert!(none.contains("Aucun événement ne correspond."), "{none}");

    let (status, kind, csv) =
        get(&app, &browser, "/security/audit?account=IP27201&format=csv").await;
    assert_eq!(status, 200);
    assert_eq!(kind, "text/csv; charset=utf-8");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("at,kind,outcome,account,client,ip,detail")
    );
    assert!(csv.contains(",login,failure,IP27201,"), "{csv}");

    // Bad filters: each named at its field, nothing listed.
    let (status, _, page) = get(
        &app,
        &browser,
        "/security/audit?account=personne&from=2026-13-01&ip=pas-une-ip&kind=DROP%20TABLE",
    )
    .await;
    assert_eq!(status, 400);
    for field in ["account", "from", "ip", "kind"] {
        assert!(
            page.contains(&format!("id=\"{field}-error\"")),
            "{field}: {page}"
        );
    }
    let (status, _, _) = get(&app, &browser, "/security/audit?from=2026-13-01&format=csv").await;
    assert_eq!(status, 400, "no export of a bad filter");

    let (status, _, policy) = get(&app, &browser, "/security/policy").await;
    assert_eq!(status, 200);
    assert!(
        policy.contains("Longueur minimale (caractères)"),
        "{policy}"
    );
    assert!(policy.contains("Exigé pour tout rôle de la Régie"));
}

#[tokio::test]
async fn everyone_else_is_refused_and_the_trail_stays_append_only() {
    let app = spawn_app().await;
    staff_with(&app, "CE27202", Role::HelpdeskAgent).await;
    app.add_user(PROFESSIONAL).await;
    for who in [PROFESSIONAL, "CE27202"] {
        let browser = signed_in(&app, who).await;
        for path in [
            "/security",
            "/security/audit",
            "/security/audit?format=csv",
            "/security/policy",
            "/security/roles",
            "/security/keys",
            "/security/clients",
            "/security/clients/new",
        ] {
            let (status, _, _) = get(&app, &browser, path).await;
            assert_eq!(status, 403, "{who} {path}");
        }
        let (csrf, _) =
            integration_tests::page::form_page(&app, &browser, "/account/password").await;
        let answer = browser
            .post(app.url("/security/keys"))
            .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403, "{who} rotating");
    }
    let anonymous = app.new_browser();
    let answer = anonymous
        .get(app.url("/security/audit"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&answer), "/login");
    let db = app.deployment.db.get().await.unwrap();
    let refused = db.execute("TRUNCATE audit_events", &[]).await;
    assert!(
        refused.is_err_and(|e| format!("{e:?}").contains("append-only")),
        "TRUNCATE is refused"
    );
}

#[tokio::test]
async fn the_console_pages_pass_axe_in_a_real_browser() {
    use integration_tests::chromium::{Driver, axe_violations, bounded, sign_in_with_code};
    let app = spawn_app().await;
    staff_with(&app, OFFICER, Role::SecurityOfficer).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    sign_in_with_code(&browser, &app, OFFICER).await;
    for path in [
        "/security/audit",
        "/security/audit?from=2026-13-01&ip=x",
        "/security/policy",
        "/security/roles",
        "/security/keys",
        "/security/clients",
        "/security/clients/new",
        "/security/audit?lang=en",
    ] {
        bounded(path, browser.goto(&app.url(path))).await;
        let found = axe_violations(&browser).await;
        assert!(found.is_empty(), "{path}: {found:?}");
    }
}

#[tokio::test]
async fn an_officer_grants_and_revokes_roles_each_audited_and_never_their_own() {
    let app = spawn_app().await;
    staff_with(&app, OFFICER, Role::SecurityOfficer).await;
    app.add_account("CE27203", "staff", None).await;
    app.add_user(PROFESSIONAL).await;
    let browser = signed_in(&app, OFFICER).await;
    let change = |username: &'static str, role: &'static str, change: &'static str| {
        let (app, browser) = (&app, &browser);
        async move {
            let (csrf, _) =
                integration_tests::page::form_page(app, browser, "/security/roles").await;
            let form = [
                ("csrf", csrf.as_str()),
                ("username", username),
                ("role", role),
                ("change", change),
            ];
            let answer = browser
                .post(app.url("/security/roles"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            let to = if status == 303 {
                location(&answer)
            } else {
                String::new()
            };
            (status, to, unescape(&answer.text().await.unwrap()))
        }
    };
    let (status, to, _) = change("ce27203", "helpdesk-agent", "grant").await;
    assert_eq!((status, to.as_str()), (303, "/security/roles?done=changed"));
    let (_, to, _) = change("CE27203", "helpdesk-agent", "grant").await;
    assert_eq!(to, "/security/roles?done=unchanged");
    let (_, _, page) = get(&app, &browser, "/security/roles").await;
    assert!(
        page.contains("<td>CE27203</td>") && page.contains("helpdesk-agent"),
        "{page}"
    );

    // The role asks for a second factor at the holder's next sign-in.
    let holder = app.new_browser();
    let (_, login) = integration_tests::page::form_page(&app, &holder, "/login").await;
    let answer =
        integration_tests::login::post_form(&app, &holder, &login, "CE27203", PASSWORD).await;
    assert_eq!(location(&answer), "/mfa/enrol");

    // Refusals at their fields, nothing changed; never the officer's own roles.
    for (username, role, change_to, field) in [
        (PROFESSIONAL, "helpdesk-agent", "grant", "username-error"),
        ("CE00000", "helpdesk-agent", "grant", "username-error"),
        ("CE27203", "root", "grant", "role-error"),
        ("CE27203", "helpdesk-agent", "delete", "change-error"),
    ] {
        let (status, _, page) = change(username, role, change_to).await;
        assert_eq!(status, 422, "{username} {role} {change_to}");
        assert!(page.contains(&format!("id=\"{field}\"")), "{field}: {page}");
    }
    let (status, _, _) = change(OFFICER, "security-officer", "revoke").await;
    assert_eq!(status, 403, "not their own");

    let (_, to, _) = change("CE27203", "helpdesk-agent", "revoke").await;
    assert_eq!(to, "/security/roles?done=changed");
    let db = app.deployment.db.get().await.unwrap();
    let held: i64 = db
        .query_one("SELECT count(*) FROM account_roles", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(held, 1, "only the officer's own role is left");
    let officer_id = {
        let row = db
            .query_one("SELECT id FROM accounts WHERE username = $1", &[&OFFICER])
            .await
            .unwrap();
        row.get::<_, uuid::Uuid>(0).to_string()
    };
    let audited: Vec<serde_json::Value> = db
        .query(
            "SELECT detail FROM audit_events WHERE kind IN ('role_granted', 'role_revoked') \
             AND detail->>'by' = 'security_console' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert!(
        audited
            .iter()
            .all(|d| d["officer"] == officer_id.as_str() && d["role"] == "helpdesk-agent")
    );
}

#[tokio::test]
async fn an_officer_rotates_the_signing_keys_by_the_command_lines_rules() {
    use integration_tests::page::form_page;
    let app = spawn_app().await;
    staff_with(&app, OFFICER, Role::SecurityOfficer).await;
    let browser = signed_in(&app, OFFICER).await;
    let keys = "SELECT count(*) FROM signing_keys";
    let count = |sql: &'static str| {
        let app = &app;
        async move {
            let db = app.deployment.db.get().await.unwrap();
            db.query_one(sql, &[]).await.unwrap().get::<_, i64>(0)
        }
    };
    let before = count(keys).await;
    let (status, _, page) = get(&app, &browser, "/security/keys").await;
    assert_eq!(status, 200);
    assert!(page.contains("Active") && page.contains("ES256"), "{page}");

    // Not confirmed: nothing.
    let (csrf, _) = form_page(&app, &browser, "/security/keys").await;
    let answer = browser
        .post(app.url("/security/keys"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    assert!(unescape(&answer.text().await.unwrap()).contains("Cochez la case"));
    assert_eq!(count(keys).await, before);

    // Confirmed: one new key per algorithm (the tests publish with no delay: it signs at once),
    // the old ones still published until their tokens expire; audited.
    let answer = browser
        .post(app.url("/security/keys"))
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&answer), "/security/keys?done=rotated");
    let after = count(keys).await;
    assert!(after > before, "{before} -> {after}");
    let (_, _, page) = get(&app, &browser, "/security/keys?done=rotated").await;
    assert!(page.contains("Les nouvelles clés sont publiées"));
    assert!(page.contains("En retrait (vérifie encore)"), "{page}");
    assert_eq!(
        count(
            "SELECT count(*) FROM audit_events WHERE kind = 'signing_keys_rotated' \
             AND detail->>'officer' = 'CE27200'"
        )
        .await,
        1
    );
}

/// A client_credentials grant for `id` with `secret`: the status.
async fn client_credentials(app: &TestApp, id: &str, secret: &str) -> u16 {
    app.http
        .post(app.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "api")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The secret shown once on the page.
fn shown_secret(html: &str) -> String {
    html.split("<code id=\"client-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret on the page")
        .to_owned()
}

#[tokio::test]
async fn an_officer_registers_edits_rotates_and_disables_a_relying_party() {
    use integration_tests::page::form_page;
    let app = spawn_app().await;
    staff_with(&app, OFFICER, Role::SecurityOfficer).await;
    let browser = signed_in(&app, OFFICER).await;
    let post = |path: &'static str, fields: Vec<(&'static str, &'static str)>| {
        let browser = browser.clone();
        let app = &app;
        async move {
            let (csrf, _) = form_page(app, &browser, "/security/clients/new").await;
            let mut form = vec![("csrf", csrf)];
            form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
            browser
                .post(app.url(path))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let registration = |redirect: &'static str| {
        vec![
            ("id", "facturation"),
            ("name", "Facturation en ligne"),
            ("grant.authorization_code", "1"),
            ("grant.client_credentials", "1"),
            ("redirect_uris", redirect),
            ("scopes", "openid profile api"),
            ("id_token_alg", "ES256"),
        ]
    };

    // Refused at its field: an http redirect URI to another host.
    let refused = post(
        "/security/clients/new",
        registration("http://rp.example/cb"),
    )
    .await;
    assert_eq!(refused.status(), 422);
    let page = unescape(&refused.text().await.unwrap());
    assert!(page.contains("L'adresse doit utiliser https"), "{page}");
    assert!(page.contains("id=\"redirect_uri-error\""));
    // Registered: the secret shown once works.
    let done = post(
        "/security/clients/new",
        registration("https://rp.example/cb"),
    )
    .await;
    assert_eq!(done.status(), 200);
    let secret = shown_secret(&done.text().await.unwrap());
    assert_eq!(client_credentials(&app, "facturation", &secret).await, 200);
    let taken = post(
        "/security/clients/new",
        registration("https://rp.example/cb"),
    )
    .await;
    assert_eq!(taken.status(), 422, "the id is taken");

    // Edited: a bad change names its field and changes nothing; a good one lands.
    let path = "/security/clients/facturation";
    let (status, _, page) = get(&app, &browser, path).await;
    assert_eq!(status, 200);
    assert!(page.contains("Facturation en ligne") && page.contains("https://rp.example/cb"));
    let bad = post(
        path,
        vec![
            ("name", ""),
            ("grant.client_credentials", "1"),
            ("scopes", "api"),
            ("id_token_alg", "ES256"),
        ],
    )
    .await;
    assert_eq!(bad.status(), 422);
    let good = post(
        path,
        vec![
            ("name", "Facturation"),
            ("grant.client_credentials", "1"),
            ("scopes", "api"),
            ("id_token_alg", "RS256"),
        ],
    )
    .await;
    assert_eq!(location(&good), "/security/clients?done=updated");
    {
        let db = app.deployment.db.get().await.unwrap();
        let row = db
            .query_one(
                "SELECT name, grant_types, id_token_alg FROM clients WHERE id = 'facturation'",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), "Facturation");
        assert_eq!(
            row.get::<_, Vec<String>>(1),
            vec!["client_credentials".to_owned()]
        );
        assert_eq!(row.get::<_, String>(2), "RS256");
    }

    // A new secret: the old one stops at once.
    let rotated = post("/security/clients/facturation/secret", vec![]).await;
    assert_eq!(rotated.status(), 200);
    let new_secret = shown_secret(&rotated.text().await.unwrap());
    assert_ne!(new_secret, secret);
    assert_eq!(client_credentials(&app, "facturation", &secret).await, 401);
    assert_eq!(
        client_credentials(&app, "facturation", &new_secret).await,
        200
    );

    // Disabled: unknown to the token endpoint until enabled again.
    let disabled = post(
        "/security/clients/facturation/state",
        vec![("change", "disable")],
    )
    .await;
    assert_eq!(location(&disabled), "/security/clients?done=disabled");
    assert_eq!(
        client_credentials(&app, "facturation", &new_secret).await,
        401
    );
    let (_, _, list) = get(&app, &browser, "/security/clients").await;
    assert!(list.contains("Désactivé"), "{list}");
    let bad_change = post(
        "/security/clients/facturation/state",
        vec![("change", "supprimer")],
    )
    .await;
    assert_eq!(bad_change.status(), 400);
    let enabled = post(
        "/security/clients/facturation/state",
        vec![("change", "enable")],
    )
    .await;
    assert_eq!(location(&enabled), "/security/clients?done=enabled");
    assert_eq!(
        client_credentials(&app, "facturation", &new_secret).await,
        200
    );
    // Unknown clients.
    let (status, _, _) = get(&app, &browser, "/security/clients/inconnu").await;
    assert_eq!(status, 404);

    let db = app.deployment.db.get().await.unwrap();
    let kinds: Vec<String> = db
        .query(
            "SELECT kind FROM audit_events WHERE client_id = 'facturation' \
             AND detail->>'officer' = 'CE27200' ORDER BY at, id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        kinds,
        [
            "client_registered",
            "client_updated",
            "client_secret_rotated",
            "client_disabled",
            "client_enabled"
        ]
    );
}
