//! The messaging service's API under load: send a message (2 kB body) in a thread of one's
//! own, read the first inbox page, read the first page of a thread. The bearer token is the
//! idp's access token of the demo professional (messaging's client is `demo-portal` in dev).

use anyhow::{Context as _, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

/// A 2 kB message body (French text, as professionals write).
pub fn body_2kb() -> String {
    let sentence =
        "Bonjour, je vous écris au sujet de la demande de paiement refusée pour mon patient. ";
    let mut body = String::with_capacity(2100);
    while body.len() < 2048 {
        body.push_str(sentence);
    }
    body.truncate(2048);
    body
}

/// Opens a thread; returns its id.
pub async fn open_thread(
    http: &reqwest::Client,
    base: &Url,
    token: &str,
) -> anyhow::Result<String> {
    let thread = json!({ "category": "billing", "subject": "Charge", "body": "Premier message" });
    let response = http
        .post(base.join("/api/v1/threads")?)
        .bearer_auth(token)
        .json(&thread)
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await.context("open: JSON answer")?;
    ensure!(status == StatusCode::CREATED, "open: {status} {answer}");
    Ok(answer["thread_id"]
        .as_str()
        .context("open: thread_id")?
        .to_owned())
}

/// Sends `body` in `thread`.
pub async fn send(
    http: &reqwest::Client,
    base: &Url,
    token: &str,
    thread: &str,
    body: &str,
) -> anyhow::Result<()> {
    let response = http
        .post(base.join(&format!("/api/v1/threads/{thread}/messages"))?)
        .bearer_auth(token)
        .json(&json!({ "body": body }))
        .send()
        .await?;
    let status = response.status();
    let answer = response.bytes().await?;
    ensure!(
        status == StatusCode::CREATED,
        "send: {status} {}",
        String::from_utf8_lossy(&answer)
    );
    Ok(())
}

/// GETs an API page; 200 expected.
pub async fn read(
    http: &reqwest::Client,
    base: &Url,
    token: &str,
    path: &str,
) -> anyhow::Result<()> {
    let response = http.get(base.join(path)?).bearer_auth(token).send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    ensure!(status == StatusCode::OK, "GET {path}: {status}");
    ensure!(!body.is_empty(), "GET {path}: empty body");
    Ok(())
}
