//! Access requests decided by the professionals they name, and the delegations a professional
//! gives and takes back from « Délégations et demandes d'accès » (issue 10): the approval opens
//! a staff account whose credentials go out split (username on the approver's page, temporary
//! password to the requester's address, forgotten by the outbox once delivered); its first
//! sign-in forces a new password and the secret questions; its token carries the delegation,
//! which a revocation removes at the next refresh. Every refusal changes nothing.

use std::time::Duration;

use idp::keys::SigningAlg;
use integration_tests::credentials::{post_new_password, questions_form};
use integration_tests::jwt::claims;
use integration_tests::login::{log_in, logs_in};
use integration_tests::oauth::{self, field};
use integration_tests::page::{form_page, unescape};
use integration_tests::{
    CALLBACK, PASSWORD, Provider, TestApp, confidential_client, hidden_input, location, provider,
    rp, wait_until,
};
use serde_json::Value;

const CLIENT: &str = "messaging";
const PROFESSIONAL: &str = "IP27182";
const SECOND: &str = "IP16180";
const REQUESTER: &str = "julie.roy@clinique.example";
const NEW_PASSWORD: &str = "une toute nouvelle phrase de passe";

async fn messaging_provider() -> Provider {
    let mut portal = confidential_client(CLIENT, CALLBACK, SigningAlg::Es256);
    portal.name = "Messagerie sécurisée".into();
    portal.home_uri = Some("https://messagerie.example/".into());
    provider(portal).await
}

