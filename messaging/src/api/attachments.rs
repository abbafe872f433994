//! `POST /api/v1/threads/{id}/attachments?name=…` (the file as the raw body, streamed) and
//! `GET /api/v1/threads/{id}/attachments/{attachment}` (streamed back, as a download, never
//! rendered by the browser).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::bearer::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::threads::attachments::{self, UploadError};

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

/// Query of the upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name (cleaned: its last path component, no control characters).
    name: String,
}

/// An uploaded attachment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    id: Uuid,
    name: String,
    /// The media type its content showed.
    content_type: String,
    size: i64,
    /// SHA-256 of the content, hex.
    sha256: String,
}

fn upload_error(error: UploadError, lang: Lang) -> ApiError {
    match error {
        UploadError::TooLarge => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "attachment_too_large", lang)
        }
        UploadError::TypeRefused => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "attachment_type_refused",
            lang,
        ),
        UploadError::Interrupted => {
            ApiError::new(StatusCode::BAD_REQUEST, "upload_interrupted", lang)
        }
        UploadError::Blobs(e) => {
            tracing::error!(error = %e, "blob store failed");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", lang)
        }
        UploadError::Thread(e) => ApiError::from_thread(e, lang),
    }
}

/// `POST /api/v1/threads/{id}/attachments?name=…`: the file is the body.
#[utoipa::path(post, path = "/api/v1/threads/{id}/attachments", tag = "attachments",
    params(("id" = String, Path), UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored (not yet sent: send it with a message)", body = AttachmentView),
        (status = 400, description = "upload_interrupted or malformed_query", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 413, description = "attachment_too_large", body = ErrorBody),
        (status = 415, description = "attachment_type_refused", body = ErrorBody),
        (status = 429, description = "quota_reached", body = ErrorBody),
    ))]
pub async fn upload(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let lang = who.lang;
    let thread = Uuid::try_parse(&id).map_err(|_| ApiError::not_found(lang))?;
    let Ok(Query(query)) = query else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_query",
            lang,
        ));
    };
    let a = attachments::upload(
        &app,
        &who.caller,
        thread,
        &query.name,
        body.into_data_stream(),
    )
    .await
    .map_err(|e| upload_error(e, lang))?;
    let view = AttachmentView {
        id: a.id,
        name: a.file_name,
        content_type: a.content_type,
        size: a.size_bytes,
        sha256: a.sha256.iter().map(|b| format!("{b:02x}")).collect(),
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

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

/// `GET /api/v1/threads/{id}/attachments/{attachment}`.
#[utoipa::path(get, path = "/api/v1/threads/{id}/attachments/{attachment}", tag = "attachments",
    params(("id" = String, Path), ("attachment" = String, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, as a download", content_type = "application/octet-stream"),
        (status = 404, description = "not_found", body = ErrorBody),
    ))]
pub async fn download(
    State(app): State<AppState>,
    who: ApiCaller,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let lang = who.lang;
    let (Ok(thread), Ok(attachment)) = (Uuid::try_parse(&id), Uuid::try_parse(&attachment)) else {
        return Err(ApiError::not_found(lang));
    };
    let download = attachments::download(&app, &who.caller, thread, attachment)
        .await
        .map_err(|e| upload_error(e, lang))?;
    let name = download.attachment.file_name.clone();
    let content_type = HeaderValue::from_str(&download.attachment.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let size = download.attachment.size_bytes;
    let mut response = Body::from_stream(download.content()).into_response();
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
    Ok(response)
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
