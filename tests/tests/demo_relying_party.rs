//! The messaging service's pages as a relying party (the demo of `scripts/dev`): a person
//! signs in on the idp's login page and lands back on messaging with a server-side session;
//! logout goes through the idp; a back-channel logout from the idp ends the session.

use std::time::Duration;

use integration_tests::messaging::{Messaging, spawn_messaging};
use integration_tests::page::text;
use integration_tests::{PASSWORD, get, hidden_input, location, login, wait_until};

/// Signs `username` in to messaging's pages with a new browser; returns the browser.
async fn signed_in(m: &Messaging, username: &str) -> reqwest::Client {
    let browser = m.http();
    let home = text(&browser, format!("{}/", m.url)).await;
    assert!(home.contains("Se connecter"), "signed out at first: {home}");
    let to_idp = get(&browser, format!("{}/login", m.url)).await;
    assert_eq!(to_idp.status(), 303);
    let authorize = location(&to_idp);
    assert!(
        authorize.starts_with(&m.idp.url("/authorize")),
        "messaging sends the browser to the idp: {authorize}"
    );
    let back = login::sign_in(&m.idp, &browser, &authorize, username, PASSWORD).await;
    let callback = location(&back);
    assert!(
        callback.starts_with(&format!("{}/callback?", m.url)),
        "back to messaging: {callback}"
    );
    let done = get(&browser, &callback).await;
    assert_eq!(
        location(&done),
        "/",
        "the callback exchanges the code and goes home"
    );
    browser
}

async fn session_rows(m: &Messaging) -> i64 {
    let db = m.state.db.get().await.unwrap();
    db.query_one("SELECT count(*) FROM web_sessions", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_person_signs_in_to_the_messaging_pages_through_the_idp_and_logs_out_there() {
    let m = spawn_messaging().await;
    m.idp.add_user("IP77777").await;
    let browser = signed_in(&m, "IP77777").await;
    let home = text(&browser, format!("{}/", m.url)).await;
    assert!(
        home.contains("Marie Tremblay (IP77777)"),
        "the id_token's names are shown: {home}"
    );
    assert_eq!(
        session_rows(&m).await,
        1,
        "the session lives in Postgres, not in the process"
    );

    let forged = browser
        .post(format!("{}/logout", m.url))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "logout needs the session's own token");
    assert_eq!(session_rows(&m).await, 1);

    let csrf = hidden_input(&home, "csrf").expect("the logout form's token");
    let out = browser
        .post(format!("{}/logout", m.url))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    let end_session = location(&out);
    assert!(
        end_session.starts_with(&m.idp.url("/logout?id_token_hint=")),
        "logout goes through the idp: {end_session}"
    );
    assert_eq!(session_rows(&m).await, 0, "the session ended here first");
    let ended = get(&browser, &end_session).await;
    assert_eq!(
        location(&ended),
        format!("{}/", m.url),
        "the idp sends the user back"
    );
    let home = text(&browser, format!("{}/", m.url)).await;
    assert!(home.contains("Se connecter"), "{home}");
}

#[tokio::test]
async fn a_back_channel_logout_from_the_idp_ends_the_messaging_session() {
    let m = spawn_messaging().await;
    m.idp.add_user("IP77777").await;
    let browser = signed_in(&m, "IP77777").await;
    let id_token: String = {
        let db = m.state.db.get().await.unwrap();
        db.query_one("SELECT id_token FROM web_sessions", &[])
            .await
            .unwrap()
            .get(0)
    };
    // The SSO session ends at the idp (here: its logout endpoint, in the same browser), not
    // through messaging: only the back channel can tell messaging.
    let ended = get(
        &browser,
        m.idp.url(&format!("/logout?id_token_hint={id_token}")),
    )
    .await;
    assert!(
        ended.status().is_success() || ended.status().is_redirection(),
        "{}",
        ended.status()
    );
    let gone = wait_until(
        Duration::from_secs(10),
        Duration::from_millis(100),
        async || session_rows(&m).await == 0,
    )
    .await;
    assert!(gone, "the idp's logout token ended the messaging session");
    let home = text(&browser, format!("{}/", m.url)).await;
    assert!(home.contains("Se connecter"), "signed out: {home}");
}

#[tokio::test]
async fn hostile_callbacks_and_logout_tokens_are_refused() {
    let m = spawn_messaging().await;
    m.idp.add_user("IP77777").await;
    let browser = m.http();
    let _ = get(&browser, format!("{}/login", m.url)).await;
    let forged = get(
        &browser,
        format!("{}/callback?code=abc&state=forged", m.url),
    )
    .await;
    assert_eq!(
        forged.status(),
        400,
        "a state that is not this browser's login is refused"
    );
    let no_state = get(&browser, format!("{}/callback?code=abc", m.url)).await;
    assert_eq!(no_state.status(), 400);

    let access_token = m.token("IP77777").await;
    for (body, why) in [
        (String::new(), "no logout_token"),
        ("logout_token=garbage".to_owned(), "not a JWS"),
        (
            format!("logout_token={access_token}"),
            "an access token is not a logout token",
        ),
    ] {
        let response = browser
            .post(format!("{}/backchannel-logout", m.url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{why}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{why}");
    }
}

#[tokio::test]
async fn a_page_session_follows_a_revoked_delegation_and_ends_with_its_grant() {
    use idp::admin::delegations::{self, Delegation};
    let m = spawn_messaging().await;
    m.idp.add_user("IP77777").await;
    m.idp.add_account("CE77778", "staff", None).await;
    let delegation = Delegation {
        staff: "CE77778",
        professional: "IP77777",
        service: Some("messaging"),
    };
    {
        let db = m.idp.deployment.db.get().await.unwrap();
        delegations::grant(&db, delegation).await.unwrap();
    }
    let pro = m.token("IP77777").await;
    let (status, opened) = m
        .call(
            reqwest::Method::POST,
            "/api/v1/threads",
            Some(&pro),
            Some(&serde_json::json!({ "category": "billing", "subject": "Dossier", "body": "Bonjour" })),
        )
        .await;
    assert_eq!(status, 201);
    let thread = format!(
        "{}/threads/{}",
        m.url,
        opened["thread_id"].as_str().unwrap()
    );
    let staff = signed_in(&m, "CE77778").await;
    assert_eq!(
        get(&staff, &thread).await.status(),
        200,
        "acting for the professional"
    );

    {
        let db = m.idp.deployment.db.get().await.unwrap();
        delegations::revoke(&db, delegation).await.unwrap();
    }
    assert_eq!(
        get(&staff, &thread).await.status(),
        200,
        "until the session's next check"
    );
    let age = |m: &Messaging| {
        let db = m.state.db.clone();
        async move {
            let db = db.get().await.unwrap();
            db.execute(
                "UPDATE web_sessions SET checked_at = now() - interval '6 minutes'",
                &[],
            )
            .await
            .unwrap();
        }
    };
    age(&m).await;
    assert_eq!(
        get(&staff, &thread).await.status(),
        404,
        "the check brings the revocation"
    );
    assert_eq!(session_rows(&m).await, 1, "the session itself goes on");

    // The account disabled at the idp: its grant ends, and so does the session.
    {
        let db = m.idp.deployment.db.get().await.unwrap();
        db.execute(
            "UPDATE accounts SET disabled_at = now() WHERE username = 'CE77778'",
            &[],
        )
        .await
        .unwrap();
    }
    age(&m).await;
    let home = text(&staff, format!("{}/", m.url)).await;
    assert!(home.contains("Se connecter"), "signed out: {home}");
    assert_eq!(session_rows(&m).await, 0);
}
