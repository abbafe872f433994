//! Attachments: uploaded as a stream into a thread the caller may see (sealed chunk by chunk
//! under the thread's key, hashed, its type read from its first bytes), then sent with a
//! message; downloaded by whoever may see that message. A file too large, of a refused type,
//! or whose upload was cut leaves nothing behind: no row, no blob.

use bytes_stream::BodyChunks;
use chrono::Utc;
use uuid::Uuid;

use super::{ThreadError, access};
use crate::crypto::stream::{CHUNK, HEADER, Opener, Sealer, TAG};
use crate::domain::Side;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::attachments::{self, Attachment};
use crate::store::{journal, threads};

/// How an upload's body arrives: chunks of bytes, or an error when the client went away.
pub mod bytes_stream {
    use axum::body::Bytes;

    /// A stream of body chunks.
    pub trait BodyChunks:
        futures_util::Stream<Item = Result<Bytes, axum::Error>> + Unpin + Send
    {
    }
    impl<T> BodyChunks for T where
        T: futures_util::Stream<Item = Result<Bytes, axum::Error>> + Unpin + Send
    {
    }
}

/// Why an upload was refused (besides the thread rules).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Larger than `attachments.max_bytes`.
    #[error("too large")]
    TooLarge,
    /// Its content is not of an allowed type.
    #[error("type refused")]
    TypeRefused,
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

/// Streams `body` into `thread_id` as the file `name`.
#[tracing::instrument(skip_all, fields(thread = %thread_id))]
pub async fn upload(
    app: &AppState,
    caller: &Caller,
    thread_id: Uuid,
    name: &str,
    mut body: impl BodyChunks,
) -> Result<Attachment, UploadError> {
    use futures_util::StreamExt as _;
    let (thread, key) = {
        let db = app.db.get().await.map_err(ThreadError::from)?;
        let thread = threads::get(&db, thread_id)
            .await
            .map_err(ThreadError::from)?
            .ok_or(ThreadError::NotFound)?;
        let teams = access::agent_teams(&db, caller)
            .await
            .map_err(ThreadError::from)?;
        access::side_of(&thread, caller, &teams).ok_or(ThreadError::NotFound)?;
        let key = app
            .keyring
            .thread_key(&db, thread.id, thread.kek_id, &thread.wrapped_key)
            .await
            .map_err(ThreadError::from)?;
        (thread, key)
    };
    super::take_quota(app, caller, super::Quota::Upload).await?;
    let limits = &app.config.attachments;
    let (mut sealer, header) = Sealer::new(&key, thread.id).map_err(ThreadError::from)?;
    let mut sha = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut mac = key.content_mac();
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(8192);
    let mut content_type: Option<String> = None;
    let mut blob = app.blobs.start().await?;
    let outcome: Result<(), UploadError> = async {
        blob.write(&header).await?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|_| UploadError::Interrupted)?;
            size += chunk.len() as u64;
            if size > limits.max_bytes {
                return Err(UploadError::TooLarge);
            }
            if content_type.is_none() {
                let want = 8192 - head.len();
                head.extend_from_slice(&chunk[..want.min(chunk.len())]);
                if head.len() >= 8192 {
                    content_type = Some(allowed(&head, &limits.allowed_types)?);
                }
            }
            sha.update(&chunk);
            mac.update(&chunk);
            for sealed in sealer.push(&chunk).map_err(ThreadError::from)? {
                blob.write(&sealed).await?;
            }
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
    if let Err(e) = blob.write(&last).await {
        app.blobs.drop_upload(blob).await;
        return Err(e.into());
    }
    let name_hex: String = mac
        .sign()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let blob_key = format!("{}/{name_hex}", thread.id.simple());
    app.blobs.keep(blob, &blob_key).await?;
    let attachment = Attachment {
        id: Uuid::now_v7(),
        thread_id: thread.id,
        message_id: None,
        uploader_sub: caller.sub.clone(),
        file_name: clean_name(name),
        content_type,
        size_bytes: i64::try_from(size).map_err(|_| UploadError::TooLarge)?,
        sha256: sha.finish().as_ref().to_vec(),
        blob_key: blob_key.clone(),
        created_at: Utc::now(),
    };
    let stored = match app.db.get().await {
        Ok(db) => attachments::insert(&db, &attachment).await,
        Err(e) => Err(e.into()),
    };
    if let Err(e) = stored {
        forget_blob_if_unused(app, &blob_key).await;
        return Err(ThreadError::from(e).into());
    }
    Ok(attachment)
}

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

/// A download: the attachment and its opened content, chunk by chunk.
#[derive(Debug)]
pub struct Download {
    /// The attachment.
    pub attachment: Attachment,
    /// The sealed blob, after its header.
    pub file: tokio::fs::File,
    /// Opens its chunks.
    pub opener: Opener,
}