/// Sends the public form naming `numbers` for the messaging service.
async fn request_access(app: &TestApp, numbers: &str) {
    let browser = app.new_browser();
    let (csrf, _) = form_page(app, &browser, "/access-request").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("given_name", "Julie"),
        ("family_name", "Roy"),
        ("email", REQUESTER),
        ("phone", "418 555-0199"),
        ("establishment", "Clinique du Parc"),
        ("acts_for", numbers),
        ("service.messaging", "1"),
    ];
    let response = browser
        .post(app.url("/access-request"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// A browser signed in at the provider as `username`.
async fn signed_in(app: &TestApp, username: &str, password: &str) -> reqwest::Client {
    let browser = app.new_browser();
    let answer = log_in(app, &browser, "/login", username, password).await;
    assert_eq!(answer.status(), 303, "{username} signs in");
    browser
}

async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    browser.post(app.url(path)).form(form).send().await.unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.deployment.db.get().await.unwrap();
    db.query_one(sql, &[]).await.unwrap().get(0)
}
/// Signs `username` in at the messaging client: the token response.
async fn tokens_for(p: &Provider, username: &str, password: &str) -> Value {
    rp::tokens_for(p, CLIENT, username, password).await
}

#[tokio::test]
async fn an_approved_request_opens_a_staff_account_whose_token_carries_the_delegation_until_revoked()
 {
    let p = messaging_provider().await;
    let app = &p.app;
    let professional = app.add_user(PROFESSIONAL).await;
    app.add_user(SECOND).await;
    request_access(app, "27182, 16180").await;

    // The professional finds the request on their page, in French.
    let browser = signed_in(app, PROFESSIONAL, PASSWORD).await;
    let (csrf, html) = form_page(app, &browser, "/account/delegations").await;
    let html = unescape(&html);
    assert!(html.contains("Demandes d'accès à traiter"), "{html}");
    assert!(html.contains("Julie Roy") && html.contains("Clinique du Parc"));
    assert!(
        html.contains("Messagerie sécurisée"),
        "the service by its name"
    );
    let request = hidden_input(&html, "request").expect("the request's buttons");

    let answer = post(
        app,
        &browser,
        "/account/delegations/approve",
        &[("csrf", &csrf), ("request", &request)],
    )
    .await;
    assert_eq!(answer.status(), 303);
    let shown = location(&answer);
    assert_eq!(shown, format!("/account/delegations?approved={request}"));
    let (_, html) = form_page(app, &browser, &shown).await;
    let username = html
        .split("CE")
        .nth(1)
        .map(|rest| {
            format!(
                "CE{}",
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            )
        })
        .expect("the username to pass on");
    assert!(username.len() > 2, "{html}");
    assert!(html.contains(REQUESTER), "where the password went");
    assert!(
        html.contains(&username) && html.contains("Julie Roy (CE"),
        "the delegation is listed"
    );

    // The requester's e-mails: the confirmation, then the temporary password — never the
    // username, which only the approver was shown.
    let mail = app.smtp.wait_for(REQUESTER, 2).await;
    assert_eq!(mail[1].subject, "Votre demande d'accès est acceptée");
    assert!(!mail[1].text.contains(&username), "{}", mail[1].text);
    let temporary = mail[1]
        .text
        .split("Votre mot de passe temporaire : ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the temporary password")
        .to_owned();
    assert!(
        wait_until(
            Duration::from_secs(10),
            Duration::from_millis(100),
            async || {
                count(app, "SELECT count(*) FROM outbox WHERE notice ? 'password'").await == 0
            }
        )
        .await,
        "a delivered row forgets the password"
    );

    // Deciding twice changes nothing.
    let again = post(
        app,
        &browser,
        "/account/delegations/approve",
        &[("csrf", &csrf), ("request", &request)],
    )
    .await;
    assert_eq!(again.status(), 400);
    assert!(unescape(&again.text().await.unwrap()).contains("déjà traitée"));

    // First sign-in: the temporary password, then a new one, then the questions.
    let staff = app.new_browser();
    let answer = log_in(app, &staff, "/login", &username, &temporary).await;
    assert_eq!(location(&answer), "/password/new");
    let answer = post_new_password(app, &staff, "/password/new", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(location(&answer), "/questions");
    let (csrf_q, _) = form_page(app, &staff, "/questions").await;
    let answer = staff
        .post(app.url("/questions"))
        .form(&questions_form(csrf_q))
        .send()
        .await
        .unwrap();
    let answer = integration_tests::through_resume(app, &staff, answer).await;
    assert_eq!(location(&answer), "/");
    assert!(!logs_in(app, &username, &temporary).await, "spent");

    // The staff account's token acts for the professional at the messaging service.
    let tokens = tokens_for(&p, &username, NEW_PASSWORD).await;
    let access = claims(&field(&tokens, "access_token"));
    assert_eq!(
        access["acts_for"][0]["sub"],
        professional.as_str(),
        "{access}"
    );
    assert_eq!(access["acts_for"][0]["username"], PROFESSIONAL, "{access}");
    // The staff account sees whom it acts for.
    let staff_page = signed_in(app, &username, NEW_PASSWORD).await;
    let (_, html) = form_page(app, &staff_page, "/account/delegations").await;
    assert!(html.contains("Professionnels pour qui vous agissez") && html.contains(PROFESSIONAL));
    assert!(
        !html.contains("/account/delegations/revoke"),
        "read-only for staff"
    );

    // The second professional named approves too: one more delegation, no second account.
    let second = signed_in(app, SECOND, PASSWORD).await;
    let (csrf2, html) = form_page(app, &second, "/account/delegations").await;
    let request2 = hidden_input(&html, "request").expect("the same request, for them");
    assert_eq!(request2, request);
    let answer = post(
        app,
        &second,
        "/account/delegations/approve",
        &[("csrf", &csrf2), ("request", &request)],
    )
    .await;
    assert_eq!(answer.status(), 303);
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM accounts WHERE account_type = 'staff'"
        )
        .await,
        1
    );
    let approvals = app
        .smtp
        .messages_to(REQUESTER)
        .await
        .iter()
        .filter(|m| m.subject == "Votre demande d'accès est acceptée")
        .count();
    assert_eq!(approvals, 1, "no second password");

    // The professional revokes their delegation: gone from the next refresh.
    let (csrf, html) = form_page(app, &browser, "/account/delegations").await;
    let delegation = hidden_input(&html, "delegation").expect("the revoke button");
    let answer = post(
        app,
        &browser,
        "/account/delegations/revoke",
        &[("csrf", &csrf), ("delegation", &delegation)],
    )
    .await;
    assert_eq!(location(&answer), "/account/delegations?done=revoked");
    let secret = p.secret.as_deref().unwrap();
    let (status, refreshed) =
        oauth::refresh(app, CLIENT, secret, &field(&tokens, "refresh_token")).await;
    assert_eq!(status, 200, "{refreshed}");
    let access = claims(&field(&refreshed, "access_token"));
    let acts_for = access["acts_for"].as_array().cloned().unwrap_or_default();
    assert!(
        acts_for.iter().all(|d| d["username"] != PROFESSIONAL),
        "the revoked delegation is gone, the second professional's stays: {access}"
    );
    assert_eq!(acts_for.len(), 1, "{access}");

    let kinds = count(
        app,
        "SELECT count(*) FROM audit_events WHERE kind IN \
         ('access_request_approved', 'delegation_revoked')",
    )
    .await;
    assert_eq!(kinds, 3, "two approvals and a revocation, audited");
}

