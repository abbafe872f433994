//! Drafts through the API: `GET|PUT|DELETE /api/v1/drafts/new` (the caller's draft of a new
//! thread) and `GET|PUT|DELETE /api/v1/threads/{id}/draft` (of a reply). A relying party
//! that embeds messaging saves as its user types and gives the draft back later; sending
//! the message removes it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::bearer::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::json::ApiJson;
use crate::state::AppState;
use crate::threads::drafts::{self, DraftText};

/// A draft (a reply's carries only its body).
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    /// A new thread's category code.
    #[serde(default)]
    category: String,
    /// A new thread's subject.
    #[serde(default)]
    subject: String,
    /// The text, as typed.
    #[serde(default)]
    body: String,
    /// A new thread's professional (username), for staff and agents.
    #[serde(default)]
    professional: String,
    /// When it was last saved (set by the service; ignored when sent).
    #[serde(default, skip_deserializing)]
    updated_at: Option<DateTime<Utc>>,
}

fn thread(raw: Option<&str>, lang: crate::i18n::Lang) -> Result<Option<Uuid>, ApiError> {
    raw.map(|r| Uuid::try_parse(r).map_err(|_| ApiError::not_found(lang)))
        .transpose()
}

async fn get(app: &AppState, who: &ApiCaller, raw: Option<&str>) -> Result<Response, ApiError> {
    let lang = who.lang;
    let saved = drafts::load(app, &who.caller, thread(raw, lang)?)
        .await
        .map_err(|e| ApiError::from_thread(e, lang))?
        .ok_or_else(|| ApiError::not_found(lang))?;
    Ok(Json(DraftBody {
        category: saved.text.category,
        subject: saved.text.subject,
        body: saved.text.body,
        professional: saved.text.professional,
        updated_at: Some(saved.updated_at),
    })
    .into_response())
}

async fn put(
    app: &AppState,
    who: &ApiCaller,
    raw: Option<&str>,
    body: DraftBody,
) -> Result<Response, ApiError> {
    let lang = who.lang;
    let text = DraftText {
        category: body.category,
        subject: body.subject,
        body: body.body,
        professional: body.professional,
    };
    drafts::save(app, &who.caller, thread(raw, lang)?, &text)
        .await
        .map_err(|e| ApiError::from_thread(e, lang))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete(app: &AppState, who: &ApiCaller, raw: Option<&str>) -> Result<Response, ApiError> {
    let lang = who.lang;
    drafts::discard(app, &who.caller, thread(raw, lang)?)
        .await
        .map_err(|e| ApiError::from_thread(e, lang))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/drafts/new`.
#[utoipa::path(get, path = "/api/v1/drafts/new", tag = "drafts", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's draft of a new thread", body = DraftBody),
        (status = 404, description = "not_found: none saved", body = ErrorBody),
    ))]
pub async fn get_new(State(app): State<AppState>, who: ApiCaller) -> Result<Response, ApiError> {
    get(&app, &who, None).await
}

/// `PUT /api/v1/drafts/new`: 204; an empty draft is removed.
#[utoipa::path(put, path = "/api/v1/drafts/new", tag = "drafts", request_body = DraftBody,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Saved"),
        (status = 400, description = "malformed_body", body = ErrorBody),
        (status = 422, description = "too_long or control_characters (field named)", body = ErrorBody),
    ))]
pub async fn put_new(
    State(app): State<AppState>,
    who: ApiCaller,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<Response, ApiError> {
    put(&app, &who, None, body).await
}

/// `DELETE /api/v1/drafts/new`: 204.
#[utoipa::path(delete, path = "/api/v1/drafts/new", tag = "drafts", security(("bearer" = [])),
    responses((status = 204, description = "Gone (or there was none)")))]
pub async fn delete_new(State(app): State<AppState>, who: ApiCaller) -> Result<Response, ApiError> {
    delete(&app, &who, None).await
}

/// `GET /api/v1/threads/{id}/draft`.
#[utoipa::path(get, path = "/api/v1/threads/{id}/draft", tag = "drafts", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's draft of a reply", body = DraftBody),
        (status = 404, description = "not_found: none saved, or not the caller's thread", body = ErrorBody),
    ))]
pub async fn get_reply(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    get(&app, &who, Some(&id)).await
}

/// `PUT /api/v1/threads/{id}/draft`: 204; an empty draft is removed.
#[utoipa::path(put, path = "/api/v1/threads/{id}/draft", tag = "drafts", params(("id" = String, Path)),
    request_body = DraftBody, security(("bearer" = [])),
    responses(
        (status = 204, description = "Saved"),
        (status = 400, description = "malformed_body", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 422, description = "too_long or control_characters (field named)", body = ErrorBody),
    ))]
pub async fn put_reply(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<Response, ApiError> {
    put(&app, &who, Some(&id), body).await
}

/// `DELETE /api/v1/threads/{id}/draft`: 204.
#[utoipa::path(delete, path = "/api/v1/threads/{id}/draft", tag = "drafts", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Gone (or there was none)"),
        (status = 404, description = "not_found", body = ErrorBody),
    ))]
pub async fn delete_reply(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    delete(&app, &who, Some(&id)).await
}
