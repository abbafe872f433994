//! "Mot de passe oublié?" (issue 3): a username, 3 of the account's 8 secret questions — the
//! same 3 until answered or expired —, a new password, and every session of the account
//! ended. Wrong answers count toward the lockout and toward a recovery limit that only the
//! help desk lifts; a name that cannot recover online gets one page, whatever the reason;
//! and policy `recovery.email_proof` puts a single-use e-mailed link before the questions.

use figment::providers::Serialized;
use idp::keys::SigningAlg;
use integration_tests::credentials::{catalogue, give_questions, post_new_password};
use integration_tests::login::{logs_in, sign_in};
use integration_tests::oauth::{field, redeem, refresh};
use integration_tests::page::{input_tag, set_cookie};
use integration_tests::recovery::{
    asked, exact_answers, page, start, start_to_questions, submit_answers, text_of,
};
use integration_tests::{
    CALLBACK, PASSWORD, Provider, TestApp, confidential_client, hidden_input, location, provider,
    query_param, redis_url, rp, spawn_app, spawn_app_with,
};

const NEW_PASSWORD: &str = "une toute nouvelle phrase de passe";
const RECOVERY_COOKIE: &str = "__Host-idp_recovery";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// GETs an absolute URL that must be shown (200); its HTML.
async fn page_at(app: &TestApp, url: &str) -> String {
    let answer = app.new_browser().get(url).send().await.unwrap();
    assert_eq!(answer.status(), 200, "{url} is shown");
    text_of(answer).await
}

/// The right answers to `questions`, typed carelessly (case, accents and spaces do not count).
fn right_answers(questions: &[String]) -> Vec<String> {
    exact_answers(questions)
        .iter()
        .map(|a| format!("  {}  ", a.to_uppercase().replace('é', "e")))
        .collect()
}

