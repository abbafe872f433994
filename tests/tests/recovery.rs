//! "Mot de passe oublié?" (issue 3): a username, 3 of the account's 8 secret questions — the
//! same 3 until answered or expired —, a new password, and every session of the account
//! ended. Wrong answers count toward the lockout and toward a recovery limit that only the
//! help desk lifts; a name that cannot recover online gets one page, whatever the reason;
//! and policy `recovery.email_proof` puts a single-use e-mailed link before the questions.

use figment::providers::Serialized;
use idp::keys::SigningAlg;
use integration_tests::credentials::{answer_for, catalogue, give_questions};
use integration_tests::login::{log_in, sign_in};
use integration_tests::oauth::{field, redeem, refresh};
use integration_tests::page::{input_tag, set_cookie, unescape};
use integration_tests::{
    CALLBACK, PASSWORD, Provider, TestApp, confidential_client, hidden_input, location, provider,
    query_param, redis_url, rp, spawn_app, spawn_app_with,
};

const NEW_PASSWORD: &str = "une toute nouvelle phrase de passe";
const RECOVERY_COOKIE: &str = "__Host-idp_recovery";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// GETs a page that must be shown (200); its HTML.
async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let answer = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(answer.status(), 200, "{path} is shown");
    text_of(answer).await
}

/// Opens `/recovery` and submits `username`; the raw answer.
async fn start(app: &TestApp, browser: &reqwest::Client, username: &str) -> reqwest::Response {
    let html = page(app, browser, "/recovery").await;
    let csrf = hidden_input(&html, "csrf").expect("a csrf field");
    browser
        .post(app.url("/recovery"))
        .form(&[("csrf", csrf.as_str()), ("username", username)])
        .send()
        .await
        .unwrap()
}

/// Starts a recovery that must lead to the questions; returns the ids of the questions asked,
/// in the order shown.
async fn start_to_questions(
    app: &TestApp,
    browser: &reqwest::Client,
    username: &str,
) -> Vec<String> {
    let answer = start(app, browser, username).await;
    assert_eq!(
        answer.status(),
        303,
        "{username} can recover: on to the questions"
    );
    assert_eq!(location(&answer), "/recovery/questions");
    asked(&page(app, browser, "/recovery/questions").await)
}

/// The catalogue ids of the questions a page asks, in the order shown (read from the French
/// texts of the labels).
fn asked(html: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = catalogue()
        .catalogue
        .iter()
        .filter_map(|q| html.find(&q.fr).map(|at| (at, q.id.clone())))
        .collect();
    found.sort();
    found.into_iter().map(|(_, id)| id).collect()
}

/// The body of a response, HTML escapes undone (so texts can be searched as written).
async fn text_of(answer: reqwest::Response) -> String {
    unescape(&answer.text().await.unwrap())
}

