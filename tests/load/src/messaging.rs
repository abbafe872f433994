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
    let (_, answer) = answer("open", response).await?;
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

/// An answer's status and body, a failure named as `{what}: {status} {body}` (the fault
/// runs' report reads the status out of the message).
async fn answer(what: &str, response: reqwest::Response) -> anyhow::Result<(StatusCode, Value)> {
    let status = response.status();
    let bytes = response.bytes().await?;
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    ensure!(
        status.is_success(),
        "{what}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    Ok((status, value))
}

/// SHA-256 in hex, as the API writes it.
fn sha256_hex(bytes: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An uploaded attachment: its id and the SHA-256 of what was sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The attachment's id.
    pub id: String,
    /// SHA-256 of its bytes (hex).
    pub sha256: String,
}

/// Uploads `bytes` as `name` in `thread` (not sent yet); the answer's SHA-256 must be the
/// bytes'.
pub async fn upload(
    http: &reqwest::Client,
    base: &Url,
    token: &str,
    thread: &str,
    name: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<Sent> {
    let sha256 = sha256_hex(&bytes);
    let mut url = base.join(&format!("/api/v1/threads/{thread}/attachments"))?;
    url.query_pairs_mut().append_pair("name", name);
    let response = http.post(url).bearer_auth(token).body(bytes).send().await?;
    let (_, view) = answer("upload", response).await?;
    ensure!(
        view["sha256"].as_str() == Some(sha256.as_str()),
        "upload: the answer's SHA-256 is not the bytes' ({view})"
    );
    let id = view["id"].as_str().context("upload: id")?.to_owned();
    Ok(Sent { id, sha256 })
}

/// Sends `body` with `attachments` in `thread`; returns the message's id.
pub async fn post(
    http: &reqwest::Client,
    base: &Url,
    token: &str,
    thread: &str,
    body: &str,
    attachments: &[String],
) -> anyhow::Result<String> {
    let response = http
        .post(base.join(&format!("/api/v1/threads/{thread}/messages"))?)
        .bearer_auth(token)
        .json(&json!({ "body": body, "attachments": attachments }))
        .send()
        .await?;
    let (_, view) = answer("send", response).await?;
    Ok(view["message_id"]
        .as_str()
        .context("send: message_id")?
        .to_owned())
}

/// One page of `thread` (after `cursor`): its message ids and the next cursor.
pub async fn thread_page(
    http: &reqwest::Client,
    base: &Url,
    token: &str,
    thread: &str,
    cursor: Option<&str>,
) -> anyhow::Result<(Vec<String>, Option<String>)> {
    let mut url = base.join(&format!("/api/v1/threads/{thread}"))?;
    if let Some(cursor) = cursor {
        url.query_pairs_mut().append_pair("cursor", cursor);
    }
    let response = http.get(url).bearer_auth(token).send().await?;
    let (_, view) = answer("read", response).await?;
    let messages = view["messages"].as_array().context("read: messages")?;
    let ids = messages
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect();
    Ok((ids, view["next"].as_str().map(str::to_owned)))
}

/// Downloads an attachment; its SHA-256 must be `sent`'s.
pub async fn download(
    http: &reqwest::Client,
    base: &Url,
    token: &str,
    thread: &str,
    sent: &Sent,
) -> anyhow::Result<()> {
    let url = base.join(&format!("/api/v1/threads/{thread}/attachments/{}", sent.id))?;
    let response = http.get(url).bearer_auth(token).send().await?;
    let status = response.status();
    let bytes = response.bytes().await?;
    ensure!(
        status == StatusCode::OK,
        "download: {status} {}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
    );
    ensure!(
        sha256_hex(&bytes) == sent.sha256,
        "download: other bytes than were sent"
    );
    Ok(())
}
