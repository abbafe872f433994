//! Reading an attachment back: checked, journaled, opened chunk by chunk, its hash verified.

use axum::http::HeaderValue;
use chrono::Utc;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use uuid::Uuid;

use super::UploadError;
use crate::blobs::BlobReader;
use crate::crypto::stream::{CHUNK, HEADER, Opener, TAG};
use crate::domain::Side;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::attachments::{self, Attachment};
use crate::store::journal;
use crate::threads::{ThreadError, access};

/// A download: the attachment and its opened content, chunk by chunk.
pub struct Download {
    /// The attachment.
    pub attachment: Attachment,
    /// The sealed blob, after its header.
    pub file: BlobReader,
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
    let access::Visible {
        thread, side, key, ..
    } = access::visible(app, &db, caller, thread_id).await?;
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
    let mut file = app.blobs.open_blob(&attachment.blob_key).await?;
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

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("attachment", &self.attachment)
            .finish_non_exhaustive()
    }
}

/// Bytes read from a sealed blob per step: one sealed chunk.
const SEALED_CHUNK: usize = CHUNK + TAG;

/// Reads up to one sealed chunk (fewer only at the end of the blob).
async fn read_chunk(file: &mut BlobReader) -> std::io::Result<Vec<u8>> {
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
            file: BlobReader,
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

/// Characters `filename*` may carry unencoded (RFC 8187 §3.2.1 attr-char).
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `Content-Disposition` for a cleaned name: an ASCII fallback and the UTF-8 name (RFC 6266).
fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .-_()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let value = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR_CHAR)
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

impl Download {
    /// The download as an HTTP response: streamed, never rendered by the browser (attachment
    /// disposition, nosniff, a sandboxing CSP), never cached.
    pub fn into_response(self) -> axum::response::Response {
        use axum::http::header;
        use axum::response::IntoResponse as _;
        let name = self.attachment.file_name.clone();
        let content_type = HeaderValue::from_str(&self.attachment.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
        let size = self.attachment.size_bytes;
        let mut response = axum::body::Body::from_stream(self.content()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, content_type);
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        headers.insert(header::CONTENT_DISPOSITION, disposition(&name));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox; default-src 'none'"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disposition_carries_a_safe_ascii_name_and_the_exact_one_encoded() {
        let value = disposition("Facture de mars (été).pdf");
        let value = value.to_str().unwrap_or_default();
        assert_eq!(
            value,
            "attachment; filename=\"Facture de mars (_t_).pdf\"; filename*=UTF-8''Facture%20de%20mars%20%28%C3%A9t%C3%A9%29.pdf"
        );
    }
}