/// Posts answers to the questions page shown in this browser; the raw answer.
async fn submit_answers(
    app: &TestApp,
    browser: &reqwest::Client,
    answers: &[String],
) -> reqwest::Response {
    let html = page(app, browser, "/recovery/questions").await;
    let mut form = vec![(
        "csrf".to_owned(),
        hidden_input(&html, "csrf").expect("a csrf field"),
    )];
    for (i, a) in answers.iter().enumerate() {
        form.push((format!("answer_{}", i + 1), a.clone()));
    }
    browser
        .post(app.url("/recovery/questions"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The right answers to `questions`, typed carelessly (case, accents and spaces do not count).
fn right_answers(questions: &[String]) -> Vec<String> {
    questions
        .iter()
        .map(|q| format!("  {}  ", answer_for(q).to_uppercase().replace('é', "e")))
        .collect()
}

/// Answers with the last one wrong.
fn one_wrong(questions: &[String]) -> Vec<String> {
    let mut answers: Vec<String> = questions.iter().map(|q| answer_for(q)).collect();
    if let Some(last) = answers.last_mut() {
        *last = "Pas la bonne réponse".to_owned();
    }
    answers
}

/// Posts the new-password form; the raw answer.
async fn choose_password(
    app: &TestApp,
    browser: &reqwest::Client,
    new: &str,
    confirm: &str,
) -> reqwest::Response {
    let html = page(app, browser, "/recovery/password").await;
    let csrf = hidden_input(&html, "csrf").expect("a csrf field");
    let form = [
        ("csrf", csrf.as_str()),
        ("new_password", new),
        ("confirm_password", confirm),
    ];
    browser
        .post(app.url("/recovery/password"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn logs_in(app: &TestApp, username: &str, password: &str) -> bool {
    let answer = log_in(app, &app.new_browser(), "/login", username, password).await;
    answer.status() == 303
}

/// The failure counter the login shares, straight from Redis.
async fn failures_in_redis(app: &TestApp, sub: &str) -> i64 {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}fail:{{{sub}}}", app.deployment.prefix);
    let n: Option<i64> = redis::cmd("GET")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap();
    n.unwrap_or(0)
}

/// `recovery_failures` and whether recovery is closed, from Postgres.
async fn recovery_standing(app: &TestApp, sub: &str) -> (i32, bool) {
    let db = app.deployment.db.get().await.unwrap();
    let id: uuid::Uuid = sub.parse().unwrap();
    let row = db
        .query_one(
            "SELECT recovery_failures, recovery_closed_at IS NOT NULL FROM accounts WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// The outcomes of the account's recovery audit events, oldest first.
async fn recovery_events(app: &TestApp, sub: &str) -> Vec<String> {
    let db = app.deployment.db.get().await.unwrap();
    let id: uuid::Uuid = sub.parse().unwrap();
    db.query(
        "SELECT outcome FROM audit_events WHERE kind = 'recovery' AND account_id = $1 ORDER BY id",
        &[&id],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// The links of the recovery e-mails delivered to the SMTP sink, oldest first (after every
/// recovery e-mail written to the outbox was delivered).
async fn mailed_links(app: &TestApp) -> Vec<String> {
    let db = app.deployment.db.get().await.unwrap();
    let delivered = integration_tests::wait_until(
        std::time::Duration::from_secs(10),
        std::time::Duration::from_millis(50),
        async || {
            let pending: i64 = db
                .query_one(
                    "SELECT count(*) FROM outbox WHERE notice->>'kind' = 'recovery_link' AND sent_at IS NULL",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            pending == 0
        },
    )
    .await;
    assert!(delivered, "the recovery e-mails are delivered");
    app.smtp
        .messages()
        .await
        .iter()
        .flat_map(|m| m.links())
        .filter(|l| l.contains("/recovery/link?token="))
        .collect()
}

async fn verify_email(app: &TestApp, sub: &str) {
    let db = app.deployment.db.get().await.unwrap();
    let id: uuid::Uuid = sub.parse().unwrap();
    db.execute(
        "UPDATE accounts SET email_verified = true WHERE id = $1",
        &[&id],
    )
    .await
    .unwrap();
}

/// A page with its CSRF token blanked (the only part that differs between two browsers).
fn without_csrf(html: &str) -> String {
    match hidden_input(html, "csrf") {
        Some(token) => html.replace(&token, ""),
        None => html.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// The happy path
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn forgot_password_asks_three_of_the_eight_questions_then_a_new_password_ends_every_session()
{
    let mut registration = confidential_client("portal", CALLBACK, SigningAlg::Es256);
    registration.grant_types = vec!["authorization_code".into(), "refresh_token".into()];
    let Provider {
        app,
        secret,
        metadata,
    } = provider(registration).await;
    let secret = secret.unwrap();
    let sub = app.add_user("IP51001").await;
    let given = give_questions(&app, &sub, 8).await;

    // Elsewhere, the user is signed in with a relying party holding a refresh token.
    let elsewhere = app.new_browser();
    let started = rp::start(&metadata, "portal", CALLBACK, &["openid", "profile"]);
    let answer = sign_in(&app, &elsewhere, started.url.as_str(), "IP51001", PASSWORD).await;
    let callback = url::Url::parse(&location(&answer)).unwrap();
    let code = query_param(&callback, "code").expect("a code");
    let (status, tokens) = redeem(&app, "portal", &secret, &code, started.verifier.secret()).await;
    assert_eq!(status, 200, "{tokens}");
    let refresh_token = field(&tokens, "refresh_token");

    let browser = app.new_browser();
    let form = page(&app, &browser, "/recovery").await;
    assert!(form.contains("lang=\"fr-CA\""), "French by default");
    assert!(form.contains("Mot de passe oublié?"));
    assert!(
        form.contains("<label for=\"username\">"),
        "the field is labelled"
    );

    let answer = start(&app, &browser, "ip51001").await;
    assert_eq!(answer.status(), 303, "a known name, in any case");
    assert_eq!(location(&answer), "/recovery/questions");
    let cookie = set_cookie(&answer, RECOVERY_COOKIE).expect("the recovery cookie");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }

    let html = page(&app, &browser, "/recovery/questions").await;
    let questions = asked(&html);
    assert_eq!(questions.len(), 3, "three questions: {questions:?}");
    assert!(
        questions.iter().all(|q| given.contains(q)),
        "asked among the answered ones"
    );
    for n in 1..=3 {
        let tag = input_tag(&html, &format!("answer_{n}"));
        assert!(
            html.contains(&format!("<label for=\"answer_{n}\">Question {n}")),
            "answer {n} is labelled by its question"
        );
        assert!(!tag.contains("onpaste"), "paste is allowed: {tag}");
    }

    let answer = submit_answers(&app, &browser, &right_answers(&questions)).await;
    assert_eq!(answer.status(), 303, "all three right");
    assert_eq!(location(&answer), "/recovery/password");
    assert_eq!(
        location(
            &browser
                .get(app.url("/recovery/questions"))
                .send()
                .await
                .unwrap()
        ),
        "/recovery/password",
        "the questions are behind this browser now"
    );

    let answer = choose_password(&app, &browser, NEW_PASSWORD, "autre chose entièrement").await;
    assert_eq!(answer.status(), 400);
    assert!(text_of(answer).await.contains("ne correspond pas"));
    let answer = choose_password(&app, &browser, PASSWORD, PASSWORD).await;
    assert_eq!(answer.status(), 400, "the history applies");
    assert!(text_of(answer).await.contains("déjà été utilisé"));

    let answer = choose_password(&app, &browser, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(answer.status(), 303);
    assert_eq!(location(&answer), "/recovery/done");
    let removed = set_cookie(&answer, RECOVERY_COOKIE).expect("the cookie is removed");
    assert!(removed.contains("Max-Age=0"), "{removed}");
    let done = page(&app, &browser, "/recovery/done").await;
    assert!(done.contains("Votre mot de passe a été changé"), "{done}");
    assert!(done.contains("href=\"/login\""), "a link to sign in");

    let home = browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(location(&home), "/login", "not signed in automatically");
    let home = elsewhere.get(app.url("/")).send().await.unwrap();
    assert_eq!(location(&home), "/login", "the other session was ended");
    let (status, body) = refresh(&app, "portal", &secret, &refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the refresh token was revoked"
    );
    assert!(
        !logs_in(&app, "IP51001", PASSWORD).await,
        "the old password is gone"
    );
    assert!(
        logs_in(&app, "IP51001", NEW_PASSWORD).await,
        "the new one works"
    );

    assert_eq!(
        recovery_events(&app, &sub).await,
        ["started", "answered", "succeeded"],
        "every step is audited"
    );
    let db = app.deployment.db.get().await.unwrap();
    let leaked: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_events WHERE detail::text ILIKE '%ponse%' \
             OR detail::text ILIKE '%phrase de passe%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(leaked, 0, "no answer or password in the audit trail");
    let notices: i64 = db
        .query_one(
            "SELECT count(*) FROM outbox WHERE notice->>'kind' = 'password_recovered'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(notices, 1, "the owner is told by e-mail");
}

// ---------------------------------------------------------------------------------------------
// Wrong answers, the limit, the help desk
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn wrong_answers_count_toward_the_lockout_and_the_same_questions_stay_asked() {
    let app = spawn_app().await;
    let sub = app.add_user("IP51002").await;
    give_questions(&app, &sub, 8).await;
    let browser = app.new_browser();
    let questions = start_to_questions(&app, &browser, "IP51002").await;

    let wrong = one_wrong(&questions);
    let answer = submit_answers(&app, &browser, &wrong).await;
    assert_eq!(answer.status(), 400);
    let html = text_of(answer).await;
    assert!(
        html.contains("Au moins une réponse est incorrecte"),
        "one message: {html}"
    );
    assert!(html.contains("role=\"alert\""), "announced");
    for typed in &wrong {
        assert!(!html.contains(typed.as_str()), "answers are never echoed");
    }
    for n in 1..=3 {
        let tag = input_tag(&html, &format!("answer_{n}"));
        assert!(
            tag.contains("aria-invalid=\"true\"") && tag.contains("answers-error"),
            "every field alike, never which one was wrong: {tag}"
        );
    }
    assert_eq!(asked(&html), questions, "the same questions, shown again");
    assert_eq!(
        failures_in_redis(&app, &sub).await,
        1,
        "one failed login counted"
    );
    assert_eq!(recovery_standing(&app, &sub).await, (1, false));

    // An empty answer is a form to complete: nothing counted.
    let mut incomplete = right_answers(&questions);
    incomplete[1] = "   ".into();
    let answer = submit_answers(&app, &browser, &incomplete).await;
    assert_eq!(answer.status(), 400);
    let html = text_of(answer).await;
    assert!(
        html.contains("Question 2\u{a0}: entrez une réponse."),
        "{html}"
    );
    let tag = input_tag(&html, "answer_2");
    assert!(
        tag.contains("aria-invalid=\"true\"") && tag.contains("answer_2-error"),
        "the error is tied to its field: {tag}"
    );
    assert_eq!(failures_in_redis(&app, &sub).await, 1);

    // No question shopping: reloading, or starting again from another browser.
    assert_eq!(
        asked(&page(&app, &browser, "/recovery/questions").await),
        questions
    );
    let other = app.new_browser();
    assert_eq!(
        start_to_questions(&app, &other, "IP51002").await,
        questions,
        "another browser gets the same questions"
    );
    let again = start_to_questions(&app, &browser, "ip51002").await;
    assert_eq!(again, questions, "starting over gets the same questions");

    // The counter is the login's: four bad passwords more lock the account (5 failures).
    for _ in 0..4 {
        assert!(!logs_in(&app, "IP51002", "pas le bon mot de passe").await);
    }
    assert!(
        !logs_in(&app, "IP51002", PASSWORD).await,
        "locked: recovery failures and login failures share one counter"
    );
    // Locked: even the right answers are answered like wrong ones, and not counted.
    let answer = submit_answers(&app, &other, &right_answers(&questions)).await;
    assert_eq!(answer.status(), 400);
    assert!(
        text_of(answer)
            .await
            .contains("Au moins une réponse est incorrecte")
    );
    assert_eq!(
        recovery_standing(&app, &sub).await,
        (1, false),
        "not counted"
    );
    assert_eq!(
        recovery_events(&app, &sub).await,
        ["started", "failed", "started", "started", "failed"]
    );
}

#[tokio::test]
async fn three_failed_challenges_close_recovery_until_the_help_desk_reopens_it() {
    let app = spawn_app().await;
    let sub = app.add_user("IP51003").await;
    give_questions(&app, &sub, 8).await;
    let browser = app.new_browser();
    let questions = start_to_questions(&app, &browser, "IP51003").await;

    for n in 1..=2 {
        let answer = submit_answers(&app, &browser, &one_wrong(&questions)).await;
        assert_eq!(
            answer.status(),
            400,
            "failed challenge {n}: the questions again"
        );
    }
    let answer = submit_answers(&app, &browser, &one_wrong(&questions)).await;
    assert_eq!(answer.status(), 200, "the third: the assistance page");
    assert!(set_cookie(&answer, RECOVERY_COOKIE).is_some_and(|c| c.contains("Max-Age=0")));
    let html = text_of(answer).await;
    assert!(
        html.contains("nombre maximal d'essais est atteint"),
        "{html}"
    );
    assert!(html.contains("418 643-9025"), "with the assistance numbers");
    assert_eq!(
        recovery_standing(&app, &sub).await,
        (3, true),
        "closed in Postgres"
    );
    assert_eq!(failures_in_redis(&app, &sub).await, 3);
    assert!(
        recovery_events(&app, &sub)
            .await
            .ends_with(&["failed".to_owned(), "closed".to_owned()])
    );

    let closed = start(&app, &app.new_browser(), "IP51003").await;
    assert_eq!(
        closed.status(),
        200,
        "no questions any more, even the right ones"
    );
    let page_html = text_of(closed).await;
    assert!(page_html.contains("mot de passe temporaire"));
    assert!(
        logs_in(&app, "IP51003", PASSWORD).await,
        "the password itself still works: only recovery is closed"
    );

    let db = app.deployment.db.get().await.unwrap();
    let kv = idp::store::Kv::connect(&redis_url(), &app.deployment.prefix)
        .await
        .unwrap();
    idp::admin::users::unlock(&db, &kv, "IP51003")
        .await
        .unwrap();
    assert_eq!(recovery_standing(&app, &sub).await, (0, false), "reopened");
    let reopened = start_to_questions(&app, &app.new_browser(), "IP51003").await;
    assert_eq!(reopened.len(), 3, "recovery works again");
}

// ---------------------------------------------------------------------------------------------
// Names that cannot recover online
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_unknown_username_is_indistinguishable_from_an_account_without_questions() {
    let app = spawn_app().await;
    app.add_user("IP51004").await; // no questions
    let few = app.add_user("IP51005").await;
    give_questions(&app, &few, 2).await; // fewer than the 3 asked
    let disabled = app.add_user("IP51006").await;
    give_questions(&app, &disabled, 8).await;
    let closed = app.add_user("IP51007").await;
    give_questions(&app, &closed, 8).await;
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE accounts SET disabled_at = now() WHERE username = 'IP51006'",
        &[],
    )
    .await
    .unwrap();
    db.execute(
        "UPDATE accounts SET recovery_closed_at = now(), recovery_failures = 3 WHERE username = 'IP51007'",
        &[],
    )
    .await
    .unwrap();

    let browser = app.new_browser();
    let reference = start(&app, &browser, "IP59999").await;
    assert_eq!(reference.status(), 200);
    assert!(set_cookie(&reference, RECOVERY_COOKIE).is_none());
    let reference = without_csrf(&text_of(reference).await);
    assert!(
        reference.contains("mot de passe temporaire")
            && reference.contains("Centre d'assistance aux professionnels"),
        "the source document's message: {reference}"
    );
    for centre in
        &idp::config::Config::figment(&integration_tests::repo_root().join("config"), "test")
            .extract_inner::<idp::recovery::RecoveryConfig>("recovery")
            .unwrap()
            .assistance
    {
        assert!(
            reference.contains(&centre.name_fr),
            "{} is listed",
            centre.name_fr
        );
        assert!(reference.contains(&centre.hours_fr));
        for phone in &centre.phones {
            assert!(
                reference.contains(&phone.number),
                "{} is listed",
                phone.number
            );
        }
    }

    let cases = [
        ("IP51004", "an account without questions"),
        ("ip51005", "an account with too few questions"),
        ("IP51006", "a disabled account"),
        ("IP51007", "an account whose recovery is closed"),
        ("quelqu.un@example.org", "an unknown e-mail alias"),
    ];
    for (name, why) in cases {
        for browser in [&browser, &app.new_browser()] {
            let answer = start(&app, browser, name).await;
            assert_eq!(answer.status(), 200, "{why}");
            assert!(
                set_cookie(&answer, RECOVERY_COOKIE).is_none(),
                "{why}: no recovery"
            );
            let body = without_csrf(&text_of(answer).await);
            assert_eq!(body, reference, "{why}: the same page as an unknown name");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Policy recovery.email_proof
// ---------------------------------------------------------------------------------------------

async fn email_proof_app(policy: &str) -> TestApp {
    let policy = policy.to_owned();
    spawn_app_with(move |f| f.merge(Serialized::default("recovery.email_proof", policy.clone())))
        .await
}

#[tokio::test]
async fn with_email_proof_the_questions_come_only_after_the_emailed_link_which_works_once() {
    let app = email_proof_app("when_available").await;
    let sub = app.add_user("IP51008").await;
    give_questions(&app, &sub, 8).await;
    verify_email(&app, &sub).await;

    let browser = app.new_browser();
    let answer = start(&app, &browser, "IP51008").await;
    assert_eq!(answer.status(), 200, "a page, not the questions");
    assert!(set_cookie(&answer, RECOVERY_COOKIE).is_none());
    let html = text_of(answer).await;
    assert!(html.contains("Consultez vos courriels"), "{html}");
    let skip = browser
        .get(app.url("/recovery/questions"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&skip), "/recovery", "no questions before the link");

    let links = mailed_links(&app).await;
    assert_eq!(links.len(), 1, "one e-mail with a link");
    let link = &links[0];
    let prefix = format!("{}/recovery/link?token=", app.issuer);
    assert!(
        link.starts_with(&prefix),
        "built from the public URL: {link}"
    );
    assert_eq!(recovery_events(&app, &sub).await, ["link_sent"]);

    let follower = app.new_browser();
    let followed = follower.get(link.as_str()).send().await.unwrap();
    assert_eq!(followed.status(), 303, "the link opens the questions");
    assert_eq!(location(&followed), "/recovery/questions");
    assert!(set_cookie(&followed, RECOVERY_COOKIE).is_some());
    let questions = asked(&page(&app, &follower, "/recovery/questions").await);
    assert_eq!(questions.len(), 3);
    let answer = submit_answers(&app, &follower, &right_answers(&questions)).await;
    assert_eq!(location(&answer), "/recovery/password");

    let reused = app.new_browser().get(link.as_str()).send().await.unwrap();
    assert_eq!(reused.status(), 400, "a link works once");
    let html = text_of(reused).await;
    assert!(html.contains("Ce lien n'est plus valide"), "{html}");
    assert!(
        html.contains("href=\"/recovery\""),
        "with a way to start again"
    );
    for bad in [
        "/recovery/link",
        "/recovery/link?token=abc",
        "/recovery/link?token=%00%FF",
    ] {
        let answer = app.new_browser().get(app.url(bad)).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{bad}");
        assert!(text_of(answer).await.contains("Ce lien n'est plus valide"));
    }

    // An account without a verified address goes straight to its questions.
    let plain = app.add_user("IP51009").await;
    give_questions(&app, &plain, 8).await;
    assert_eq!(
        start_to_questions(&app, &app.new_browser(), "IP51009")
            .await
            .len(),
        3
    );
    assert_eq!(mailed_links(&app).await.len(), 1, "no e-mail for it");
}

#[tokio::test]
async fn with_email_proof_off_a_verified_address_changes_nothing() {
    let app = spawn_app().await;
    let sub = app.add_user("IP51010").await;
    give_questions(&app, &sub, 8).await;
    verify_email(&app, &sub).await;
    assert_eq!(
        start_to_questions(&app, &app.new_browser(), "IP51010")
            .await
            .len(),
        3
    );
    assert!(mailed_links(&app).await.is_empty(), "no link sent");
}

#[tokio::test]
async fn with_email_proof_required_an_account_without_a_verified_address_cannot_recover_online() {
    let app = email_proof_app("required").await;
    let sub = app.add_user("IP51011").await;
    give_questions(&app, &sub, 8).await;
    let browser = app.new_browser();
    let answer = start(&app, &browser, "IP51011").await;
    assert_eq!(answer.status(), 200);
    let body = without_csrf(&text_of(answer).await);
    let unknown = without_csrf(&text_of(start(&app, &browser, "IP59998").await).await);
    assert_eq!(body, unknown, "the assistance page");
    assert!(mailed_links(&app).await.is_empty());
}

#[tokio::test]
async fn recovery_links_are_built_from_the_public_url_never_from_the_host_header() {
    let app = email_proof_app("when_available").await;
    let sub = app.add_user("IP51012").await;
    give_questions(&app, &sub, 8).await;
    verify_email(&app, &sub).await;
    let browser = app.new_browser();
    let html = page(&app, &browser, "/recovery").await;
    let csrf = hidden_input(&html, "csrf").unwrap();
    let answer = browser
        .post(app.url("/recovery"))
        .header("X-Forwarded-Host", "evil.example")
        .header("X-Forwarded-Proto", "http")
        .header("Forwarded", "host=evil.example;proto=http")
        .header("Host", "evil.example")
        .form(&[("csrf", csrf.as_str()), ("username", "IP51012")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "the check-your-e-mail page");
    let links = mailed_links(&app).await;
    assert_eq!(links.len(), 1);
    assert!(
        links[0].starts_with(&format!("{}/recovery/link?token=", app.issuer)),
        "the configured public URL: {}",
        links[0]
    );
    assert!(!links[0].contains("evil"), "{}", links[0]);
}

// ---------------------------------------------------------------------------------------------
// Hostile and malformed input
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn malformed_forged_or_oversized_input_gets_a_clear_400_page_never_a_500() {
    let app = spawn_app().await;
    let sub = app.add_user("IP51013").await;
    give_questions(&app, &sub, 8).await;
    let browser = app.new_browser();
    let html = page(&app, &browser, "/recovery").await;
    let csrf = hidden_input(&html, "csrf").unwrap();
    let post =
        |form: Vec<(&'static str, String)>| browser.post(app.url("/recovery")).form(&form).send();

    let answer = post(vec![("username", "IP51013".into())]).await.unwrap();
    assert_eq!(answer.status(), 400, "no CSRF token");
    assert!(text_of(answer).await.contains("Votre page a expiré"));

    let answer = post(vec![("csrf", csrf.clone())]).await.unwrap();
    assert_eq!(answer.status(), 400, "no username field");
    let html = text_of(answer).await;
    assert!(html.contains("Entrez votre nom d'utilisateur."), "{html}");
    let tag = input_tag(&html, "username");
    assert!(
        tag.contains("aria-invalid=\"true\"") && tag.contains("username-error"),
        "{tag}"
    );

    let huge = "IP".repeat(5_000);
    let answer = post(vec![("csrf", csrf.clone()), ("username", huge.clone())])
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "a 10 KB username");
    let html = text_of(answer).await;
    assert!(html.contains("n'est pas valide"), "{html}");
    assert!(!html.contains(&huge[..300]), "not echoed");

    let answer = browser
        .post(app.url("/recovery"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400, "not a form");

    // Cookies: none, tampered, well-formed but unknown.
    let none = app
        .new_browser()
        .get(app.url("/recovery/questions"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&none), "/recovery", "never started: to the start");
    for (value, why) in [
        ("garbage;<script>", "a tampered cookie"),
        (
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "an unknown id",
        ),
    ] {
        for path in ["/recovery/questions", "/recovery/password"] {
            let answer = app
                .new_browser()
                .get(app.url(path))
                .header("cookie", format!("{RECOVERY_COOKIE}={value}"))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 400, "{why} at {path}");
            assert!(
                text_of(answer)
                    .await
                    .contains("a expiré ou n'est plus valide"),
                "{why}: a clear page"
            );
        }
    }

    // Out of order: the password step waits for the answers, and answers need a recovery.
    let questions = start_to_questions(&app, &browser, "IP51013").await;
    let early = browser
        .get(app.url("/recovery/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&early), "/recovery/questions");
    let html = page(&app, &browser, "/recovery/questions").await;
    let csrf = hidden_input(&html, "csrf").unwrap();
    let long = "x".repeat(10_000);
    let form = [
        ("csrf", csrf.as_str()),
        ("answer_1", long.as_str()),
        ("answer_2", "a"),
        ("answer_3", "b"),
    ];
    let answer = browser
        .post(app.url("/recovery/questions"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        400,
        "an oversized answer is a wrong answer"
    );
    assert_eq!(asked(&text_of(answer).await), questions);
    let forged = app
        .new_browser()
        .post(app.url("/recovery/questions"))
        .form(&[("answer_1", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400, "no CSRF token");

    let english = page(&app, &app.new_browser(), "/recovery?lang=en").await;
    assert!(english.contains("lang=\"en\"") && english.contains("Forgot your password?"));
}
