//! Attachments on both blob stores (a folder, and a real S3-compatible server): streamed up and
//! down byte for byte, encrypted at rest, stored once per thread and content; too large, of a
//! refused type or cut mid-stream leaves nothing; names cleaned; unsent attachments and
//! others' are 404.

use figment::providers::Serialized;
use idp::domain::Role;
use integration_tests::messaging::{
    Messaging, spawn_messaging, spawn_messaging_s3, spawn_messaging_setting, spawn_messaging_with,
};
use reqwest::Method;
use serde_json::{Value, json};

const PRO: &str = "IP27182";
const AGENT: &str = "CE31415";

/// A PDF of `size` bytes: the magic, then bytes that do not repeat in any short period.
fn pdf(size: usize, seed: u8) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    let mut x: u32 = 2_463_534_242 ^ u32::from(seed);
    while bytes.len() < size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push((x & 0xff) as u8);
    }
    bytes.truncate(size);
    bytes
}

async fn thread_of(m: &Messaging, token: &str) -> String {
    m.open_thread(token, "Pièces", "Voici mes pièces").await
}

async fn download(
    m: &Messaging,
    token: &str,
    thread: &str,
    id: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = m
        .http()
        .get(format!(
            "{}/api/v1/threads/{thread}/attachments/{id}",
            m.url
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

async fn attachment_rows(m: &Messaging) -> i64 {
    let db = m.state.db.get().await.unwrap();
    db.query_one("SELECT count(*) FROM attachments", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn an_attachment_round_trips_byte_for_byte_encrypted_once_per_content_and_reaches_the_other_side_when_sent()
 {
    round_trip(spawn_messaging().await, 300_000).await;
}

#[tokio::test]
async fn on_s3_an_attachment_sent_in_parts_round_trips_byte_for_byte_encrypted_once_per_content() {
    // 20 MiB: sent to the bucket as a multipart upload of three parts.
    round_trip(spawn_messaging_s3(|f| f).await, 20 * 1024 * 1024).await;
}

async fn round_trip(m: Messaging, size: usize) {
    m.idp.add_user(PRO).await;
    m.idp.add_account(AGENT, "staff", None).await;
    m.grant_role(AGENT, Role::MessagingAgent).await;
    m.add_agent(AGENT, "facturation", false).await;
    let pro = m.token(PRO).await;
    let agent = m.token(AGENT).await;
    let thread = thread_of(&m, &pro).await;

    let content = pdf(size, 1);
    let (status, up) = m
        .upload(
            &pro,
            &thread,
            "../../Facture de mars (été).pdf",
            content.clone(),
        )
        .await;
    assert_eq!(status, 201, "{up}");
    assert_eq!(
        up["name"], "Facture de mars (été).pdf",
        "the path is dropped"
    );
    assert_eq!(up["content_type"], "application/pdf");
    assert_eq!(up["size"], size);
    let id = up["id"].as_str().unwrap().to_owned();

    let (status, headers, bytes) = download(&m, &pro, &thread, &id).await;
    assert_eq!(status, 200);
    assert!(
        bytes == content,
        "byte-identical ({} bytes back)",
        bytes.len()
    );
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");

    // At rest: no run of the content in the blob.
    let names = m.blob_names().await;
    assert_eq!(names.len(), 1, "{names:?}");
    let stored = m.blob_bytes(&names[0]).await;
    assert!(
        !stored
            .windows(64)
            .any(|w| content.windows(64).next() == Some(w)),
        "the blob is sealed"
    );
    assert!(
        !stored.windows(8).any(|w| w == b"%PDF-1.7"),
        "not even the magic shows"
    );

    // The same content again in this thread: a second attachment, one blob.
    let (status, again) = m.upload(&pro, &thread, "copie.pdf", content.clone()).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(
        m.blob_names().await.len(),
        1,
        "stored once per thread and content"
    );
    assert_eq!(attachment_rows(&m).await, 2);

    // Unsent, it is the uploader's alone.
    let (status, _, _) = download(&m, &agent, &thread, &id).await;
    assert_eq!(status, 404, "an unsent attachment is not the agent's yet");
    let (status, sent) = m
        .call(
            Method::POST,
            &format!("/api/v1/threads/{thread}/messages"),
            Some(&pro),
            Some(&json!({ "body": "La facture", "attachments": [id] })),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let (status, _, bytes) = download(&m, &agent, &thread, &id).await;
    assert_eq!(status, 200);
    assert!(bytes == content, "the agent gets the same bytes");

    // Sent once: sending it again, or someone else's, refuses the whole message.
    let before: i64 = {
        let db = m.state.db.get().await.unwrap();
        db.query_one("SELECT count(*) FROM messages", &[])
            .await
            .unwrap()
            .get(0)
    };
    for ids in [json!([id]), json!([uuid::Uuid::now_v7()])] {
        let (status, refused) = m
            .call(
                Method::POST,
                &format!("/api/v1/threads/{thread}/messages"),
                Some(&pro),
                Some(&json!({ "body": "Encore", "attachments": ids })),
            )
            .await;
        assert_eq!(
            (status, refused["error"].as_str()),
            (422, Some("unknown_attachment"))
        );
    }
    let db = m.state.db.get().await.unwrap();
    let after: i64 = db
        .query_one("SELECT count(*) FROM messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(before, after, "nothing was written");

    // Someone else: 404, as for a file that does not exist.
    m.idp.add_user("IP16180").await;
    let other = m.token("IP16180").await;
    let (status, _, _) = download(&m, &other, &thread, &id).await;
    assert_eq!(status, 404);
    let (status, _) = m.upload(&other, &thread, "x.pdf", pdf(1000, 2)).await;
    assert_eq!(status, 404, "nor can they upload into it");
}

#[tokio::test]
async fn too_large_refused_types_and_cut_uploads_leave_nothing_behind() {
    let m = spawn_messaging_setting("attachments.max_bytes", 100_000).await;
    leaves_nothing(m, 100_000).await;
}

#[tokio::test]
async fn on_s3_too_large_refused_and_cut_uploads_leave_nothing_behind_even_after_a_part_was_sent() {
    // 12 MiB: the refusals and the cut come after a first 8 MiB part reached the bucket.
    let max = 12 * 1024 * 1024;
    let m = spawn_messaging_s3(move |f| f.merge(Serialized::default("attachments.max_bytes", max)))
        .await;
    leaves_nothing(m, max).await;
}

async fn leaves_nothing(m: Messaging, max: usize) {
    m.idp.add_user(PRO).await;
    let pro = m.token(PRO).await;
    let thread = thread_of(&m, &pro).await;

    let (status, refused) = m.upload(&pro, &thread, "gros.pdf", pdf(max * 2, 3)).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (413, Some("attachment_too_large")),
        "{refused}"
    );

    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.resize(4096, 0);
    let (status, refused) = m.upload(&pro, &thread, "facture.pdf", exe).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (415, Some("attachment_type_refused")),
        "a program named .pdf: {refused}"
    );
    let (status, refused) = m.upload(&pro, &thread, "vide.pdf", vec![0u8; 2000]).await;
    assert_eq!(status, 415, "{refused}");

    // Cut mid-stream: some chunks, then the client's body fails.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(pdf(max * 7 / 10, 4)),
        Ok(vec![1u8; max / 5]),
        Err(std::io::Error::other("the connection dropped")),
    ];
    let cut = m
        .http()
        .post(format!(
            "{}/api/v1/threads/{thread}/attachments?name=coupe.pdf",
            m.url
        ))
        .bearer_auth(&pro)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    assert!(
        cut.is_err() || cut.is_ok_and(|r| !r.status().is_success()),
        "the upload did not succeed"
    );

    let empty = integration_tests::wait_until(
        std::time::Duration::from_secs(5),
        std::time::Duration::from_millis(100),
        async || m.blob_names().await.is_empty(),
    )
    .await;
    assert!(
        empty,
        "no blob, not even a temporary one: {:?}",
        m.blob_names().await
    );
    assert_eq!(attachment_rows(&m).await, 0, "no row");

    // Names: control characters and header-breaking characters are dropped.
    let (status, up) = m
        .upload(
            &pro,
            &thread,
            "rapport\r\nX-Evil: 1\u{0}\"; .pdf",
            pdf(1000, 5),
        )
        .await;
    assert_eq!(status, 201, "{up}");
    let name = up["name"].as_str().unwrap();
    assert!(
        !name.chars().any(|c| c.is_control() || c == '"' || c == ';'),
        "{name:?}"
    );
    let (status, headers, _) = download(&m, &pro, &thread, up["id"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let disposition: &Value = &json!(headers["content-disposition"].to_str().unwrap());
    assert!(
        !disposition.as_str().unwrap().contains('\n'),
        "{disposition}"
    );
}

#[tokio::test]
async fn an_attachment_never_sent_is_removed_after_a_day_with_its_blob() {
    let m = spawn_messaging().await;
    m.idp.add_user(PRO).await;
    let pro = m.token(PRO).await;
    let thread = thread_of(&m, &pro).await;
    let (status, kept) = m.upload(&pro, &thread, "garde.pdf", pdf(5000, 6)).await;
    assert_eq!(status, 201);
    let (status, _) = m.upload(&pro, &thread, "oublie.pdf", pdf(5000, 7)).await;
    assert_eq!(status, 201);
    let (status, _) = m
        .call(
            Method::POST,
            &format!("/api/v1/threads/{thread}/messages"),
            Some(&pro),
            Some(&json!({ "body": "Ci-joint", "attachments": [kept["id"]] })),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(m.blob_names().await.len(), 2);
    {
        let db = m.state.db.get().await.unwrap();
        db.execute(
            "UPDATE attachments SET created_at = now() - interval '2 days'",
            &[],
        )
        .await
        .unwrap();
    }
    let removed = messaging::janitor::sweep(&m.state).await.unwrap();
    assert_eq!(removed, 1, "only the unsent one");
    assert_eq!(attachment_rows(&m).await, 1);
    assert_eq!(m.blob_names().await.len(), 1, "its blob went with it");
    let (status, _, bytes) = download(&m, &pro, &thread, kept["id"].as_str().unwrap()).await;
    assert_eq!((status, bytes.len()), (200, 5000), "the sent one stays");
}

#[tokio::test]
async fn files_cannot_go_to_a_thread_closed_too_long_ago_and_the_reply_alone_opens_a_follow_up() {
    let m = spawn_messaging().await;
    m.idp.add_user(PRO).await;
    let pro = m.token(PRO).await;
    let thread = thread_of(&m, &pro).await;
    {
        let db = m.state.db.get().await.unwrap();
        db.execute(
            "UPDATE threads SET state = 'closed', closed_at = now() - interval '90 days' WHERE id = $1",
            &[&uuid::Uuid::parse_str(&thread).unwrap()],
        )
        .await
        .unwrap();
    }
    let (status, up) = m.upload(&pro, &thread, "tard.pdf", pdf(3000, 9)).await;
    assert_eq!(status, 201, "{up}");
    let (status, refused) = m
        .post_message(
            &pro,
            &thread,
            &json!({ "body": "Encore une pièce", "attachments": [up["id"]] }),
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str(), refused["field"].as_str()),
        (422, Some("closed_thread_files"), Some("attachments")),
        "{refused}"
    );
    let (status, posted) = m
        .post_message(&pro, &thread, &json!({ "body": "Encore une question" }))
        .await;
    assert_eq!(status, 201, "{posted}");
    assert_ne!(
        posted["thread_id"].as_str(),
        Some(thread.as_str()),
        "a follow-up thread"
    );
}

#[tokio::test]
async fn with_the_antivirus_hook_an_infected_file_is_refused_and_nothing_is_kept() {
    let clamd = std::env::var("MESSAGING_TEST_CLAMD")
        .expect("MESSAGING_TEST_CLAMD: run the tests with scripts/test (it starts clamd)");
    let m = spawn_messaging_with(move |f| {
        f.merge(Serialized::default(
            "attachments.clamd.address",
            clamd.clone(),
        ))
    })
    .await;
    m.idp.add_user(PRO).await;
    let pro = m.token(PRO).await;
    let thread = thread_of(&m, &pro).await;

    // The test signature (scripts/services.sh) in the middle of a PDF: a real clamd finds it.
    let mut infected = pdf(200_000, 7);
    infected.splice(100_000..100_000, b"MESSAGING-TEST-VIRUS".iter().copied());
    let (status, refused) = m.upload(&pro, &thread, "facture.pdf", infected).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (422, Some("attachment_infected")),
        "{refused}"
    );
    assert!(refused["message"].as_str().unwrap().contains("antivirus"));
    assert_eq!(attachment_rows(&m).await, 0, "no row");
    assert!(m.blob_names().await.is_empty(), "no blob");
    let (status, clean) = m.upload(&pro, &thread, "propre.pdf", pdf(50_000, 8)).await;
    assert_eq!(status, 201, "a clean file goes through: {clean}");

    // Configured but unreachable: refused (fail closed), nothing kept.
    let m = spawn_messaging_setting("attachments.clamd.address", "127.0.0.1:1").await;
    m.idp.add_user(PRO).await;
    let pro = m.token(PRO).await;
    let thread = thread_of(&m, &pro).await;
    let (status, refused) = m.upload(&pro, &thread, "a.pdf", pdf(5000, 9)).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (503, Some("antivirus_unavailable")),
        "{refused}"
    );
    assert_eq!(attachment_rows(&m).await, 0);
    assert!(m.blob_names().await.is_empty());
}
