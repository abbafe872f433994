//! E-mail notifications (issue 3): a notice written to the outbox with the change it reports
//! is delivered over SMTP by the worker of any node, exactly once, in the account's language,
//! with nothing secret in it; an SMTP outage delays it and loses nothing.

use std::time::Duration;

use figment::providers::Serialized;
use idp::i18n::Lang;
use idp::mail::{Notice, Recipient};
use integration_tests::login::{log_in, logs_in};
use integration_tests::smtp::Mail;
use integration_tests::{PASSWORD, TestApp, spawn_app, spawn_app_with, wait_until};

const WRONG: &str = "not my password at all";

/// Fails the login form as often as it takes to lock the account (`lockout.max_failures`, 5).
async fn lock(app: &TestApp, username: &str) {
    for _ in 0..5 {
        let answer = log_in(app, &app.new_browser(), "/login", username, WRONG).await;
        assert_eq!(
            answer.status(),
            200,
            "a wrong password shows the form again"
        );
    }
}

/// Enqueues `notice` for `address` as a feature function would, in a committed transaction.
async fn enqueue(app: &TestApp, address: &str, notice: Notice) {
    enqueue_all(app, &[(address.to_owned(), notice)]).await;
}

async fn enqueue_all(app: &TestApp, notices: &[(String, Notice)]) {
    let mut db = app.deployment.db.get().await.unwrap();
    let tx = db.transaction().await.unwrap();
    for (address, notice) in notices {
        let to = Recipient {
            address: address.clone(),
            lang: Lang::Fr,
            name: "Marie Tremblay".into(),
            audience: idp::assistance::Audience::default(),
        };
        idp::mail::enqueue(&tx, &to, notice).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// The outbox row of the one message to `address`: (attempts, last_error, sent, notice).
async fn outbox_row(
    app: &TestApp,
    address: &str,
) -> (i32, Option<String>, bool, serde_json::Value) {
    let db = app.deployment.db.get().await.unwrap();
    let row = db
        .query_one(
            "SELECT attempts, last_error, sent_at IS NOT NULL, notice FROM outbox \
             WHERE recipient = $1",
            &[&address],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

async fn wait_until_sent(app: &TestApp, address: &str) {
    let sent = wait_until(
        Duration::from_secs(10),
        Duration::from_millis(50),
        async || outbox_row(app, address).await.2,
    )
    .await;
    assert!(sent, "the outbox row to {address} is marked sent");
}

/// Checks that a message has both parts, neither of which holds a password.
fn assert_multipart_without_secrets(mail: &Mail) {
    assert!(!mail.text.is_empty(), "a text/plain part: {}", mail.raw);
    assert!(!mail.html.is_empty(), "a text/html part: {}", mail.raw);
    assert!(mail.html.contains("<p>"), "the HTML part is HTML");
    for secret in [WRONG, PASSWORD] {
        assert!(
            !mail.raw.contains(secret),
            "no password in the e-mail: {}",
            mail.raw
        );
    }
}

#[tokio::test]
async fn a_locked_account_is_told_by_email_in_french_by_default() {
    let app = spawn_app().await;
    app.add_user("IP41001").await;

    lock(&app, "IP41001").await;

    let mails = app.smtp.wait_for("ip41001@example.org", 1).await;
    assert_eq!(mails.len(), 1, "one e-mail for one lock");
    let mail = &mails[0];
    assert_eq!(mail.subject, "Votre compte est verrouillé");
    assert_eq!(mail.from, "ne-pas-repondre@localhost", "From is mail.from");
    assert!(
        mail.text.starts_with("Bonjour Marie Tremblay,"),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("verrouillé temporairement à la suite de plusieurs tentatives"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("Pharmaciens : 418 643-9025 (Québec)"),
        "a pharmacist is given the pharmacists' line: {}",
        mail.text
    );
    assert!(
        !mail.text.contains("Autres professionnels"),
        "and no other: {}",
        mail.text
    );
    assert!(
        mail.text
            .contains("communiquez avec le centre d'assistance indiqué ci-dessous"),
        "without secret questions, the notice says to call for a temporary password: {}",
        mail.text
    );
    assert!(mail.html.contains("<html lang=\"fr-CA\">"), "{}", mail.html);
    assert!(
        mail.html.contains("Bonjour Marie Tremblay,"),
        "{}",
        mail.html
    );
    assert_multipart_without_secrets(mail);
    wait_until_sent(&app, "ip41001@example.org").await;
}

#[tokio::test]
async fn a_staff_account_is_given_the_staff_line_and_sent_to_recovery_only_with_questions() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("lockout.max_failures", 2))).await;
    let sub = app.add_account("CE41009", "staff", None).await;
    integration_tests::credentials::give_questions(&app, &sub, 8).await;
    for _ in 0..2 {
        assert!(!logs_in(&app, "CE41009", "not the password").await);
    }
    let mails = app.smtp.wait_for("ce41009@example.org", 1).await;
    let text = &mails[0].text;
    assert!(
        text.contains("Personnel administratif et utilisateurs du SELAT : 418 643-8210"),
        "the staff line: {text}"
    );
    assert!(
        text.contains("faites le 1 pour les services en ligne"),
        "{text}"
    );
    assert!(
        !text.contains("Pharmaciens"),
        "not the professionals' lines: {text}"
    );
    assert!(
        text.contains("« Mot de passe oublié? »"),
        "questions set: recovery can help: {text}"
    );
}

#[tokio::test]
async fn an_account_that_chose_english_is_told_in_english() {
    let app = spawn_app().await;
    app.add_user("IP41002").await;
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE accounts SET locale = 'en' WHERE username = 'IP41002'",
        &[],
    )
    .await
    .unwrap();

    lock(&app, "IP41002").await;

    let mail = &app.smtp.wait_for("ip41002@example.org", 1).await[0];
    assert_eq!(mail.subject, "Your account is locked");
    assert!(
        mail.text.starts_with("Hello Marie Tremblay,"),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("after several unsuccessful sign-in attempts"),
        "{}",
        mail.text
    );
    assert!(mail.html.contains("<html lang=\"en\">"), "{}", mail.html);
    assert!(!mail.text.contains("Bonjour"), "no French in it");
    assert_multipart_without_secrets(mail);
}

#[tokio::test]
async fn an_smtp_outage_delays_a_notice_and_loses_nothing() {
    let app = spawn_app().await;
    app.add_user("IP41003").await;
    // A first delivery leaves a pooled connection open: the outage must cut it too.
    enqueue(&app, "avant@example.org", Notice::PasswordChanged).await;
    app.smtp.wait_for("avant@example.org", 1).await;

    app.smtp.stop().await;
    lock(&app, "IP41003").await;
    let failed = wait_until(
        Duration::from_secs(10),
        Duration::from_millis(50),
        async || {
            let (attempts, error, _, _) = outbox_row(&app, "ip41003@example.org").await;
            attempts > 0 && error.is_some()
        },
    )
    .await;
    assert!(failed, "the worker tried, failed and said why");
    let (_, error, sent, notice) = outbox_row(&app, "ip41003@example.org").await;
    assert!(!sent, "still pending while the relay is down");
    assert_eq!(notice["kind"], "account_locked", "the notice is kept");
    assert!(
        error.as_deref().unwrap().starts_with("smtp:"),
        "the error names the relay: {error:?}"
    );
    assert!(
        app.smtp.messages_to("ip41003@example.org").await.is_empty(),
        "nothing got through"
    );

    app.smtp.restart().await;
    let mails = app.smtp.wait_for("ip41003@example.org", 1).await;
    assert_eq!(mails[0].subject, "Votre compte est verrouillé");
    wait_until_sent(&app, "ip41003@example.org").await;
    let (attempts, error, _, _) = outbox_row(&app, "ip41003@example.org").await;
    assert!(attempts >= 2, "delivered on a retry, attempt {attempts}");
    assert_eq!(error, None, "a delivered row carries no stale error");
}

#[tokio::test]
async fn a_delivered_link_is_not_kept_in_the_outbox() {
    let app = spawn_app().await;
    let link = "https://127.0.0.1/recovery/link?token=s3cr3t-single-use&lang=fr";
    let cases = [
        (
            "alias@example.org",
            Notice::VerifyAlias { link: link.into() },
            "verify_alias",
            "Confirmez votre adresse courriel",
        ),
        (
            "oubli@example.org",
            Notice::RecoveryLink { link: link.into() },
            "recovery_link",
            "Mot de passe oublié : poursuivez votre demande",
        ),
    ];
    for (address, notice, kind, subject) in cases {
        enqueue(&app, address, notice).await;
        let mail = &app.smtp.wait_for(address, 1).await[0];
        assert_eq!(mail.subject, subject);
        assert_eq!(mail.links(), [link], "the link, as text: {}", mail.text);
        assert!(
            mail.html
                .contains(&format!("href=\"{}\"", link.replace('&', "&#38;"))),
            "the link, as a button: {}",
            mail.html
        );

        wait_until_sent(&app, address).await;
        let (_, _, _, stored) = outbox_row(&app, address).await;
        assert_eq!(
            stored,
            serde_json::json!({ "kind": kind }),
            "only the kind is kept of a delivered {kind}"
        );
        let db = app.deployment.db.get().await.unwrap();
        let anywhere: i64 = db
            .query_one(
                "SELECT count(*) FROM outbox WHERE outbox::text LIKE '%s3cr3t%'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(anywhere, 0, "the token is nowhere in the outbox");
    }
}

#[tokio::test]
async fn two_nodes_deliver_each_message_exactly_once() {
    let app = spawn_app().await;
    let second = app.spawn_second_node().await;
    assert_eq!(
        second.smtp.port(),
        app.smtp.port(),
        "one sink per deployment"
    );
    let notices: Vec<_> = (0..30)
        .map(|i| {
            (
                "deux-noeuds@example.org".to_owned(),
                Notice::UsernameChanged {
                    name: format!("nom{i:02}@example.org"),
                },
            )
        })
        .collect();

    enqueue_all(&app, &notices).await;

    app.smtp.wait_for("deux-noeuds@example.org", 30).await;
    // A row is sent only by the worker that claimed it, and the claim counts an attempt; a
    // row marked sent is never claimed again. So once every row is marked sent, a row with one
    // attempt was sent once, and no duplicate is still on its way.
    let db = app.deployment.db.get().await.unwrap();
    let attempts = async || -> Vec<(i32, bool)> {
        db.query(
            "SELECT attempts, sent_at IS NOT NULL FROM outbox WHERE recipient = $1",
            &[&"deux-noeuds@example.org"],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
    };
    let all_sent = wait_until(
        Duration::from_secs(10),
        Duration::from_millis(50),
        async || attempts().await.iter().all(|(_, sent)| *sent),
    )
    .await;
    assert!(all_sent, "every row is marked sent");
    assert_eq!(
        attempts().await,
        vec![(1, true); 30],
        "each row claimed once, by one node"
    );
    let mails = app.smtp.messages_to("deux-noeuds@example.org").await;
    assert_eq!(mails.len(), 30, "thirty notices, thirty e-mails");
    for i in 0..30 {
        let name = format!("nom{i:02}@example.org");
        let copies = mails.iter().filter(|m| m.text.contains(&name)).count();
        assert_eq!(copies, 1, "{name} delivered exactly once");
    }
}

#[tokio::test]
async fn a_message_that_cannot_be_addressed_is_abandoned_not_retried_and_keeps_no_link() {
    let app = spawn_app().await;
    let link = "https://127.0.0.1/recovery/link?token=s3cr3t-abandoned&lang=fr";
    enqueue(&app, "not an address", Notice::PasswordChanged).await;
    enqueue(
        &app,
        "pas une adresse",
        Notice::RecoveryLink { link: link.into() },
    )
    .await;
    for address in ["not an address", "pas une adresse"] {
        let abandoned = wait_until(
            Duration::from_secs(10),
            Duration::from_millis(50),
            async || outbox_row(&app, address).await.1.is_some(),
        )
        .await;
        assert!(abandoned, "the failure is recorded");
        let (attempts, error, sent, _) = outbox_row(&app, address).await;
        assert!(!sent);
        assert_eq!(attempts, 20, "at mail.max_attempts: never claimed again");
        assert!(
            error.unwrap().contains("recipient address"),
            "the reason is kept"
        );
    }
    assert!(app.smtp.messages().await.is_empty(), "nothing was sent");

    // An abandoned row, like a delivered one, keeps only the notice's kind: no usable link.
    let (_, _, _, stored) = outbox_row(&app, "pas une adresse").await;
    assert_eq!(stored, serde_json::json!({ "kind": "recovery_link" }));
    let db = app.deployment.db.get().await.unwrap();
    let anywhere: i64 = db
        .query_one(
            "SELECT count(*) FROM outbox WHERE outbox::text LIKE '%s3cr3t%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(anywhere, 0, "the token is nowhere in the outbox");
}

#[tokio::test]
async fn a_link_stranded_by_a_stopped_sender_is_forgotten() {
    let app = spawn_app().await;
    // The sink is down, so nothing is delivered meanwhile.
    app.smtp.stop().await;
    let db = app.deployment.db.get().await.unwrap();
    let notice = serde_json::json!({ "kind": "recovery_link", "link": "https://127.0.0.1/x?token=str4nded" });
    idp::store::outbox::insert(&db, "perdu@example.org", "fr-CA", "Marie Tremblay", &notice)
        .await
        .unwrap();
    // As if a node claimed its last allowed attempt (20 in config/default.toml) and stopped:
    // the lease ran out, nothing was recorded.
    db.execute(
        "UPDATE outbox SET attempts = 20, next_attempt_at = now() - interval '1 second'",
        &[],
    )
    .await
    .unwrap();
    let forgotten = integration_tests::wait_until(
        std::time::Duration::from_secs(10),
        std::time::Duration::from_millis(50),
        async || {
            let row = db
                .query_one("SELECT notice, sent_at IS NULL FROM outbox", &[])
                .await
                .unwrap();
            row.get::<_, serde_json::Value>(0) == serde_json::json!({ "kind": "recovery_link" })
                && row.get::<_, bool>(1)
        },
    )
    .await;
    assert!(
        forgotten,
        "the worker forgets the link of a row no one will send"
    );
}