/// Answers with the last one wrong.
fn one_wrong(questions: &[String]) -> Vec<String> {
    let mut answers = exact_answers(questions);
    if let Some(last) = answers.last_mut() {
        *last = "Pas la bonne réponse".to_owned();
    }
    answers
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

/// Seconds left to the account's challenge in Redis (-2: none).
async fn challenge_ttl(app: &TestApp, sub: &str) -> i64 {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}recovery-challenge:{{{sub}}}", app.deployment.prefix);
    redis::cmd("TTL")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap()
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

/// Opens an e-mailed recovery link in `browser`: the GET shows a page with one button and
/// spends nothing; the button posts the token. The raw answer to the POST.
async fn follow_link(app: &TestApp, browser: &reqwest::Client, link: &str) -> reqwest::Response {
    let shown = browser.get(link).send().await.unwrap();
    assert_eq!(shown.status(), 200, "a well-formed link shows its button");
    let html = shown.text().await.unwrap();
    assert!(
        html.contains("<form method=\"post\" action=\"/recovery/link\">"),
        "{html}"
    );
    let csrf = hidden_input(&html, "csrf").expect("a csrf field");
    let token = hidden_input(&html, "token").expect("the token, to post");
    browser
        .post(app.url("/recovery/link"))
        .form(&[("csrf", csrf.as_str()), ("token", token.as_str())])
        .send()
        .await
        .unwrap()
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

    let answer = post_new_password(
        &app,
        &browser,
        "/recovery/password",
        NEW_PASSWORD,
        "autre chose entièrement",
    )
    .await;
    assert_eq!(answer.status(), 400);
    assert!(text_of(answer).await.contains("ne correspond pas"));
    let answer = post_new_password(&app, &browser, "/recovery/password", PASSWORD, PASSWORD).await;
    assert_eq!(answer.status(), 400, "the history applies");
    assert!(text_of(answer).await.contains("déjà été utilisé"));

    let answer = post_new_password(
        &app,
        &browser,
        "/recovery/password",
        NEW_PASSWORD,
        NEW_PASSWORD,
    )
    .await;
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
    let questions = start_to_questions(&app, &browser, "IP51002").await.ids;

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
        start_to_questions(&app, &other, "IP51002").await.ids,
        questions,
        "another browser gets the same questions"
    );
    let again = start_to_questions(&app, &browser, "ip51002").await.ids;
    assert_eq!(again, questions, "starting over gets the same questions");
    assert!(
        challenge_ttl(&app, &sub).await > 6 * 86_400,
        "kept for days: waiting for it to expire draws no easier questions"
    );

    // The counter is the login's: four bad passwords more lock the account (5 failures).
    for _ in 0..4 {
        assert!(!logs_in(&app, "IP51002", "pas le bon mot de passe").await);
    }
    assert!(
        !logs_in(&app, "IP51002", PASSWORD).await,
        "locked: recovery failures and login failures share one counter"
    );
    // Locked: even the right answers are answered like wrong ones. They count toward the
    // recovery limit (so a lock never keeps a recovery open longer than a decoy's, which
    // closes after as many sets), never toward the lock.
    let answer = submit_answers(&app, &other, &right_answers(&questions)).await;
    assert_eq!(answer.status(), 400);
    assert!(
        text_of(answer)
            .await
            .contains("Au moins une réponse est incorrecte")
    );
    assert_eq!(
        recovery_standing(&app, &sub).await,
        (2, false),
        "counted toward the recovery limit"
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
    let questions = start_to_questions(&app, &browser, "IP51003").await.ids;

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
    // The owner is told, in French by default, with the way out and nothing secret.
    let mails = app.smtp.wait_for("ip51003@example.org", 1).await;
    let closed_mails: Vec<_> = mails
        .iter()
        .filter(|m| m.subject == "Changement de mot de passe en ligne bloqué")
        .collect();
    assert_eq!(
        closed_mails.len(),
        1,
        "one e-mail for one closing: {mails:?}"
    );
    let mail = closed_mails[0];
    assert!(
        mail.text
            .contains("« Mot de passe oublié? » est maintenant bloquée"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("Pharmaciens : 418 643-9025"),
        "the pharmacist's own line: {}",
        mail.text
    );
    for typed in one_wrong(&questions) {
        assert!(
            !mail.raw.contains(typed.as_str()),
            "no answer in the e-mail"
        );
    }
    assert!(mail.links().is_empty(), "no link in it");

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
    let kv = idp::store::Kv::open(&idp::config::RedisConfig::new(
        &redis_url(),
        &app.deployment.prefix,
    ))
    .unwrap();
    idp::admin::users::unlock(&db, &kv, "IP51003")
        .await
        .unwrap();
    assert_eq!(recovery_standing(&app, &sub).await, (0, false), "reopened");
    let reopened = start_to_questions(&app, &app.new_browser(), "IP51003")
        .await
        .ids;
    assert_eq!(reopened.len(), 3, "recovery works again");

    // Reopening also forgets the questions under way: the next recovery draws new ones.
    assert!(challenge_ttl(&app, &sub).await > 0, "a challenge under way");
    idp::admin::users::unlock(&db, &kv, "IP51003")
        .await
        .unwrap();
    assert_eq!(challenge_ttl(&app, &sub).await, -2, "no challenge any more");
}

// ---------------------------------------------------------------------------------------------
// Parallel answers, and recovery closed meanwhile
// ---------------------------------------------------------------------------------------------

/// A browser at the questions of `username`, with a filled form ready to post.
async fn ready_to_answer(
    app: &TestApp,
    username: &str,
    answers: impl Fn(&[String]) -> Vec<String>,
) -> (reqwest::Client, Vec<(String, String)>) {
    let browser = app.new_browser();
    let questions = start_to_questions(app, &browser, username).await.ids;
    let html = page(app, &browser, "/recovery/questions").await;
    let mut form = vec![("csrf".to_owned(), hidden_input(&html, "csrf").unwrap())];
    for (i, a) in answers(&questions).into_iter().enumerate() {
        form.push((format!("answer_{}", i + 1), a));
    }
    (browser, form)
}

/// How many audit events of the account have `outcome`.
async fn events_with(app: &TestApp, sub: &str, outcome: &str) -> usize {
    recovery_events(app, sub)
        .await
        .iter()
        .filter(|o| *o == outcome)
        .count()
}

#[tokio::test]
async fn answers_posted_in_parallel_are_checked_one_set_at_a_time_and_never_past_the_limit() {
    let app = spawn_app().await;
    let sub = app.add_user("IP51020").await;
    give_questions(&app, &sub, 8).await;
    // Ten browsers (an attacker's) at the questions of one account, forms filled, connections
    // open: then every form is posted at once.
    let mut ready = Vec::new();
    for _ in 0..10 {
        ready.push(ready_to_answer(&app, "IP51020", one_wrong).await);
    }
    let mut posts = tokio::task::JoinSet::new();
    for (browser, form) in ready {
        let url = app.url("/recovery/questions");
        posts.spawn(async move {
            let answer = browser.post(url).form(&form).send().await.unwrap();
            answer.status().as_u16()
        });
    }
    let statuses = posts.join_all().await;

    let checked = events_with(&app, &sub, "failed").await;
    assert!(
        (1..=3).contains(&checked),
        "at most max_failed_challenges sets checked, got {checked}: {statuses:?}"
    );
    assert!(
        statuses.contains(&429),
        "a set posted while another is checked waits its turn: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 400, 429].contains(s)),
        "wrong (400), closed (200, the assistance page) or busy (429): {statuses:?}"
    );
    let (failures, _) = recovery_standing(&app, &sub).await;
    assert_eq!(
        usize::try_from(failures).unwrap(),
        checked,
        "one failure per set checked, no more"
    );
    assert_eq!(
        usize::try_from(failures_in_redis(&app, &sub).await).unwrap(),
        checked,
        "the lockout counted the sets checked"
    );
    assert!(events_with(&app, &sub, "closed").await <= 1);

    // Whatever got through, never past the limit: posting on closes recovery at 3.
    for _ in 0..5 {
        let (browser, form) = ready_to_answer(&app, "IP51020", one_wrong).await;
        let answer = browser
            .post(app.url("/recovery/questions"))
            .form(&form)
            .send()
            .await
            .unwrap();
        if answer.status() == 200 {
            break;
        }
    }
    assert_eq!(recovery_standing(&app, &sub).await, (3, true));
    assert_eq!(events_with(&app, &sub, "failed").await, 3);
}

#[tokio::test]
async fn a_set_posted_while_the_account_is_being_checked_is_neither_checked_nor_counted() {
    let app = spawn_app().await;
    let sub = app.add_user("IP51021").await;
    give_questions(&app, &sub, 8).await;
    let browser = app.new_browser();
    let questions = start_to_questions(&app, &browser, "IP51021").await.ids;

    // Another node is checking this account's answers: it holds the flight.
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}recovery-check:{{{sub}}}", app.deployment.prefix);
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg("another-node")
        .arg("EX")
        .arg(15)
        .query_async(&mut conn)
        .await
        .unwrap();
    let answer = submit_answers(&app, &browser, &right_answers(&questions)).await;
    assert_eq!(answer.status(), 429, "busy, even with the right answers");
    assert!(answer.headers().contains_key("retry-after"));
    assert!(text_of(answer).await.contains("Trop de tentatives"));
    let answer = submit_answers(&app, &browser, &one_wrong(&questions)).await;
    assert_eq!(answer.status(), 429);
    assert_eq!(
        recovery_standing(&app, &sub).await,
        (0, false),
        "not counted"
    );
    assert_eq!(failures_in_redis(&app, &sub).await, 0);
    let held: Option<String> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        held.as_deref(),
        Some("another-node"),
        "its flight is left alone"
    );

    // Once it lands, the next set is checked, and the flight is let go afterwards.
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let answer = submit_answers(&app, &browser, &one_wrong(&questions)).await;
    assert_eq!(answer.status(), 400);
    assert_eq!(recovery_standing(&app, &sub).await, (1, false));
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(exists, 0, "released after the failure was recorded");
    let answer = submit_answers(&app, &browser, &right_answers(&questions)).await;
    assert_eq!(location(&answer), "/recovery/password");
    assert_eq!(
        recovery_events(&app, &sub).await,
        ["started", "throttled", "throttled", "failed", "answered"]
    );
}

