//! Streaming an upload into a sealed blob, and recording it.

use axum::body::Bytes;
use chrono::Utc;
use uuid::Uuid;

use super::BodyChunks;
use crate::antivirus::{ScanError, Verdict};
use crate::crypto::DataKey;
use crate::crypto::stream::Sealer;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::attachments::{self, Attachment};
use crate::threads::{ThreadError, access};

/// Why an upload was refused (besides the thread rules).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Larger than `attachments.max_bytes`.
    #[error("too large")]
    TooLarge,
    /// Its content is not of an allowed type.
    #[error("type refused")]
    TypeRefused,
    /// The antivirus found something (the signature's name).
    #[error("infected: {0}")]
    Infected(String),
    /// The antivirus is configured but could not scan.
    #[error("antivirus: {0}")]
    Scanner(#[from] ScanError),
    /// The client stopped sending before the end.
    #[error("interrupted")]
    Interrupted,
    /// The blob store failed.
    #[error("blob store: {0}")]
    Blobs(#[from] std::io::Error),
    /// The thread rules, keys or store.
    #[error(transparent)]
    Thread(#[from] ThreadError),
}

impl UploadError {
    /// How a refused file is told (message key and HTTP status), the same on the API and the
    /// pages; the thread's own errors are the caller's to tell (`Err`). A failing store or
    /// antivirus is logged here.
    pub fn refusal(self) -> Result<(&'static str, u16), ThreadError> {
        Ok(match self {
            Self::TooLarge => ("attachment_too_large", 413),
            Self::TypeRefused => ("attachment_type_refused", 415),
            Self::Infected(_) => ("attachment_infected", 422),
            Self::Interrupted => ("upload_interrupted", 400),
            Self::Scanner(e) => {
                tracing::error!(error = %e, "the antivirus could not scan an upload");
                ("antivirus_unavailable", 503)
            }
            Self::Blobs(e) => {
                tracing::error!(error = %e, "blob store failed");
                ("unavailable", 503)
            }
            Self::Thread(e) => return Err(e),
        })
    }
}

/// A file name as stored and shown: its last path component, without control characters or
/// characters that mean something in a header, trimmed, at most 200 characters;
/// `piece-jointe` when nothing is left.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(
                    c,
                    '"' | '\\' | '/' | ';' | '\u{202e}' | '\u{202d}' | '\u{2066}'..='\u{2069}'
                )
        })
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() {
        "piece-jointe".to_owned()
    } else {
        cleaned
    }
}

/// The media type of a file from its first bytes; `text/plain` for UTF-8 text without NUL.
fn sniff(head: &[u8]) -> Option<String> {
    if let Some(kind) = infer::get(head) {
        return Some(kind.mime_type().to_owned());
    }
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the sample is still text.
        Err(e) => e.error_len().is_none(),
    };
    (text && !head.contains(&0)).then(|| "text/plain".to_owned())
}

/// Streams `body` into `thread_id` as the file `name`: the caller must see the thread; the
/// upload counts in their quota. Unsent, the attachment is its uploader's alone.
#[tracing::instrument(skip_all, fields(thread = %thread_id))]
pub async fn upload(
    app: &AppState,
    caller: &Caller,
    thread_id: Uuid,
    name: &str,
    body: impl BodyChunks,
) -> Result<Attachment, UploadError> {
    let seen = {
        let db = app.db.get().await.map_err(ThreadError::from)?;
        access::visible(app, &db, caller, thread_id).await?
    };
    crate::threads::take_quota(app, caller, crate::threads::Quota::Upload).await?;
    let sealed = seal(app, &seen.key, seen.thread.id, caller, name, body).await?;
    let stored = match app.db.get().await {
        Ok(db) => attachments::insert(&db, &sealed.0).await,
        Err(e) => Err(e.into()),
    };
    if let Err(e) = stored {
        forget_blob_if_unused(app, &sealed.0.blob_key).await;
        return Err(ThreadError::from(e).into());
    }
    Ok(sealed.0)
}

/// A file sealed into its blob, its row not yet written (see [`discard`] to undo it).
#[derive(Debug)]
pub struct Sealed(pub Attachment);