/// Opens `attachment_id` of `thread_id` for `caller`: anything they may not see is
/// [`ThreadError::NotFound`] (an unsent attachment is its uploader's; one sent with a note is
/// the agency side's). Each download is in the access journal.
#[tracing::instrument(skip_all, fields(thread = %thread_id))]
pub async fn download(
    app: &AppState,
    caller: &Caller,
    thread_id: Uuid,
    attachment_id: Uuid,
) -> Result<Download, UploadError> {
    use tokio::io::AsyncReadExt as _;
    let db = app.db.get().await.map_err(ThreadError::from)?;
    let thread = threads::get(&db, thread_id)
        .await
        .map_err(ThreadError::from)?
        .ok_or(ThreadError::NotFound)?;
    let teams = access::agent_teams(&db, caller)
        .await
        .map_err(ThreadError::from)?;
    let side = access::side_of(&thread, caller, &teams).ok_or(ThreadError::NotFound)?;
    let (attachment, kind) = attachments::get(&db, thread.id, attachment_id)
        .await
        .map_err(ThreadError::from)?
        .ok_or(ThreadError::NotFound)?;
    let visible = match (&attachment.message_id, kind.as_deref()) {
        (None, _) => attachment.uploader_sub == caller.sub,
        (Some(_), Some("note")) => side == Side::Agency,
        (Some(_), _) => true,
    };
    if !visible {
        return Err(ThreadError::NotFound.into());
    }
    let key = app
        .keyring
        .thread_key(&db, thread.id, thread.kek_id, &thread.wrapped_key)
        .await
        .map_err(ThreadError::from)?;
    let mut file = app.blobs.open(&attachment.blob_key).await?;
    let mut header = [0u8; HEADER];
    file.read_exact(&mut header).await?;
    let opener = Opener::new(&key, thread.id, &header).map_err(ThreadError::from)?;
    let entry = journal::Entry {
        at: Utc::now(),
        actor_sub: caller.sub.clone(),
        actor_username: caller.person.username.clone(),
        action: "attachment.download".into(),
        thread_id: thread.id,
        message_ids: attachment.message_id.into_iter().collect(),
        attachment_id: Some(attachment.id),
        ip: caller.origin.ip,
        user_agent: caller.origin.user_agent.clone(),
    };
    journal::record(&db, &entry)
        .await
        .map_err(ThreadError::from)?;
    Ok(Download {
        attachment,
        file,
        opener,
    })
}

/// Bytes read from a sealed blob per step: one sealed chunk.
const SEALED_CHUNK: usize = CHUNK + TAG;

/// Reads up to one sealed chunk (fewer only at the end of the blob).
async fn read_chunk(file: &mut tokio::fs::File) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt as _;
    let mut buf = vec![0u8; SEALED_CHUNK];
    let mut filled = 0;
    while filled < SEALED_CHUNK {
        let n = file.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    buf.truncate(filled);
    Ok(buf)
}

impl Download {
    /// The content, opened chunk by chunk (one chunk read ahead, to know the last), its
    /// SHA-256 checked at the end: a blob that does not open or whose hash differs ends the
    /// stream with an error instead of its last bytes.
    pub fn content(
        self,
    ) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send {
        struct State {
            file: tokio::fs::File,
            opener: Opener,
            ahead: Option<Vec<u8>>,
            sha: aws_lc_rs::digest::Context,
            expected: Vec<u8>,
            done: bool,
        }
        let state = State {
            file: self.file,
            opener: self.opener,
            ahead: None,
            sha: aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256),
            expected: self.attachment.sha256,
            done: false,
        };
        let broken =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        futures_util::stream::unfold(state, move |mut st| async move {
            if st.done {
                return None;
            }
            let current = match st.ahead.take() {
                Some(chunk) => chunk,
                None => match read_chunk(&mut st.file).await {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                },
            };
            let next = match read_chunk(&mut st.file).await {
                Ok(next) => next,
                Err(e) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
            };
            let last = next.is_empty();
            let plain = match st.opener.open(current, last) {
                Ok(plain) => plain,
                Err(_) => {
                    st.done = true;
                    return Some((Err(broken("an attachment chunk does not open")), st));
                }
            };
            st.sha.update(&plain);
            if last {
                st.done = true;
                let sha = std::mem::replace(
                    &mut st.sha,
                    aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256),
                );
                if sha.finish().as_ref() != st.expected.as_slice() {
                    return Some((Err(broken("an attachment's SHA-256 differs")), st));
                }
            } else {
                st.ahead = Some(next);
            }
            Some((Ok(axum::body::Bytes::from(plain)), st))
        })
    }
}