#[tokio::test]
async fn a_request_refused_by_everyone_it_names_is_refused_and_its_requester_told() {
    let p = messaging_provider().await;
    let app = &p.app;
    app.add_user(PROFESSIONAL).await;
    // 99999 has no account: only the named professionals who can decide count.
    request_access(app, "27182, 99999").await;
    let browser = signed_in(app, PROFESSIONAL, PASSWORD).await;
    let (csrf, html) = form_page(app, &browser, "/account/delegations").await;
    let request = hidden_input(&html, "request").unwrap();
    let answer = post(
        app,
        &browser,
        "/account/delegations/refuse",
        &[("csrf", &csrf), ("request", &request)],
    )
    .await;
    assert_eq!(location(&answer), "/account/delegations?done=refused");
    let mail = app.smtp.wait_for(REQUESTER, 2).await;
    assert_eq!(mail[1].subject, "Votre demande d'accès est refusée");
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM access_requests WHERE state = 'refused'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM accounts WHERE account_type = 'staff'"
        )
        .await,
        0
    );
    let (_, html) = form_page(app, &browser, "/account/delegations").await;
    assert!(unescape(&html).contains("Aucune demande d'accès n'attend votre décision."));
}

#[tokio::test]
async fn hostile_decisions_and_grants_are_refused_and_change_nothing() {
    let p = messaging_provider().await;
    let app = &p.app;
    app.add_user(PROFESSIONAL).await;
    app.add_user("IP99999").await;
    app.add_account("CE31415", "staff", None).await;
    request_access(app, "27182").await;
    let request: uuid::Uuid = {
        let db = app.deployment.db.get().await.unwrap();
        db.query_one("SELECT id FROM access_requests", &[])
            .await
            .unwrap()
            .get(0)
    };
    let request = request.to_string();

    // Someone the request does not name, a staff account, a made-up id, a forged token.
    let other = signed_in(app, "IP99999", PASSWORD).await;
    let (csrf, html) = form_page(app, &other, "/account/delegations").await;
    assert!(
        !html.contains("Julie Roy"),
        "another's request is not shown"
    );
    let staff = signed_in(app, "CE31415", PASSWORD).await;
    // The staff page has no form: a token from another settings page.
    let (staff_csrf, _) = form_page(app, &staff, "/account/password").await;
    type Case<'a> = (
        &'a reqwest::Client,
        &'a str,
        Vec<(&'a str, &'a str)>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            &other,
            "/account/delegations/approve",
            vec![("csrf", &csrf), ("request", &request)],
            "ne vous nomme pas",
        ),
        (
            &other,
            "/account/delegations/refuse",
            vec![("csrf", &csrf), ("request", &request)],
            "ne vous nomme pas",
        ),
        (
            &other,
            "/account/delegations/approve",
            vec![("csrf", &csrf), ("request", "not-a-uuid")],
            "ne vous nomme pas",
        ),
        (
            &staff,
            "/account/delegations/approve",
            vec![("csrf", &staff_csrf), ("request", &request)],
            "Seul un professionnel",
        ),
        (
            &staff,
            "/account/delegations/grant",
            vec![("csrf", &staff_csrf), ("staff", "CE31415")],
            "Seul un professionnel",
        ),
        (
            &other,
            "/account/delegations/revoke",
            vec![
                ("csrf", &csrf),
                ("delegation", "0190b6a4-0000-7000-8000-000000000000"),
            ],
            "n'existe pas",
        ),
    ];
    for (browser, path, form, message) in cases {
        let answer = post(app, browser, path, &form).await;
        assert_eq!(answer.status(), 400, "{path} {form:?}");
        let text = unescape(&answer.text().await.unwrap());
        assert!(text.contains(message), "{path} {form:?}: {text}");
    }
    let forged = post(
        app,
        &other,
        "/account/delegations/approve",
        &[("csrf", "forged"), ("request", &request)],
    )
    .await;
    assert!(forged.status().is_client_error(), "{}", forged.status());

    // The grant form: an unknown name, a professional's name, an unknown service.
    for (staff_name, service, field) in [
        ("CE00000", "", "staff-error"),
        ("IP27182", "", "staff-error"),
        ("CE31415", "no-such-service", "service-error"),
    ] {
        let answer = post(
            app,
            &other,
            "/account/delegations/grant",
            &[("csrf", &csrf), ("staff", staff_name), ("service", service)],
        )
        .await;
        assert_eq!(answer.status(), 422, "{staff_name} {service}");
        let text = answer.text().await.unwrap();
        assert!(
            text.contains(field) && text.contains("aria-invalid=\"true\""),
            "{text}"
        );
    }
    assert_eq!(
        count(app, "SELECT count(*) FROM access_request_decisions").await,
        0
    );
    assert_eq!(count(app, "SELECT count(*) FROM delegations").await, 0);
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM accounts WHERE account_type = 'staff'"
        )
        .await,
        1
    );

    // A good grant, at every service: the staff account's next token acts for IP99999.
    let answer = post(
        app,
        &other,
        "/account/delegations/grant",
        &[("csrf", &csrf), ("staff", "ce31415"), ("service", "")],
    )
    .await;
    assert_eq!(location(&answer), "/account/delegations?done=granted");
    let again = post(
        app,
        &other,
        "/account/delegations/grant",
        &[("csrf", &csrf), ("staff", "CE31415"), ("service", "")],
    )
    .await;
    assert_eq!(location(&again), "/account/delegations?done=unchanged");
    let tokens = tokens_for(&p, "CE31415", PASSWORD).await;
    let access = claims(&field(&tokens, "access_token"));
    assert_eq!(access["acts_for"][0]["username"], "IP99999", "{access}");
}