/// Streams `body` into a blob of `thread_id` sealed under `key` (the thread may not be written
/// yet: see `open::Pending`), with the antivirus hook when configured. Nothing is written to
/// the database; whatever goes wrong leaves no blob.
pub async fn seal(
    app: &AppState,
    key: &DataKey,
    thread_id: Uuid,
    caller: &Caller,
    name: &str,
    mut body: impl BodyChunks,
) -> Result<Sealed, UploadError> {
    use futures_util::StreamExt as _;
    let limits = &app.config.attachments;
    let (mut sealer, header) = Sealer::new(key, thread_id).map_err(ThreadError::from)?;
    let mut sha = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut mac = key.content_mac();
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut content_type: Option<String> = None;
    let mut blob = app.blobs.start();
    let outcome: Result<(), UploadError> = async {
        let mut scan = match &app.scanner {
            Some(scanner) => Some(scanner.start().await?),
            None => None,
        };
        blob.write(Bytes::from(header)).await?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|_| UploadError::Interrupted)?;
            size += chunk.len() as u64;
            if size > limits.max_bytes {
                return Err(UploadError::TooLarge);
            }
            if content_type.is_none() {
                let want = SNIFF_BYTES - head.len();
                head.extend_from_slice(&chunk[..want.min(chunk.len())]);
                if head.len() >= SNIFF_BYTES {
                    content_type = Some(allowed(&head, &limits.allowed_types)?);
                }
            }
            if let Some(scan) = scan.as_mut() {
                scan.feed(&chunk).await?;
            }
            sha.update(&chunk);
            mac.update(&chunk);
            for sealed in sealer.push(&chunk).map_err(ThreadError::from)? {
                blob.write(Bytes::from(sealed)).await?;
            }
        }
        if let Some(scan) = scan
            && let Verdict::Infected(name) = scan.verdict().await?
        {
            tracing::warn!(signature = %name, "an infected upload was refused");
            return Err(UploadError::Infected(name));
        }
        Ok(())
    }
    .await;
    let content_type = match outcome.and_then(|()| match content_type.take() {
        Some(t) => Ok(t),
        None => allowed(&head, &limits.allowed_types),
    }) {
        Ok(t) => t,
        Err(e) => {
            app.blobs.drop_upload(blob).await;
            return Err(e);
        }
    };
    let last = match sealer.finish() {
        Ok(last) => last,
        Err(e) => {
            app.blobs.drop_upload(blob).await;
            return Err(ThreadError::from(e).into());
        }
    };
    if let Err(e) = blob.write(Bytes::from(last)).await {
        app.blobs.drop_upload(blob).await;
        return Err(e.into());
    }
    let name_hex: String = mac
        .sign()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let blob_key = format!("{}/{name_hex}", thread_id.simple());
    app.blobs.keep(blob, &blob_key).await?;
    Ok(Sealed(Attachment {
        id: Uuid::now_v7(),
        thread_id,
        message_id: None,
        uploader_sub: caller.sub.clone(),
        file_name: clean_name(name),
        content_type,
        size_bytes: i64::try_from(size).map_err(|_| UploadError::TooLarge)?,
        sha256: sha.finish().as_ref().to_vec(),
        blob_key,
        created_at: Utc::now(),
    }))
}

/// Removes the caller's unsent attachments `ids` of `thread` and their blobs (the message
/// they were uploaded for did not go).
pub async fn withdraw(app: &AppState, caller: &Caller, thread: Uuid, ids: &[Uuid]) {
    if ids.is_empty() {
        return;
    }
    let removed = match app.db.get().await {
        Ok(db) => attachments::delete_unsent_of(&db, thread, &caller.sub, ids)
            .await
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    // What could not be removed now, the janitor removes after a day.
    for name in removed {
        forget_blob_if_unused(app, &name).await;
    }
}

/// Undoes sealed files whose rows were never written: their blobs go, unless a written
/// attachment shares one.
pub async fn discard(app: &AppState, sealed: Vec<Sealed>) {
    for Sealed(a) in sealed {
        forget_blob_if_unused(app, &a.blob_key).await;
    }
}

/// Bytes of a file's start its type is read from.
const SNIFF_BYTES: usize = 8192;

fn allowed(head: &[u8], allowed: &[String]) -> Result<String, UploadError> {
    match sniff(head) {
        Some(t) if allowed.contains(&t) => Ok(t),
        _ => Err(UploadError::TypeRefused),
    }
}

async fn forget_blob_if_unused(app: &AppState, name: &str) {
    let in_use = match app.db.get().await {
        Ok(db) => attachments::blob_in_use(&db, name).await.unwrap_or(true),
        Err(_) => true,
    };
    if !in_use && let Err(e) = app.blobs.remove(name).await {
        tracing::warn!(error = %e, "an unused blob could not be removed");
    }
}