#[tokio::test]
async fn once_recovery_closes_no_browser_goes_further_even_one_already_past_the_questions() {
    let app = spawn_app().await;
    let sub = app.add_user("IP51022").await;
    give_questions(&app, &sub, 8).await;

    // The owner answers right and is at the new-password step…
    let owner = app.new_browser();
    let questions = start_to_questions(&app, &owner, "IP51022").await.ids;
    let answer = submit_answers(&app, &owner, &right_answers(&questions)).await;
    assert_eq!(location(&answer), "/recovery/password");
    // …another browser, at the questions of the same account, waits…
    let (waiting, waiting_form) = ready_to_answer(&app, "IP51022", right_answers).await;
    // …and a third fails three challenges: recovery closes.
    let attacker = app.new_browser();
    let theirs = start_to_questions(&app, &attacker, "IP51022").await.ids;
    for _ in 0..3 {
        submit_answers(&app, &attacker, &one_wrong(&theirs)).await;
    }
    assert_eq!(recovery_standing(&app, &sub).await, (3, true));

    // The waiting browser's right answers are no longer checked.
    let answer = waiting
        .post(app.url("/recovery/questions"))
        .form(&waiting_form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "the assistance page");
    assert!(set_cookie(&answer, RECOVERY_COOKIE).is_some_and(|c| c.contains("Max-Age=0")));
    assert!(text_of(answer).await.contains("mot de passe temporaire"));

    // The owner's browser cannot set a password any more.
    let shown = owner
        .get(app.url("/recovery/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), 200, "the assistance page, not the form");
    assert!(set_cookie(&shown, RECOVERY_COOKIE).is_some_and(|c| c.contains("Max-Age=0")));
    let html = text_of(shown).await;
    assert!(html.contains("mot de passe temporaire"), "{html}");
    assert!(!html.contains("new_password"), "{html}");
    assert!(
        logs_in(&app, "IP51022", PASSWORD).await,
        "the password did not change"
    );
    assert_eq!(
        events_with(&app, &sub, "failed").await,
        3,
        "only the attacker's sets were checked after the owner's"
    );
    assert_eq!(events_with(&app, &sub, "refused").await, 2);
    assert_eq!(events_with(&app, &sub, "succeeded").await, 0);
}

#[tokio::test]
async fn a_browser_at_the_new_password_step_cannot_post_one_once_recovery_closed() {
    let app = spawn_app().await;
    let sub = app.add_user("IP51023").await;
    give_questions(&app, &sub, 8).await;
    let owner = app.new_browser();
    let questions = start_to_questions(&app, &owner, "IP51023").await.ids;
    let answer = submit_answers(&app, &owner, &right_answers(&questions)).await;
    assert_eq!(location(&answer), "/recovery/password");
    let html = page(&app, &owner, "/recovery/password").await;
    let csrf = hidden_input(&html, "csrf").unwrap();

    // Closed meanwhile (failed challenges elsewhere).
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE accounts SET recovery_closed_at = now(), recovery_failures = 3 WHERE username = 'IP51023'",
        &[],
    )
    .await
    .unwrap();
    let answer = owner
        .post(app.url("/recovery/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "the assistance page");
    assert!(text_of(answer).await.contains("mot de passe temporaire"));
    assert!(!logs_in(&app, "IP51023", NEW_PASSWORD).await, "not set");
    assert!(logs_in(&app, "IP51023", PASSWORD).await);
}

// ---------------------------------------------------------------------------------------------
// The start, limited per address
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn starts_are_limited_per_address_whatever_the_names() {
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default(
            "rate_limit.password_checks_per_ip_per_minute",
            3,
        ))
    })
    .await;
    let sub = app.add_user("IP51024").await;
    give_questions(&app, &sub, 8).await;
    // The window is a calendar minute: begin early in one.
    let second = chrono::Utc::now().timestamp() % 60;
    if second > 45 {
        let wait = u64::try_from(61 - second).unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    let browser = app.new_browser();
    // Unknown names get decoy questions: the same 303 as a real account.
    for (name, status) in [
        ("IP59990", 303),
        ("IP51024", 303),
        ("quelqu.un@example.org", 303),
    ] {
        assert_eq!(start(&app, &browser, name).await.status(), status, "{name}");
    }
    for name in ["IP59991", "IP51024"] {
        let answer = start(&app, &app.new_browser(), name).await;
        assert_eq!(answer.status(), 429, "{name}: over the limit, known or not");
        assert!(answer.headers().contains_key("retry-after"));
        assert!(text_of(answer).await.contains("Trop de tentatives"));
    }
    // A form left empty or malformed looks nothing up, and says so rather than 429.
    let answer = start(&app, &browser, "").await;
    assert_eq!(answer.status(), 400);
    assert!(
        recovery_events(&app, &sub)
            .await
            .contains(&"started".to_owned()),
        "the first start went through"
    );
}

// ---------------------------------------------------------------------------------------------
// Names that cannot recover online
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_account_without_enough_questions_or_with_recovery_closed_gets_the_assistance_page() {
    let app = spawn_app().await;
    app.add_user("IP51004").await; // no questions
    let few = app.add_user("IP51005").await;
    give_questions(&app, &few, 2).await; // fewer than the 3 asked
    let closed = app.add_user("IP51007").await;
    give_questions(&app, &closed, 8).await;
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE accounts SET recovery_closed_at = now(), recovery_failures = 3 WHERE username = 'IP51007'",
        &[],
    )
    .await
    .unwrap();

    let browser = app.new_browser();
    let reference = start(&app, &browser, "IP51004").await;
    assert_eq!(reference.status(), 200);
    assert!(set_cookie(&reference, RECOVERY_COOKIE).is_none());
    let reference = without_csrf(&text_of(reference).await);
    assert!(
        reference.contains("mot de passe temporaire")
            && reference.contains("Centre d'assistance aux professionnels"),
        "the source document's message: {reference}"
    );
    for centre in professional_centres() {
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
        ("ip51005", "an account with too few questions"),
        ("IP51007", "an account whose recovery is closed"),
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
            assert_eq!(body, reference, "{why}: the same page");
        }
    }
}

