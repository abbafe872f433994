//! Forms with files (`multipart/form-data`): text fields read up to a cap, files handed on
//! as streams while they arrive (never held whole), at most [`MAX_FILES`] per message and
//! [`MAX_PARTS`] parts per form. The browser sends the parts in the form's order, so the
//! token and the text fields come before the files.

use axum::extract::Multipart;
use axum::extract::multipart::Field;
use futures_util::TryStreamExt as _;

use crate::threads::ThreadError;
use crate::threads::attachments::{BodyChunks, UploadError};

/// Files one message may carry.
pub const MAX_FILES: usize = 10;
/// Parts one form may have (fields and files).
const MAX_PARTS: usize = 32;

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
    parts: usize,
    text_max_bytes: usize,
}

impl Form {
    /// Reads `multipart`; a text field longer than `text_max_chars` characters is cut just
    /// past it (so the feature's own check refuses it as too long).
    pub fn new(multipart: Multipart, text_max_chars: usize) -> Self {
        Self {
            multipart,
            parts: 0,
            text_max_bytes: (text_max_chars + 1) * 4,
        }
    }

    /// The next part.
    pub async fn next(&mut self) -> Result<Option<Part<'_>>, Broken> {
        let Some(mut field) = self.multipart.next_field().await.map_err(|_| Broken)? else {
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

/// The message key that tells the person why a file was refused, or the thread error.
pub fn upload_refusal(error: UploadError) -> Result<(&'static str, u16), ThreadError> {
    Ok(match error {
        UploadError::TooLarge => ("attachment_too_large", 413),
        UploadError::TypeRefused => ("attachment_type_refused", 415),
        UploadError::Infected(_) => ("attachment_infected", 422),
        UploadError::Scanner(e) => {
            tracing::error!(error = %e, "the antivirus could not scan an upload");
            ("antivirus_unavailable", 503)
        }
        UploadError::Interrupted => ("upload_interrupted", 400),
        UploadError::Blobs(e) => {
            tracing::error!(error = %e, "blob store failed");
            ("unavailable", 503)
        }
        UploadError::Thread(ThreadError::Quota { .. }) => ("quota_reached", 429),
        UploadError::Thread(ThreadError::QuotaUnavailable(_)) => ("sending_paused", 503),
        UploadError::Thread(e) => return Err(e),
    })
}
