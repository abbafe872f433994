//! *Paramètres du compte* (issue 3, the seed's section 3): the home page menu; an e-mail address
//! as a second username, proven by a single-use link, sharing the account's one failure counter;
//! a new password (current one required, other sessions ended); the secret questions from the
//! settings; the active sessions and ending them. Every change is audited and e-mailed in French
//! by default, without a secret; hostile input gets a clear 400 page.

use std::time::Duration;

use integration_tests::credentials::questions_form;
use integration_tests::login::{log_in, logs_in};
use integration_tests::page::{form_page, input_tag, unescape};
use integration_tests::{PASSWORD, TestApp, hidden_input, location, spawn_app, wait_until};

const NEW_PASSWORD: &str = "le traversier part de Lévis à midi";
const WRONG: &str = "ce n'est pas mon mot de passe";

/// A browser signed in at the provider as `username` (a direct login lands home).
async fn signed_in(app: &TestApp, username: &str) -> reqwest::Client {
    let browser = app.new_browser();
    let answer = log_in(app, &browser, "/login", username, PASSWORD).await;
    assert_eq!(answer.status(), 303, "{username} signs in");
    assert_eq!(location(&answer), "/");
    browser
}

/// Whether `browser` still has a live session (the home page opens instead of redirecting).
async fn has_session(app: &TestApp, browser: &reqwest::Client) -> bool {
    let home = browser.get(app.url("/")).send().await.unwrap();
    match home.status().as_u16() {
        200 => true,
        303 => {
            assert_eq!(location(&home), "/login");
            false
        }
        other => panic!("the home page answers 200 or 303, got {other}"),
    }
}

/// Posts `form` to `path`; the raw answer.
async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    browser.post(app.url(path)).form(form).send().await.unwrap()
}

/// Fills the « Changer de nom d'utilisateur » form; the raw answer.
async fn ask_for_alias(
    app: &TestApp,
    browser: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let (csrf, _) = form_page(app, browser, "/account/username").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("email", email),
        ("current_password", password),
    ];
    post(app, browser, "/account/username", &form).await
}

/// How many verification e-mails were written to the outbox for `address`.
async fn verification_mails(app: &TestApp, address: &str) -> i64 {
    let db = app.deployment.db.get().await.unwrap();
    db.query_one(
        "SELECT count(*) FROM outbox WHERE notice->>'kind' = 'verify_alias' AND recipient = $1",
        &[&address],
    )
    .await
    .unwrap()
    .get(0)
}

/// Asks for `email` as a username of the signed-in `browser` and returns the link e-mailed for
/// it (read from the SMTP sink: a delivered outbox row forgets its link).
async fn alias_link(app: &TestApp, browser: &reqwest::Client, email: &str) -> String {
    let before = verification_mails(app, email).await;
    let answer = ask_for_alias(app, browser, email, PASSWORD).await;
    assert_eq!(answer.status(), 303, "post/redirect/get");
    assert_eq!(location(&answer), "/account/username/sent");
    assert_eq!(verification_mails(app, email).await, before + 1);
    let arrived = async || {
        app.smtp
            .messages_to(email)
            .await
            .into_iter()
            .filter(|m| m.subject == "Confirmez votre adresse courriel")
            .collect::<Vec<_>>()
    };
    let delivered = wait_until(
        Duration::from_secs(10),
        Duration::from_millis(50),
        async || arrived().await.len() as i64 > before,
    )
    .await;
    assert!(delivered, "the verification e-mail to {email} arrives");
    let mails = arrived().await;
    let mail = &mails[usize::try_from(before).unwrap()];
    assert!(!mail.raw.contains(PASSWORD), "no password in the e-mail");
    mail.links().first().cloned().expect("a link in the e-mail")
}

/// Follows an e-mailed link in a browser without a session, as a person does: opens it (the
/// GET only shows a button) and, when the button is there, presses it (the POST spends the
/// link). (status, page text) of the last answer.
async fn follow(app: &TestApp, link: &str) -> (u16, String) {
    let browser = app.new_browser();
    let opened = browser.get(link).send().await.unwrap();
    let status = opened.status().as_u16();
    let html = opened.text().await.unwrap();
    if status != 200 {
        return (status, unescape(&html));
    }
    assert!(
        html.contains("<form method=\"post\" action=\"/account/username/verify\">"),
        "a well-formed link shows its button: {html}"
    );
    let csrf = hidden_input(&html, "csrf").expect("a csrf field");
    let token = hidden_input(&html, "token").expect("the token, to post");
    let answer = post(
        app,
        &browser,
        "/account/username/verify",
        &[("csrf", csrf.as_str()), ("token", token.as_str())],
    )
    .await;
    if answer.status() != 303 {
        let status = answer.status().as_u16();
        return (status, unescape(&answer.text().await.unwrap()));
    }
    // A spent link: post/redirect/get to the page that shows the outcome.
    let to = location(&answer);
    assert!(
        to.starts_with("/account/username/verified?c="),
        "a confirmation is shown by a GET: {to}"
    );
    let shown = browser.get(app.url(&to)).send().await.unwrap();
    let status = shown.status().as_u16();
    (status, unescape(&shown.text().await.unwrap()))
}