/// The assistance centres configured for professionals.
fn professional_centres() -> Vec<idp::config::AssistanceCentre> {
    idp::config::Config::figment(&integration_tests::repo_root().join("config"), "test")
        .extract_inner::<idp::config::RecoveryConfig>("recovery")
        .unwrap()
        .assistance
        .into_iter()
        .filter(|c| c.account_types.iter().any(|t| t == "professional"))
        .collect()
}

/// A recovery's pages with what must differ between two accounts taken out: the CSRF token,
/// the texts of the questions asked and their answer-format hints.
fn shape_of(html: &str) -> String {
    let mut shape: String = without_csrf(html)
        .lines()
        // A hint's line, and the blank line a question without one leaves, both go.
        .filter(|l| !l.trim().is_empty() && !l.contains("<p class=\"hint\" id=\"answer_"))
        .collect::<Vec<_>>()
        .join("\n");
    for n in 1..=3 {
        let hint = format!("answer_{n}-hint");
        shape = shape
            .replace(&format!(" aria-describedby=\"{hint}\""), "")
            .replace(&format!("{hint} "), "");
    }
    for q in &catalogue().catalogue {
        shape = shape.replace(&q.fr, "QUESTION");
    }
    shape
}

#[tokio::test]
async fn an_unknown_name_gets_decoy_questions_that_are_always_refused_like_a_real_accounts() {
    let app = spawn_app().await;
    let real = app.add_user("IP51040").await;
    give_questions(&app, &real, 8).await;
    let disabled = app.add_user("IP51041").await;
    give_questions(&app, &disabled, 8).await;
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE accounts SET disabled_at = now() WHERE username = 'IP51041'",
        &[],
    )
    .await
    .unwrap();

    // The start: a 303 to the questions and a recovery cookie, for a real account and for
    // names that are none; the decoy is the same on every request, browser and node.
    let real_browser = app.new_browser();
    let real_questions = start_to_questions(&app, &real_browser, "IP51040").await.ids;
    let decoy_browser = app.new_browser();
    let decoy = start_to_questions(&app, &decoy_browser, "IP59999")
        .await
        .ids;
    assert_eq!(decoy.len(), 3, "three decoy questions: {decoy:?}");
    assert_eq!(
        start_to_questions(&app, &app.new_browser(), "ip59999")
            .await
            .ids,
        decoy,
        "the same decoy for the same name, any case, any browser"
    );
    let node_b = app.spawn_second_node().await;
    assert_eq!(
        start_to_questions(&node_b, &node_b.new_browser(), "IP59999")
            .await
            .ids,
        decoy,
        "and on another node"
    );
    assert_ne!(
        start_to_questions(&app, &app.new_browser(), "IP59998")
            .await
            .ids,
        Vec::<String>::new(),
        "another unknown name gets questions too"
    );
    assert_eq!(
        start_to_questions(&app, &app.new_browser(), "IP51041")
            .await
            .ids
            .len(),
        3,
        "a disabled account gets decoy questions"
    );
    assert_eq!(
        start_to_questions(&app, &app.new_browser(), "personne@example.org")
            .await
            .ids
            .len(),
        3,
        "an unknown e-mail alias too"
    );
    let real_page = page(&app, &real_browser, "/recovery/questions").await;
    let decoy_page = page(&app, &decoy_browser, "/recovery/questions").await;
    assert_eq!(shape_of(&real_page), shape_of(&decoy_page), "the same page");

    // Answers: always refused, with the page a real account's wrong set gets, and after as
    // many sets as close a real recovery, the same closing page.
    for set in 1..=3 {
        let real_answer = submit_answers(&app, &real_browser, &one_wrong(&real_questions)).await;
        let decoy_answer = submit_answers(&app, &decoy_browser, &right_answers(&decoy)).await;
        assert_eq!(real_answer.status(), decoy_answer.status(), "set {set}");
        let (real_html, decoy_html) = (text_of(real_answer).await, text_of(decoy_answer).await);
        assert_eq!(shape_of(&real_html), shape_of(&decoy_html), "set {set}");
        if set < 3 {
            assert!(decoy_html.contains("Au moins une réponse est incorrecte"));
        } else {
            assert!(
                decoy_html.contains("mot de passe temporaire"),
                "{decoy_html}"
            );
        }
    }
    // Closed: starting again gets the assistance page, as the real account does.
    let real_again = start(&app, &app.new_browser(), "IP51040").await;
    let decoy_again = start(&app, &app.new_browser(), "IP59999").await;
    assert_eq!(real_again.status(), 200);
    assert_eq!(decoy_again.status(), 200);
    assert_eq!(
        without_csrf(&text_of(real_again).await),
        without_csrf(&text_of(decoy_again).await),
        "a closed decoy looks like a closed recovery"
    );
    // The audit trail keeps the decoy's steps without tying them to any account.
    let unattributed: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_events WHERE kind = 'recovery' AND outcome = 'failed' \
             AND account_id IS NULL AND detail->>'reason' = 'no_account'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(unattributed, 3, "three decoy sets, audited");
    assert_eq!(
        recovery_events(&app, &disabled).await,
        ["started"],
        "the disabled account's start is audited as its own, its decoy answers never"
    );
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

    // A mail scanner or a link preview opens the link: nothing is spent, nothing is told.
    let scanner = app.new_browser();
    for _ in 0..2 {
        let opened = scanner.get(link.as_str()).send().await.unwrap();
        assert_eq!(opened.status(), 200);
        assert!(
            set_cookie(&opened, RECOVERY_COOKIE).is_none(),
            "no recovery yet"
        );
        let html = text_of(opened).await;
        assert!(html.contains("Poursuivre votre demande"), "{html}");
        assert!(html.contains(">Continuer</button>"), "one button: {html}");
    }
    let unknown = format!("{prefix}{}", "A".repeat(43));
    let unknown_page = without_csrf(&page_at(&app, &unknown).await);
    let known_page = without_csrf(&page_at(&app, link).await);
    let token = link.strip_prefix(&prefix).unwrap();
    assert_eq!(
        known_page.replace(token, "TOKEN"),
        unknown_page.replace(&"A".repeat(43), "TOKEN"),
        "the GET tells nothing about the token beyond its shape"
    );
    assert_eq!(
        recovery_events(&app, &sub).await,
        ["link_sent"],
        "opening the link spent nothing"
    );

    let follower = app.new_browser();
    let followed = follow_link(&app, &follower, link).await;
    assert_eq!(followed.status(), 303, "the button opens the questions");
    assert_eq!(location(&followed), "/recovery/questions");
    assert!(set_cookie(&followed, RECOVERY_COOKIE).is_some());
    let questions = asked(&page(&app, &follower, "/recovery/questions").await);
    assert_eq!(questions.len(), 3);
    let answer = submit_answers(&app, &follower, &right_answers(&questions)).await;
    assert_eq!(location(&answer), "/recovery/password");

    let reused = follow_link(&app, &app.new_browser(), link).await;
    assert_eq!(reused.status(), 400, "a link works once");
    let html = text_of(reused).await;
    assert!(html.contains("Ce lien n'est plus valide"), "{html}");
    assert!(
        html.contains("href=\"/recovery\""),
        "with a way to start again"
    );
    let unknown = follow_link(&app, &app.new_browser(), &unknown).await;
    assert_eq!(unknown.status(), 400, "an unknown token, on the POST");
    assert!(text_of(unknown).await.contains("Ce lien n'est plus valide"));
    for bad in [
        "/recovery/link",
        "/recovery/link?token=abc",
        "/recovery/link?token=%00%FF",
    ] {
        let answer = app.new_browser().get(app.url(bad)).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{bad}");
        assert!(text_of(answer).await.contains("Ce lien n'est plus valide"));
    }
    let browser = app.new_browser();
    let csrf = hidden_input(&page(&app, &browser, "/recovery").await, "csrf").unwrap();
    for token in ["", "abc", "<script>"] {
        let answer = browser
            .post(app.url("/recovery/link"))
            .form(&[("csrf", csrf.as_str()), ("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "a malformed token posted: {token}");
    }
    let forged = app
        .new_browser()
        .post(app.url("/recovery/link"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400, "no CSRF token");
    assert!(text_of(forged).await.contains("Votre page a expiré"));

    // An account without a verified address goes straight to its questions.
    let plain = app.add_user("IP51009").await;
    give_questions(&app, &plain, 8).await;
    assert_eq!(
        start_to_questions(&app, &app.new_browser(), "IP51009")
            .await
            .ids
            .len(),
        3
    );
    assert_eq!(mailed_links(&app).await.len(), 1, "no e-mail for it");
}

#[tokio::test]
async fn an_expired_recovery_link_is_refused_when_its_button_is_pressed() {
    let app = email_proof_app("when_available").await;
    let sub = app.add_user("IP51025").await;
    give_questions(&app, &sub, 8).await;
    verify_email(&app, &sub).await;
    assert_eq!(
        start(&app, &app.new_browser(), "IP51025").await.status(),
        200
    );
    let links = mailed_links(&app).await;
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE email_proofs SET expires_at = now() - interval '1 minute'",
        &[],
    )
    .await
    .unwrap();
    let answer = follow_link(&app, &app.new_browser(), &links[0]).await;
    assert_eq!(answer.status(), 400, "expired");
    assert!(set_cookie(&answer, RECOVERY_COOKIE).is_none());
    assert!(text_of(answer).await.contains("Ce lien n'est plus valide"));
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
            .ids
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
    assert!(
        set_cookie(&answer, RECOVERY_COOKIE).is_none(),
        "no questions"
    );
    let body = without_csrf(&text_of(answer).await);
    assert!(body.contains("Consultez vos courriels"), "{body}");
    assert!(
        body.contains("Si rien n'arrive, communiquez avec le Centre d'assistance"),
        "the page says where to turn when nothing comes: {body}"
    );
    let unknown = without_csrf(&text_of(start(&app, &browser, "IP59998").await).await);
    assert_eq!(
        body, unknown,
        "the page any other name gets: nothing tells them apart"
    );
    assert!(mailed_links(&app).await.is_empty(), "nothing is sent");
    assert_eq!(
        recovery_events(&app, &sub).await,
        ["link_withheld"],
        "audited as withheld"
    );
}

#[tokio::test]
async fn with_email_proof_an_unknown_name_gets_the_same_check_your_email_page() {
    let app = email_proof_app("when_available").await;
    let sub = app.add_user("IP51014").await;
    give_questions(&app, &sub, 8).await;
    verify_email(&app, &sub).await;
    let browser = app.new_browser();
    let real = start(&app, &browser, "IP51014").await;
    let unknown = start(&app, &browser, "IP59997").await;
    assert_eq!(real.status(), unknown.status());
    assert!(set_cookie(&unknown, RECOVERY_COOKIE).is_none());
    let (real, unknown) = (text_of(real).await, text_of(unknown).await);
    assert!(unknown.contains("Consultez vos courriels"), "{unknown}");
    assert_eq!(without_csrf(&real), without_csrf(&unknown), "the same page");
    assert_eq!(
        mailed_links(&app).await.len(),
        1,
        "only the real account's link"
    );
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
    let questions = start_to_questions(&app, &browser, "IP51013").await.ids;
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
