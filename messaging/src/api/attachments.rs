//! `POST /api/v1/threads/{id}/attachments?name=…` (the file as the raw body, streamed) and
//! `GET /api/v1/threads/{id}/attachments/{attachment}` (streamed back, as a download, never
//! rendered by the browser).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::bearer::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::threads::attachments::{self, UploadError};

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
    match error.refusal() {
        Ok((code, status)) => ApiError::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            lang,
        ),
        Err(e) => ApiError::from_thread(e, lang),
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
        (status = 422, description = "attachment_infected (the antivirus hook found something)", body = ErrorBody),
        (status = 429, description = "quota_reached", body = ErrorBody),
        (status = 503, description = "antivirus_unavailable or unavailable", body = ErrorBody),
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
    Ok(download.into_response())
}