/// The audit events of an account: (kind, outcome, detail as text), oldest first.
async fn audit_of(app: &TestApp, sub: &str) -> Vec<(String, String, String)> {
    let db = app.deployment.db.get().await.unwrap();
    let id: uuid::Uuid = sub.parse().unwrap();
    db.query(
        "SELECT kind, outcome, detail::text, ip IS NOT NULL, user_agent FROM audit_events \
         WHERE account_id = $1 ORDER BY id",
        &[&id],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| {
        let (kind, outcome): (String, String) = (r.get(0), r.get(1));
        if kind != "login" {
            assert!(
                r.get::<_, bool>(3),
                "{kind}: the source address is recorded"
            );
        }
        (kind, outcome, r.get(2))
    })
    .collect()
}

/// The live SSO session ids of an account.
async fn live_sids(app: &TestApp, sub: &str) -> Vec<String> {
    let db = app.deployment.db.get().await.unwrap();
    let id: uuid::Uuid = sub.parse().unwrap();
    db.query(
        "SELECT sid FROM sso_sessions WHERE account_id = $1 AND ended_at IS NULL ORDER BY created_at",
        &[&id],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Every outbox notice to `address`: (kind, locale, whole row as text).
async fn notices_to(app: &TestApp, address: &str) -> Vec<(String, String, String)> {
    let db = app.deployment.db.get().await.unwrap();
    db.query(
        "SELECT notice->>'kind', locale, notice::text FROM outbox WHERE recipient = $1 \
         ORDER BY created_at",
        &[&address],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

// ---------------------------------------------------------------------------------------------
// The home page and the menu
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_home_page_shows_the_name_and_the_account_settings_menu_in_french() {
    let app = spawn_app().await;
    app.add_user("IP70001").await;
    let browser = signed_in(&app, "IP70001").await;

    let (_, html) = form_page(&app, &browser, "/").await;
    let text = unescape(&html);
    assert!(html.contains("<html lang=\"fr-CA\">"));
    assert!(text.contains("Marie Tremblay"), "the first and last name");
    for (href, label) in [
        ("/account/username", "Changer de nom d'utilisateur"),
        ("/account/password", "Changer de mot de passe"),
        ("/account/questions", "Modifier mes questions secrètes"),
        ("/account/sessions", "Sessions actives"),
        ("/account/delegations", "Délégations et demandes d'accès"),
        ("/logout", "Se déconnecter"),
    ] {
        assert!(
            text.contains(&format!("<a href=\"{href}\">{label}</a>")),
            "the menu links « {label} » to {href}:\n{text}"
        );
    }
    assert!(text.contains("Paramètres du compte"), "the menu's title");
    assert!(
        text.contains("Vos services en ligne"),
        "the services beside it"
    );

    let (_, html) = form_page(&app, &browser, "/account").await;
    let text = unescape(&html);
    assert!(text.contains("<h1>Paramètres du compte</h1>"), "{text}");
    assert!(text.contains("Changer de mot de passe"), "the same menu");
    assert!(!text.contains("role=\"status\""), "no confirmation unasked");

    let (_, html) = form_page(&app, &browser, "/account?done=password").await;
    assert!(
        unescape(&html).contains("Votre mot de passe a été modifié."),
        "the confirmation of a change"
    );
    for ignored in ["/account?done=%3Cscript%3E", "/account?done=anything"] {
        let (_, html) = form_page(&app, &browser, ignored).await;
        assert!(
            !html.contains("role=\"status\""),
            "{ignored}: nothing shown"
        );
        assert!(!html.contains("<script>"), "{ignored}: nothing echoed");
    }
}

#[tokio::test]
async fn every_settings_page_sends_a_signed_out_browser_to_the_login_page() {
    let app = spawn_app().await;
    let browser = app.new_browser();
    for path in [
        "/",
        "/account",
        "/account/password",
        "/account/username",
        "/account/sessions",
        "/account/questions",
        "/account/username/sent",
        "/account/delegations",
        "/account/second-factor",
    ] {
        let answer = browser.get(app.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), 303, "{path}");
        assert_eq!(location(&answer), "/login", "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// E-mail as username
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_email_address_proven_by_its_link_signs_in_beside_the_old_username() {
    let app = spawn_app().await;
    let sub = app.add_user("IP70101").await;
    let browser = signed_in(&app, "IP70101").await;

    let (_, html) = form_page(&app, &browser, "/account/username").await;
    let text = unescape(&html);
    assert!(text.contains("<h1>Changer de nom d'utilisateur</h1>"));
    assert!(
        text.contains("Votre nom d'utilisateur IP70101 demeurera valide."),
        "the hint says the old name stays"
    );
    assert!(input_tag(&html, "email").contains("aria-describedby=\"email-hint\""));

    // The link is built from the configured public URL, whatever the request says.
    let (csrf, _) = form_page(&app, &browser, "/account/username").await;
    let answer = browser
        .post(app.url("/account/username"))
        .header("X-Forwarded-Host", "evil.example")
        .header("Forwarded", "host=evil.example;proto=http")
        .header("Host", "evil.example")
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "Marie.Tremblay@Clinique.example.org"),
            ("current_password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303, "post/redirect/get");
    assert_eq!(location(&answer), "/account/username/sent");
    let sent = browser
        .get(app.url("/account/username/sent"))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let text = unescape(&sent.text().await.unwrap());
    assert!(text.contains("Consultez vos courriels"), "{text}");
    assert!(text.contains("Marie.Tremblay@Clinique.example.org"));
    let reload = browser
        .get(app.url("/account/username/sent"))
        .send()
        .await
        .unwrap();
    assert_eq!(reload.status(), 200, "a reload shows the page again");
    assert_eq!(
        verification_mails(&app, "Marie.Tremblay@Clinique.example.org").await,
        1,
        "and sends nothing again"
    );

    let mails = app
        .smtp
        .wait_for("Marie.Tremblay@Clinique.example.org", 1)
        .await;
    assert_eq!(
        mails[0].subject, "Confirmez votre adresse courriel",
        "in French"
    );
    let link = mails[0].links()[0].clone();
    assert!(
        link.starts_with(&format!("{}/account/username/verify?token=", app.issuer)),
        "the configured public URL: {link}"
    );
    assert!(!link.contains("evil"), "{link}");
    assert!(
        !mails[0].raw.contains(PASSWORD),
        "no password in the e-mail"
    );
    assert!(
        !logs_in(&app, "marie.tremblay@clinique.example.org", PASSWORD).await,
        "not a username before it is proven"
    );

    // Opened on another device: no session needed.
    let (status, text) = follow(&app, &link).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("Nom d'utilisateur confirmé"), "{text}");
    assert!(
        text.contains("avec Marie.Tremblay@Clinique.example.org ou avec IP70101"),
        "both names work: {text}"
    );

    assert!(logs_in(&app, "IP70101", PASSWORD).await, "the old name");
    assert!(
        logs_in(&app, "marie.tremblay@clinique.example.org", PASSWORD).await,
        "the new one, whatever its case"
    );
    assert!(logs_in(&app, "MARIE.TREMBLAY@CLINIQUE.EXAMPLE.ORG", PASSWORD).await);

    // Told at the new address and at the one notices went to until now.
    for address in ["Marie.Tremblay@Clinique.example.org", "ip70101@example.org"] {
        let notices = notices_to(&app, address).await;
        let changed: Vec<_> = notices
            .iter()
            .filter(|(kind, ..)| kind == "username_changed")
            .collect();
        assert_eq!(changed.len(), 1, "one notice to {address}: {notices:?}");
        assert_eq!(changed[0].1, "fr-CA", "French by default");
        assert!(!changed[0].2.contains(PASSWORD));
    }
    let mail = app
        .smtp
        .wait_for("ip70101@example.org", 1)
        .await
        .into_iter()
        .find(|m| m.subject == "Votre nom d'utilisateur a été modifié")
        .expect("the notice reaches the old address");
    assert!(
        mail.text.contains("Marie.Tremblay@Clinique.example.org"),
        "{}",
        mail.text
    );

    let audit = audit_of(&app, &sub).await;
    let kinds: Vec<_> = audit.iter().map(|(k, o, _)| format!("{k}:{o}")).collect();
    assert!(
        kinds.contains(&"username_change_requested:success".to_owned()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"username_changed:success".to_owned()),
        "{kinds:?}"
    );
    assert!(
        audit.iter().all(|(_, _, detail)| !detail.contains(PASSWORD)
            && !detail.contains(link.rsplit('=').next().unwrap())),
        "never a secret in the audit trail: {audit:?}"
    );
}

#[tokio::test]
async fn both_names_share_one_failure_counter_and_one_lock() {
    let app = spawn_app().await;
    app.add_user("IP70102").await;
    let browser = signed_in(&app, "IP70102").await;
    let link = alias_link(&app, &browser, "dr.gagnon@example.net").await;
    assert_eq!(follow(&app, &link).await.0, 200);

    for _ in 0..3 {
        assert!(!logs_in(&app, "dr.gagnon@example.net", WRONG).await);
    }
    for _ in 0..2 {
        assert!(!logs_in(&app, "IP70102", WRONG).await);
    }
    // lockout.max_failures = 5, counted across both names.
    assert!(
        !logs_in(&app, "IP70102", PASSWORD).await,
        "locked: the right password is refused with the old name"
    );
    assert!(
        !logs_in(&app, "dr.gagnon@example.net", PASSWORD).await,
        "and with the new one"
    );
}

#[tokio::test]
async fn a_verification_link_works_once_and_a_malformed_one_is_refused() {
    let app = spawn_app().await;
    app.add_user("IP70103").await;
    let browser = signed_in(&app, "IP70103").await;
    let link = alias_link(&app, &browser, "once@example.net").await;

    // A mail scanner or a link preview opens the link: nothing is spent, nothing is told.
    let scanner = app.new_browser();
    let unknown = app.url(&format!(
        "/account/username/verify?token={}",
        "A".repeat(43)
    ));
    let token = link.rsplit('=').next().unwrap().to_owned();
    let mut shown = Vec::new();
    for url in [&link, &link, &unknown] {
        let opened = scanner.get(url.as_str()).send().await.unwrap();
        assert_eq!(opened.status(), 200, "{url}");
        let html = unescape(&opened.text().await.unwrap());
        assert!(html.contains("Confirmer votre adresse courriel"), "{html}");
        assert!(html.contains(">Confirmer mon adresse</button>"), "{html}");
        let csrf = hidden_input(&html, "csrf").unwrap();
        shown.push(
            html.replace(&csrf, "")
                .replace(&token, "TOKEN")
                .replace(&"A".repeat(43), "TOKEN"),
        );
    }
    assert_eq!(
        shown[0], shown[2],
        "the same page for any well-formed token"
    );
    assert!(
        !logs_in(&app, "once@example.net", PASSWORD).await,
        "opening the link proved nothing"
    );
    let forged = post(
        &app,
        &app.new_browser(),
        "/account/username/verify",
        &[("token", token.as_str())],
    )
    .await;
    assert_eq!(forged.status(), 400, "no CSRF token: nothing spent");
    assert!(unescape(&forged.text().await.unwrap()).contains("Votre page a expiré"));

    assert_eq!(follow(&app, &link).await.0, 200, "the first time");
    assert!(logs_in(&app, "once@example.net", PASSWORD).await);
    let (status, text) = follow(&app, &link).await;
    assert_eq!(status, 400, "reused");
    assert!(text.contains("a déjà servi, a expiré"), "{text}");

    for (query, why) in [
        ("", "no token"),
        ("?token=short", "too short"),
        ("?token=%3Cscript%3E", "not base64url"),
        (
            "?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "unknown",
        ),
    ] {
        let (status, text) =
            follow(&app, &app.url(&format!("/account/username/verify{query}"))).await;
        assert_eq!(status, 400, "{why}");
        assert!(text.contains("role=\"alert\""), "{why}: an alert");
        assert!(!text.contains("<script>"), "{why}: nothing echoed");
    }
    let browser = app.new_browser();
    let (csrf, _) = form_page(
        &app,
        &browser,
        "/account/username/verify?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .await;
    for token in ["", "short", "<script>"] {
        let form = [("csrf", csrf.as_str()), ("token", token)];
        let answer = post(&app, &browser, "/account/username/verify", &form).await;
        assert_eq!(answer.status(), 400, "a malformed token posted: {token:?}");
        let text = unescape(&answer.text().await.unwrap());
        assert!(text.contains("incomplet ou mal formé"), "{text}");
    }
}

#[tokio::test]
async fn an_expired_or_superseded_verification_link_is_refused() {
    let app = spawn_app().await;
    app.add_user("IP70104").await;
    let browser = signed_in(&app, "IP70104").await;

    let first = alias_link(&app, &browser, "first@example.net").await;
    let second = alias_link(&app, &browser, "second@example.net").await;
    let (status, text) = follow(&app, &first).await;
    assert_eq!(status, 400, "only the latest link works");
    assert!(text.contains("remplacé par un lien plus récent"), "{text}");

    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE email_proofs SET expires_at = now() - interval '1 minute' WHERE email = 'second@example.net'",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(follow(&app, &second).await.0, 400, "expired");
    assert!(!logs_in(&app, "second@example.net", PASSWORD).await);
    assert!(!logs_in(&app, "first@example.net", PASSWORD).await);
}

#[tokio::test]
async fn an_address_another_account_signs_in_with_is_refused() {
    let app = spawn_app().await;
    app.add_user("IP70105").await;
    app.add_user("IP70106").await;
    let owner = signed_in(&app, "IP70105").await;
    let other = signed_in(&app, "IP70106").await;
    let link = alias_link(&app, &owner, "cabinet@example.net").await;
    assert_eq!(follow(&app, &link).await.0, 200);

    let answer = ask_for_alias(&app, &other, "CABINET@example.net", PASSWORD).await;
    assert_eq!(answer.status(), 400);
    let html = answer.text().await.unwrap();
    assert!(
        unescape(&html).contains("déjà utilisée comme nom d'utilisateur"),
        "{html}"
    );
    assert!(input_tag(&html, "email").contains("aria-invalid=\"true\""));
    assert_eq!(
        verification_mails(&app, "CABINET@example.net").await,
        0,
        "no e-mail sent"
    );

    let answer = ask_for_alias(&app, &owner, "Cabinet@Example.net", PASSWORD).await;
    assert_eq!(answer.status(), 400);
    assert!(
        unescape(&answer.text().await.unwrap()).contains("déjà votre nom d'utilisateur"),
        "its own alias"
    );
}

#[tokio::test]
async fn an_address_taken_between_the_request_and_the_link_is_refused_clearly() {
    let app = spawn_app().await;
    app.add_user("IP70107").await;
    app.add_user("IP70108").await;
    let slow = signed_in(&app, "IP70107").await;
    let quick = signed_in(&app, "IP70108").await;
    let slow_link = alias_link(&app, &slow, "accueil@example.net").await;
    let quick_link = alias_link(&app, &quick, "accueil@example.net").await;
    assert_eq!(follow(&app, &quick_link).await.0, 200);

    let (status, text) = follow(&app, &slow_link).await;
    assert_eq!(status, 409);
    assert!(
        text.contains("utilisée comme nom d'utilisateur par un autre compte"),
        "{text}"
    );
    let answer = log_in(
        &app,
        &app.new_browser(),
        "/login",
        "accueil@example.net",
        PASSWORD,
    )
    .await;
    assert_eq!(answer.status(), 303);
    let db = app.deployment.db.get().await.unwrap();
    let owner: String = db
        .query_one(
            "SELECT a.username FROM account_names n JOIN accounts a ON a.id = n.account_id \
             WHERE n.name_folded = 'accueil@example.net'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(owner, "IP70108", "the first to prove it keeps it");
}

#[tokio::test]
async fn the_username_form_refuses_bad_input_with_the_reason_on_the_field() {
    let app = spawn_app().await;
    let sub = app.add_user("IP70109").await;
    let browser = signed_in(&app, "IP70109").await;
    let long = format!("{}@example.net", "a".repeat(250));
    // (address, password, field in error, message, why)
    let cases = [
        (
            "",
            PASSWORD,
            "email",
            "Entrez une adresse courriel.",
            "nothing typed",
        ),
        ("marie", PASSWORD, "email", "n'est pas valide", "no @"),
        (
            "marie@localhost",
            PASSWORD,
            "email",
            "n'est pas valide",
            "no domain name",
        ),
        (
            "marie@example.net\r\nBcc: x@example.org",
            PASSWORD,
            "email",
            "n'est pas valide",
            "a header injection",
        ),
        (
            long.as_str(),
            PASSWORD,
            "email",
            "au plus 254 caractères",
            "too long",
        ),
        (
            "marie@example.net",
            WRONG,
            "current_password",
            "Le mot de passe actuel est incorrect.",
            "a wrong password",
        ),
        (
            "marie@example.net",
            "",
            "current_password",
            "Le mot de passe actuel est incorrect.",
            "no password",
        ),
    ];
    for (email, password, field, message, why) in cases {
        let answer = ask_for_alias(&app, &browser, email, password).await;
        assert_eq!(answer.status(), 400, "{why}");
        let html = answer.text().await.unwrap();
        let text = unescape(&html);
        assert!(text.contains(message), "{why}: {text}");
        assert!(text.contains("role=\"alert\""), "{why}: the error summary");
        let tag = input_tag(&html, field);
        assert!(tag.contains("aria-invalid=\"true\""), "{why}: {tag}");
        assert!(
            tag.contains(&format!("{field}-error")),
            "{why}: described by its error"
        );
    }
    assert_eq!(
        verification_mails(&app, "marie@example.net").await,
        0,
        "nothing sent"
    );
    assert!(
        logs_in(&app, "IP70109", PASSWORD).await,
        "two wrong passwords do not lock"
    );

    // Forged, incomplete and oversized posts.
    let form = [
        ("email", "marie@example.net"),
        ("current_password", PASSWORD),
    ];
    let answer = post(&app, &browser, "/account/username", &form).await;
    assert_eq!(answer.status(), 400, "no CSRF token");
    let (csrf, _) = form_page(&app, &browser, "/account/username").await;
    let answer = browser
        .post(app.url("/account/username"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&email=a@b.example&email=c@d.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "a repeated field");
    let huge = "a".repeat(20_000);
    let answer = post(
        &app,
        &browser,
        "/account/username",
        &[("csrf", csrf.as_str()), ("email", huge.as_str())],
    )
    .await;
    assert_eq!(answer.status(), 413, "an oversized body");
    let answer = browser
        .post(app.url("/account/username"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "not a form");
    let audit = audit_of(&app, &sub).await;
    assert!(
        audit
            .iter()
            .all(|(_, _, d)| !d.contains(WRONG) && !d.contains(PASSWORD)),
        "{audit:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Password
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn changing_the_password_needs_the_current_one_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    let sub = app.add_user("IP70201").await;
    let browser = signed_in(&app, "IP70201").await;
    let elsewhere = signed_in(&app, "IP70201").await;

    let (csrf, html) = form_page(&app, &browser, "/account/password").await;
    assert!(unescape(&html).contains("Changer de mot de passe"));
    assert!(input_tag(&html, "current_password").contains("autocomplete=\"current-password\""));
    let wrong = [
        ("csrf", csrf.as_str()),
        ("current_password", WRONG),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    let answer = post(&app, &browser, "/account/password", &wrong).await;
    assert_eq!(answer.status(), 400, "a wrong current password");
    let html = answer.text().await.unwrap();
    assert!(unescape(&html).contains("Le mot de passe actuel est incorrect."));
    assert!(input_tag(&html, "current_password").contains("aria-invalid=\"true\""));

    let mismatch = [
        ("csrf", csrf.as_str()),
        ("current_password", PASSWORD),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", "autre chose tout à fait"),
    ];
    let answer = post(&app, &browser, "/account/password", &mismatch).await;
    assert_eq!(answer.status(), 400, "a confirmation that differs");
    assert!(unescape(&answer.text().await.unwrap()).contains("La confirmation ne correspond pas"));

    let weak = [
        ("csrf", csrf.as_str()),
        ("current_password", PASSWORD),
        ("new_password", "password1234"),
        ("confirm_password", "password1234"),
    ];
    let answer = post(&app, &browser, "/account/password", &weak).await;
    assert_eq!(answer.status(), 400, "a password the policy refuses");
    assert!(unescape(&answer.text().await.unwrap()).contains("trop courant"));
    assert!(has_session(&app, &elsewhere).await, "nothing changed yet");

    let right = [
        ("csrf", csrf.as_str()),
        ("current_password", PASSWORD),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    let answer = post(&app, &browser, "/account/password", &right).await;
    assert_eq!(answer.status(), 303);
    assert_eq!(location(&answer), "/account?done=password");
    let (_, html) = form_page(&app, &browser, "/account?done=password").await;
    assert!(unescape(&html).contains("Votre mot de passe a été modifié."));

    assert!(has_session(&app, &browser).await, "this session stays");
    assert!(!has_session(&app, &elsewhere).await, "the other one ended");
    assert!(
        !logs_in(&app, "IP70201", PASSWORD).await,
        "the old password"
    );
    assert!(logs_in(&app, "IP70201", NEW_PASSWORD).await, "the new one");

    let notices = notices_to(&app, "ip70201@example.org").await;
    assert!(
        notices
            .iter()
            .any(|(kind, locale, _)| kind == "password_changed" && locale == "fr-CA"),
        "{notices:?}"
    );
    let mail = app.smtp.wait_for("ip70201@example.org", 1).await;
    assert_eq!(mail[0].subject, "Votre mot de passe a été modifié");
    for secret in [PASSWORD, NEW_PASSWORD, WRONG] {
        assert!(!mail[0].raw.contains(secret), "no password in the e-mail");
    }
    let audit = audit_of(&app, &sub).await;
    assert!(
        audit
            .iter()
            .any(|(k, o, d)| k == "password_changed" && o == "success" && d.contains("settings")),
        "{audit:?}"
    );
    assert!(
        audit
            .iter()
            .all(|(_, _, d)| !d.contains(NEW_PASSWORD) && !d.contains(PASSWORD)),
        "{audit:?}"
    );
}

#[tokio::test]
async fn the_password_form_shows_every_problem_at_once_each_linked_from_the_summary() {
    let app = spawn_app().await;
    app.add_user("IP70202").await;
    let browser = signed_in(&app, "IP70202").await;
    let (csrf, _) = form_page(&app, &browser, "/account/password").await;
    let all_wrong = [
        ("csrf", csrf.as_str()),
        ("current_password", WRONG),
        ("new_password", "court"),
        ("confirm_password", "autre chose"),
    ];
    let answer = post(&app, &browser, "/account/password", &all_wrong).await;
    assert_eq!(answer.status(), 400);
    let html = answer.text().await.unwrap();
    let text = unescape(&html);
    for (field, message) in [
        ("current_password", "Le mot de passe actuel est incorrect."),
        ("new_password", "au moins 12 caractères"),
        ("confirm_password", "La confirmation ne correspond pas"),
    ] {
        assert!(
            input_tag(&html, field).contains("aria-invalid=\"true\""),
            "{field} is marked invalid"
        );
        let link = format!("<li><a href=\"#{field}\">");
        let listed = text.split(&link).nth(1).is_some_and(|rest| {
            rest.split("</a>")
                .next()
                .is_some_and(|m| m.contains(message))
        });
        assert!(listed, "the summary links « {message} » to {field}: {text}");
    }
}

#[tokio::test]
async fn a_password_form_without_its_csrf_token_changes_nothing() {
    let app = spawn_app().await;
    app.add_user("IP70202").await;
    let browser = signed_in(&app, "IP70202").await;
    let form = [
        ("current_password", PASSWORD),
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    let answer = post(&app, &browser, "/account/password", &form).await;
    assert_eq!(answer.status(), 400);
    assert!(unescape(&answer.text().await.unwrap()).contains("Votre page a expiré"));
    assert!(logs_in(&app, "IP70202", PASSWORD).await, "unchanged");
}

// ---------------------------------------------------------------------------------------------
// Secret questions from the settings
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_secret_questions_from_the_settings_need_the_current_password() {
    let app = spawn_app().await;
    let sub = app.add_user("IP70301").await;
    let browser = signed_in(&app, "IP70301").await;
    let count = async || -> i64 {
        let db = app.deployment.db.get().await.unwrap();
        let id: uuid::Uuid = sub.parse().unwrap();
        db.query_one(
            "SELECT count(*) FROM secret_answers WHERE account_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0)
    };

    let (csrf, _) = form_page(&app, &browser, "/account/questions").await;
    let mut form = questions_form(csrf);
    form.push(("current_password".into(), WRONG.into()));
    let answer = browser
        .post(app.url("/account/questions"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "a wrong current password");
    assert!(
        unescape(&answer.text().await.unwrap()).contains("Le mot de passe actuel est incorrect.")
    );
    assert_eq!(count().await, 0, "nothing stored");

    let (csrf, _) = form_page(&app, &browser, "/account/questions").await;
    let mut form = questions_form(csrf);
    form.push(("current_password".into(), PASSWORD.into()));
    let answer = browser
        .post(app.url("/account/questions"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    assert_eq!(location(&answer), "/account?done=questions");
    let (_, html) = form_page(&app, &browser, "/account?done=questions").await;
    assert!(unescape(&html).contains("Vos questions secrètes ont été enregistrées."));
    assert_eq!(count().await, 8, "eight answers");

    let mail = app.smtp.wait_for("ip70301@example.org", 1).await;
    assert_eq!(mail[0].subject, "Vos questions secrètes ont été modifiées");
    assert!(!mail[0].raw.contains(PASSWORD));
    assert!(
        !mail[0].raw.contains("Réponse à"),
        "no answer in the e-mail"
    );
}

#[tokio::test]
async fn guessable_answers_and_the_accounts_own_names_are_refused_each_with_its_reason() {
    let app = spawn_app().await;
    let sub = app.add_user("IP70302").await;
    let browser = signed_in(&app, "IP70302").await;
    // (answer given to question 1, 2, … in turn, the reason shown, why)
    // The form's questions are the catalogue's first eight, « … premier animal de
    // compagnie? » first.
    let cases = [
        (
            "animal de compagnie",
            "mots de la question",
            "the question's words",
        ),
        ("123", "suite simple", "a sequence"),
        ("1234", "suite simple", "a longer one"),
        ("aaa", "seul caractère répété", "one character"),
        (
            "ip70302@example.org",
            "adresse courriel",
            "the account's e-mail",
        ),
        ("IP70302", "nom d'utilisateur", "the username"),
        ("Aucun", "parmi les plus courantes", "a common answer"),
        ("n/a", "parmi les plus courantes", "not applicable"),
    ];
    let (csrf, _) = form_page(&app, &browser, "/account/questions").await;
    let mut form = questions_form(csrf);
    assert_eq!(
        form.iter().find(|(k, _)| k == "question_1").unwrap().1,
        "first-pet"
    );
    for (n, (answer, ..)) in cases.iter().enumerate() {
        let field = format!("answer_{}", n + 1);
        let slot = form.iter_mut().find(|(k, _)| *k == field).unwrap();
        slot.1 = (*answer).to_owned();
    }
    form.push(("current_password".into(), PASSWORD.into()));
    let answer = browser
        .post(app.url("/account/questions"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "every answer refused");
    let text = unescape(&answer.text().await.unwrap());
    for (n, (_, reason, why)) in cases.iter().enumerate() {
        let n = n + 1;
        let line = text
            .lines()
            .find(|l| l.contains(&format!("id=\"answer_{n}-error\"")))
            .unwrap_or_else(|| panic!("answer {n} ({why}) has its error: {text}"));
        assert!(
            line.contains(&format!("Réponse {n} :")) && line.contains(reason),
            "answer {n}, {why}: {line}"
        );
    }
    let db = app.deployment.db.get().await.unwrap();
    let id: uuid::Uuid = sub.parse().unwrap();
    let stored: i64 = db
        .query_one(
            "SELECT count(*) FROM secret_answers WHERE account_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0, "nothing stored");
}

// ---------------------------------------------------------------------------------------------
// Active sessions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_sessions_page_lists_both_sessions_and_ends_the_other_one() {
    let app = spawn_app().await;
    let sub = app.add_user("IP70401").await;
    let other = signed_in(&app, "IP70401").await;
    let browser = signed_in(&app, "IP70401").await;

    let (csrf, html) = form_page(&app, &browser, "/account/sessions").await;
    let text = unescape(&html);
    assert!(text.contains("<h1>Sessions actives</h1>"));
    assert_eq!(
        text.matches("<time datetime=").count(),
        4,
        "two sessions, two times each"
    );
    assert_eq!(
        text.matches("Cette session-ci").count(),
        1,
        "this one marked"
    );
    assert_eq!(
        text.matches(">Terminer</button>").count(),
        1,
        "the other can be ended"
    );
    assert!(text.contains("Terminer toutes les autres sessions"));
    let sid = hidden_input(&html, "sid").expect("the other session's id");
    let sids = live_sids(&app, &sub).await;
    assert_eq!(sids.len(), 2);
    assert_eq!(sid, sids[0], "the button ends the older, other session");

    let answer = post(
        &app,
        &browser,
        "/account/sessions/end",
        &[("csrf", csrf.as_str()), ("sid", sid.as_str())],
    )
    .await;
    assert_eq!(answer.status(), 303);
    assert_eq!(location(&answer), "/account?done=sessions");
    assert!(
        !has_session(&app, &other).await,
        "that browser is signed out"
    );
    assert!(has_session(&app, &browser).await, "this one is not");
    let (_, html) = form_page(&app, &browser, "/account/sessions").await;
    assert!(unescape(&html).contains("Aucune autre session n'est ouverte."));

    let audit = audit_of(&app, &sub).await;
    assert!(
        audit
            .iter()
            .any(|(k, o, d)| k == "session_ended" && o == "success" && d.contains(&sid)),
        "{audit:?}"
    );
}

#[tokio::test]
async fn all_other_sessions_end_at_once() {
    let app = spawn_app().await;
    app.add_user("IP70402").await;
    let first = signed_in(&app, "IP70402").await;
    let second = signed_in(&app, "IP70402").await;
    let browser = signed_in(&app, "IP70402").await;
    let (csrf, html) = form_page(&app, &browser, "/account/sessions").await;
    assert_eq!(unescape(&html).matches(">Terminer</button>").count(), 2);

    let answer = post(
        &app,
        &browser,
        "/account/sessions/end-others",
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(answer.status(), 303);
    assert!(!has_session(&app, &first).await);
    assert!(!has_session(&app, &second).await);
    assert!(has_session(&app, &browser).await);
}

#[tokio::test]
async fn a_session_of_another_account_is_never_ended() {
    let app = spawn_app().await;
    app.add_user("IP70403").await;
    let victim_sub = app.add_user("IP70404").await;
    let browser = signed_in(&app, "IP70403").await;
    let victim = signed_in(&app, "IP70404").await;
    let victim_sid = live_sids(&app, &victim_sub).await.remove(0);
    let (_, html) = form_page(&app, &browser, "/account/sessions").await;
    assert!(
        !html.contains("name=\"sid\""),
        "only this session: nothing to end"
    );
    let (csrf, _) = form_page(&app, &browser, "/account/password").await;

    // (sid, why)
    let long = "A".repeat(5000);
    let cases = [
        (victim_sid.as_str(), "another account's session"),
        ("AAAAAAAAAAAAAAAAAAAAAA", "an unknown session"),
        ("<script>", "not a session id"),
        (long.as_str(), "oversized"),
        ("", "empty"),
    ];
    for (sid, why) in cases {
        let answer = post(
            &app,
            &browser,
            "/account/sessions/end",
            &[("csrf", csrf.as_str()), ("sid", sid)],
        )
        .await;
        assert_eq!(answer.status(), 400, "{why}");
        let text = unescape(&answer.text().await.unwrap());
        assert!(
            text.contains("n'appartient pas à votre compte"),
            "{why}: {text}"
        );
    }
    let answer = post(
        &app,
        &browser,
        "/account/sessions/end",
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(answer.status(), 400, "no sid");
    assert!(
        has_session(&app, &victim).await,
        "the other account is still signed in"
    );
    assert!(has_session(&app, &browser).await);

    let answer = post(
        &app,
        &victim,
        "/account/sessions/end",
        &[("sid", victim_sid.as_str())],
    )
    .await;
    assert_eq!(answer.status(), 400, "no CSRF token");
    assert!(has_session(&app, &victim).await);
}

#[tokio::test]
async fn the_pages_are_translated_when_english_is_chosen() {
    let app = spawn_app().await;
    app.add_user("IP70501").await;
    let browser = signed_in(&app, "IP70501").await;
    let (_, html) = form_page(&app, &browser, "/account?lang=en").await;
    let text = unescape(&html);
    assert!(html.contains("<html lang=\"en\">"));
    for label in [
        "Account settings",
        "Change username",
        "Change password",
        "Active sessions",
    ] {
        assert!(text.contains(label), "{label}: {text}");
    }
    let (_, html) = form_page(&app, &browser, "/account/sessions").await;
    assert!(
        unescape(&html).contains("This session"),
        "the choice is remembered"
    );
}

#[tokio::test]
async fn a_confirmation_page_without_its_confirmation_leads_to_the_settings() {
    let app = spawn_app().await;
    let stranger = app.new_browser();
    for (query, why) in [
        ("", "no confirmation named"),
        ("?c=not-a-token", "a malformed id"),
        (
            "?c=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "an id that names no confirmation",
        ),
    ] {
        let path = format!("/account/username/verified{query}");
        let answer = stranger.get(app.url(&path)).send().await.unwrap();
        assert_eq!(answer.status(), 303, "{why}");
        assert_eq!(location(&answer), "/account", "{why}");
    }
}

#[tokio::test]
async fn every_settings_page_and_form_needs_a_session_and_every_form_its_csrf_token() {
    let app = spawn_app().await;
    app.add_user("IP70601").await;
    let pages = [
        "/",
        "/account",
        "/account/password",
        "/account/username",
        "/account/username/sent",
        "/account/sessions",
        "/account/questions",
    ];
    let forms = [
        "/account/password",
        "/account/username",
        "/account/sessions/end",
        "/account/sessions/end-others",
        "/account/questions",
    ];

    // No session (none at all, or a made-up cookie): the login page, and nothing runs.
    let made_up = format!("{}={}", integration_tests::SESSION_COOKIE, "A".repeat(43));
    for cookie in [None, Some(made_up.as_str())] {
        for path in pages {
            let mut request = app.new_browser().get(app.url(path));
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), 303, "GET {path} without a session");
            assert_eq!(location(&answer), "/login", "GET {path}");
        }
        for path in forms {
            let answer = post(&app, &app.new_browser(), path, &[("sid", "x")]).await;
            assert_eq!(answer.status(), 303, "POST {path} without a session");
            assert_eq!(location(&answer), "/login", "POST {path}");
        }
    }

    // Signed in, a form without its token or with a forged one: the translated « page
    // expired » page, and the session it would have ended is still there.
    let browser = signed_in(&app, "IP70601").await;
    let other = signed_in(&app, "IP70601").await;
    for path in forms {
        for (token, why) in [(None, "no token"), (Some("A".repeat(43)), "a forged token")] {
            let mut form = vec![
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ];
            if let Some(token) = token.as_deref() {
                form.push(("csrf", token));
            }
            let answer = post(&app, &browser, path, &form).await;
            assert_eq!(answer.status(), 400, "POST {path} with {why}");
            let page = unescape(&answer.text().await.unwrap());
            assert!(
                page.contains("Votre page a expiré"),
                "POST {path} with {why}: {page}"
            );
        }
    }
    assert!(has_session(&app, &other).await, "end-others ended nothing");
    assert!(
        logs_in(&app, "IP70601", PASSWORD).await,
        "the password is unchanged"
    );
}