/// The id of the first pending request linked from the help desk's queue.
fn first_request(html: &str) -> String {
    html.split("/helpdesk/access-requests/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a request in the queue")
        .to_owned()
}

#[tokio::test]
async fn a_help_desk_agent_approves_or_refuses_a_pending_request_for_the_agency() {
    let p = messaging_provider().await;
    let app = &p.app;
    app.add_user(PROFESSIONAL).await;
    // 16180 has no account: nobody can grant for them.
    request_access(app, "27182, 16180").await;
    let agent = "CE27190";
    app.add_account(agent, "staff", None).await;
    {
        let db = app.deployment.db.get().await.unwrap();
        idp::admin::roles::grant(&db, agent, idp::domain::Role::HelpdeskAgent)
            .await
            .unwrap();
    }
    let console = signed_in(app, agent, PASSWORD).await;
    let (_, queue) = form_page(app, &console, "/helpdesk/access-requests").await;
    assert!(
        queue.contains("Julie Roy") && queue.contains("16180, 27182"),
        "{queue}"
    );
    let id = first_request(&queue);
    let path = format!("/helpdesk/access-requests/{id}");
    let staff = "SELECT count(*) FROM accounts WHERE account_type = 'staff'";
    let decide = |fields: Vec<(&'static str, &'static str)>| {
        let console = console.clone();
        let path = path.clone();
        async move {
            let (csrf, _) = form_page(app, &console, &path).await;
            let mut form = vec![("csrf", csrf)];
            form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
            let answer = console
                .post(app.url(&path))
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

    // No decision, no reason: nothing happens.
    let (status, page) = decide(vec![("reason", "access_request")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Choisissez d'approuver ou de refuser"));
    let (status, _) = decide(vec![("decision", "approve")]).await;
    assert_eq!(status, 422);
    assert_eq!(count(app, staff).await, 1, "only the agent");

    // Approved for the agency: the account opens, the username shown to the agent, the
    // password to the requester, the named professional's delegation granted.
    let (status, page) = decide(vec![("decision", "approve"), ("reason", "access_request")]).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Le nom d'utilisateur de Julie Roy est CE"),
        "{page}"
    );
    assert_eq!(count(app, staff).await, 2);
    let mail = app.smtp.wait_for(REQUESTER, 2).await;
    assert_eq!(mail[1].subject, "Votre demande d'accès est acceptée");
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM delegations WHERE service = 'messaging' AND revoked_at IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM access_request_decisions WHERE professional_number = '27182'"
        )
        .await,
        1,
        "decided for the professional, whose page stops asking"
    );
    let professional = signed_in(app, PROFESSIONAL, PASSWORD).await;
    let (_, html) = form_page(app, &professional, "/account/delegations").await;
    assert!(unescape(&html).contains("Aucune demande d'accès n'attend votre décision"));
    // Decided: gone from the queue, its page and a second decision refused.
    let answer = console.get(app.url(&path)).send().await.unwrap();
    assert_eq!(answer.status(), 404);
    let (status, _) = decide_again(app, &console, &path).await;
    assert_eq!(status, 404);

    // Another request, refused: closed and the requester told.
    request_access(app, "27182").await;
    let (_, queue) = form_page(app, &console, "/helpdesk/access-requests").await;
    let second = first_request(&queue);
    assert_ne!(second, id);
    let path = format!("/helpdesk/access-requests/{second}");
    let (csrf, _) = form_page(app, &console, &path).await;
    let answer = post(
        app,
        &console,
        &path,
        &[
            ("csrf", &csrf),
            ("decision", "refuse"),
            ("reason", "access_request"),
        ],
    )
    .await;
    assert_eq!(answer.status(), 200);
    let mail = app.smtp.wait_for(REQUESTER, 4).await;
    assert_eq!(mail[3].subject, "Votre demande d'accès est refusée");
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM access_requests WHERE state = 'refused'"
        )
        .await,
        1
    );
    assert_eq!(count(app, staff).await, 2, "no account for a refusal");
    let audited = count(
        app,
        "SELECT count(*) FROM audit_events WHERE kind = 'helpdesk_action' \
         AND detail->>'action' IN ('approve_access_request', 'refuse_access_request')",
    )
    .await;
    assert_eq!(audited, 2);

    // The professional is no agent: the queue is forbidden.
    let answer = professional
        .get(app.url("/helpdesk/access-requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
}

/// Posts a decision on a request whose page no longer exists (its token from another page).
async fn decide_again(app: &TestApp, console: &reqwest::Client, path: &str) -> (u16, String) {
    let (csrf, _) = form_page(app, console, "/account/password").await;
    let answer = post(
        app,
        console,
        path,
        &[
            ("csrf", &csrf),
            ("decision", "approve"),
            ("reason", "access_request"),
        ],
    )
    .await;
    (answer.status().as_u16(), answer.text().await.unwrap())
}
