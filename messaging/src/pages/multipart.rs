//! Forms with files (`multipart/form-data`): text fields read up to a cap, files handed on
//! as streams while they arrive (never held whole), at most [`MAX_FILES`] per message and
//! [`MAX_PARTS`] parts per form. The browser sends the parts in the form's order, so the
//! token and the text fields come before the files.
//!
//! multer (under axum's `Multipart`) buffers a part's headers until the blank line that ends
//! them, however long: the body is read through a guard that allows at most
//! [`HEADER_BUDGET`] bytes between the end of one part and the start of the next one's content
//! (the whole body is also bounded by the route's limit, [`body_limit`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use axum::body::Body;
use axum::extract::multipart::Field;
use axum::extract::{FromRequest as _, Multipart, Request};
use futures_util::{StreamExt as _, TryStreamExt as _};

use crate::threads::ThreadError;
use crate::threads::attachments::{BodyChunks, UploadError};

/// Files one message may carry.
pub const MAX_FILES: usize = 10;
/// Parts one form may have (fields and files).
const MAX_PARTS: usize = 32;
/// Bytes read while looking for a part's headers (a boundary, the headers, and whatever the
/// same network chunk carried after them).
const HEADER_BUDGET: i64 = 1024 * 1024;

/// The largest body a form with files may have: every file at its limit, and the text.
pub fn body_limit(max_file_bytes: u64) -> usize {
    let files = max_file_bytes.saturating_mul(MAX_FILES as u64);
    usize::try_from(files)
        .unwrap_or(usize::MAX)
        .saturating_add(1024 * 1024)
}

/// What the guard of the body knows: whether the form is between parts, and what is left of
/// the budget there.
#[derive(Debug, Default)]
struct Guard {
    between_parts: AtomicBool,
    budget: AtomicI64,
}

/// A part of the form.
pub enum Part<'a> {
    /// A text field: its name and value (cut at the cap: see [`Form::next`]).
    Text(String, String),
    /// A chosen file: its name and content.
    File(String, Box<Field<'a>>),
    /// A file input left empty.
    NoFile,
}

/// A form that is not one (not multipart, cut, too many parts).
#[derive(Debug)]
pub struct Broken;

/// The parts of a multipart form, one after the other.
pub struct Form {
    multipart: Multipart,
    guard: Arc<Guard>,
    parts: usize,
    text_max_bytes: usize,
}

impl Form {
    /// Reads the multipart body of `request`; a text field longer than `text_max_chars`
    /// characters is cut just past it (so the feature's own check refuses it as too long).
    pub async fn read(request: Request, text_max_chars: usize) -> Result<Self, Broken> {
        let guard = Arc::new(Guard::default());
        let (parts, body) = request.into_parts();
        let watched = Arc::clone(&guard);
        let body = body.into_data_stream().map(move |chunk| {
            let chunk = chunk?;
            if watched.between_parts.load(Ordering::Relaxed) {
                let len = i64::try_from(chunk.len()).unwrap_or(i64::MAX);
                if watched.budget.fetch_sub(len, Ordering::Relaxed) < len {
                    return Err(axum::Error::new(std::io::Error::other(
                        "multipart part headers too long",
                    )));
                }
            }
            Ok(chunk)
        });
        let request = Request::from_parts(parts, Body::from_stream(body));
        let multipart = Multipart::from_request(request, &())
            .await
            .map_err(|_| Broken)?;
        Ok(Self {
            multipart,
            guard,
            parts: 0,
            text_max_bytes: (text_max_chars + 1) * 4,
        })
    }

    /// The next part.
    pub async fn next(&mut self) -> Result<Option<Part<'_>>, Broken> {
        self.guard.budget.store(HEADER_BUDGET, Ordering::Relaxed);
        self.guard.between_parts.store(true, Ordering::Relaxed);
        let next = self.multipart.next_field().await;
        self.guard.between_parts.store(false, Ordering::Relaxed);
        let Some(mut field) = next.map_err(|_| Broken)? else {
            return Ok(None);
        };
        self.parts += 1;
        if self.parts > MAX_PARTS {
            return Err(Broken);
        }
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(file) = field.file_name() {
            if file.is_empty() {
                return Ok(Some(Part::NoFile));
            }
            let file = file.to_owned();
            return Ok(Some(Part::File(file, Box::new(field))));
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| Broken)? {
            let room = self.text_max_bytes.saturating_sub(value.len());
            value.extend_from_slice(&chunk[..room.min(chunk.len())]);
        }
        let value = match String::from_utf8(value) {
            Ok(value) => value,
            // Cut inside a character: what is before it.
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let mut bytes = e.into_bytes();
                bytes.truncate(valid);
                String::from_utf8(bytes).map_err(|_| Broken)?
            }
        };
        Ok(Some(Part::Text(name, value)))
    }
}

/// A file's content as the threads feature reads it.
pub fn content(field: Box<Field<'_>>) -> impl BodyChunks + '_ {
    field.map_err(axum::Error::new)
}

/// The message key that tells the person why a file was refused (and the status), or the
/// thread error; quotas are told as the compose and reply forms tell them.
pub fn upload_refusal(error: UploadError) -> Result<(&'static str, u16), ThreadError> {
    match error.refusal() {
        Err(ThreadError::Quota { .. }) => Ok(("quota_reached", 429)),
        Err(ThreadError::QuotaUnavailable(_)) => Ok(("sending_paused", 503)),
        other => other,
    }
}

/// Any body is read part by part or refused as broken (never a panic), and text fields a
/// browser encodes are read back as they were.
#[cfg(test)]
mod properties {
    use axum::http::header::CONTENT_TYPE;
    use proptest::prelude::*;

    use super::*;

    fn request(body: Vec<u8>) -> Request {
        let mut request = Request::new(Body::from(body));
        if let Ok(value) = "multipart/form-data; boundary=XyZ".parse() {
            request.headers_mut().insert(CONTENT_TYPE, value);
        }
        request
    }

    /// Every text part of `body`, or `Broken`.
    fn read_all(body: Vec<u8>) -> Result<Vec<(String, String)>, Broken> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|_| Broken)?;
        runtime.block_on(async {
            let mut form = Form::read(request(body), 1000).await?;
            let mut texts = Vec::new();
            while let Some(part) = form.next().await? {
                if let Part::Text(name, value) = part {
                    texts.push((name, value));
                }
            }
            Ok(texts)
        })
    }

    proptest! {
        #[test]
        fn any_body_is_read_or_broken(
            head in proptest::collection::vec(any::<u8>(), 0..200),
            noise in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            // Every body starts as a real part does, so the parser gets past the boundary.
            let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n".to_vec();
            body.extend(head);
            body.extend(b"\r\n--XyZ");
            body.extend(noise);
            let _ = read_all(body);
        }

        #[test]
        fn text_fields_are_read_back(
            fields in proptest::collection::vec(("[a-z_]{1,12}", "\\PC{0,300}"), 0..MAX_PARTS),
        ) {
            let mut body = Vec::new();
            for (name, value) in &fields {
                body.extend(format!(
                    "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                ).into_bytes());
            }
            body.extend(b"--XyZ--\r\n");
            // A value that holds the boundary's line would end its part: not what a browser
            // sends (it picks a boundary the content lacks).
            prop_assume!(fields.iter().all(|(_, v)| !v.contains("--XyZ")));
            let read = read_all(body).map_err(|_| TestCaseError::fail("broken"))?;
            prop_assert_eq!(read, fields);
        }
    }
}
