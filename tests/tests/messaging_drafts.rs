//! Drafts: saved as typed (API and the pages' autosave), sealed at rest, given back in the
//! compose and thread pages, only to their author, removed when the message is sent, readable
//! after a key-encryption-key rotation; hostile fields refused with nothing written.

use reqwest::Method;
use serde_json::{Value, json};

use integration_tests::messaging::{Messaging, spawn_messaging};

const PRO: &str = "IP27182";

async fn thread_of(m: &Messaging, token: &str) -> String {
    m.open_thread(token, "Suivi", "Premier message").await
}

async fn drafts_rows(m: &Messaging) -> Vec<Vec<u8>> {
    let db = m.state.db.get().await.unwrap();
    db.query("SELECT body FROM drafts", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn a_draft_is_saved_sealed_given_back_to_its_author_only_and_gone_once_sent() {
    let m = spawn_messaging().await;
    m.idp.add_user(PRO).await;
    m.idp.add_user("IP16180").await;
    let pro = m.token(PRO).await;
    let other = m.token("IP16180").await;

    // A new thread's draft.
    let (status, none) = m
        .call(Method::GET, "/api/v1/drafts/new", Some(&pro), None)
        .await;
    assert_eq!(status, 404, "{none}");
    let text = "Bonjour,\nje prépare ma demande de remboursement n° 4411…";
    let draft = json!({ "category": "billing", "subject": "Remboursement", "body": text });
    let (status, saved) = m
        .call(Method::PUT, "/api/v1/drafts/new", Some(&pro), Some(&draft))
        .await;
    assert_eq!(status, 204, "{saved}");
    let (status, back) = m
        .call(Method::GET, "/api/v1/drafts/new", Some(&pro), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (back["subject"].as_str(), back["body"].as_str()),
        (Some("Remboursement"), Some(text))
    );
    assert!(back["updated_at"].is_string(), "{back}");
    let sealed = drafts_rows(&m).await;
    assert_eq!(sealed.len(), 1);
    assert!(
        !sealed[0]
            .windows(13)
            .any(|w| w == "remboursement".as_bytes()),
        "the body is sealed at rest"
    );
    // Saved again: the same draft, changed.
    let draft = json!({ "category": "billing", "subject": "Remboursement", "body": "Version 2" });
    m.call(Method::PUT, "/api/v1/drafts/new", Some(&pro), Some(&draft))
        .await;
    assert_eq!(drafts_rows(&m).await.len(), 1, "one draft per person");
    // Someone else has none.
    let (status, _) = m
        .call(Method::GET, "/api/v1/drafts/new", Some(&other), None)
        .await;
    assert_eq!(status, 404);

    // Survives a key-encryption-key rotation.
    messaging::crypto::rotation::rotate(&m.state.db, &m.state.keyring, 500)
        .await
        .unwrap();
    let (status, back) = m
        .call(Method::GET, "/api/v1/drafts/new", Some(&pro), None)
        .await;
    assert_eq!((status, back["body"].as_str()), (200, Some("Version 2")));

    // Sending a new thread removes it.
    thread_of(&m, &pro).await;
    let (status, _) = m
        .call(Method::GET, "/api/v1/drafts/new", Some(&pro), None)
        .await;
    assert_eq!(status, 404, "sent: the draft is gone");

    // A reply's draft: the thread must be the caller's.
    let thread = thread_of(&m, &pro).await;
    let path = format!("/api/v1/threads/{thread}/draft");
    let reply = json!({ "body": "Je joins la facture demain." });
    let (status, _) = m.call(Method::PUT, &path, Some(&other), Some(&reply)).await;
    assert_eq!(status, 404, "another's thread, as if it did not exist");
    let (status, _) = m.call(Method::PUT, &path, Some(&pro), Some(&reply)).await;
    assert_eq!(status, 204);
    let (status, back) = m.call(Method::GET, &path, Some(&pro), None).await;
    assert_eq!(
        (status, back["body"].as_str()),
        (200, Some("Je joins la facture demain."))
    );
    let (status, _) = m.call(Method::GET, &path, Some(&other), None).await;
    assert_eq!(status, 404);
    // The thread page of the API shows nobody else's draft; replying removes the author's.
    let (status, sent) = m
        .post_message(&pro, &thread, &json!({ "body": "Voici." }))
        .await;
    assert_eq!(status, 201, "{sent}");
    let (status, _) = m.call(Method::GET, &path, Some(&pro), None).await;
    assert_eq!(status, 404, "replied: the draft is gone");

    // Emptied, a draft is removed.
    m.call(Method::PUT, &path, Some(&pro), Some(&reply)).await;
    let (status, _) = m
        .call(
            Method::PUT,
            &path,
            Some(&pro),
            Some(&json!({ "body": "  " })),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = m.call(Method::GET, &path, Some(&pro), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn hostile_drafts_are_refused_with_nothing_written() {
    let m = spawn_messaging().await;
    m.idp.add_user(PRO).await;
    let pro = m.token(PRO).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({ "body": "x".repeat(20_001) }), 422, "too_long"),
        (json!({ "subject": "a\u{0}b" }), 422, "control_characters"),
        (json!({ "subject": "s".repeat(201) }), 422, "too_long"),
        (json!({ "category": "c".repeat(65) }), 422, "too_long"),
        (
            json!({ "body": "ok", "sneaky": true }),
            400,
            "malformed_body",
        ),
        (json!(["not", "an", "object"]), 400, "malformed_body"),
    ];
    for (body, status, error) in cases {
        let (got, answer) = m
            .call(Method::PUT, "/api/v1/drafts/new", Some(&pro), Some(&body))
            .await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(error)),
            "{body}: {answer}"
        );
    }
    let (status, _) = m
        .call(
            Method::PUT,
            "/api/v1/threads/not-a-uuid/draft",
            Some(&pro),
            Some(&json!({ "body": "x" })),
        )
        .await;
    assert_eq!(status, 404);
    assert!(drafts_rows(&m).await.is_empty(), "nothing written");
}
