//! `GET|PUT /api/v1/preferences`: whether the caller gets the content-free e-mail notices.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bearer::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::json::ApiJson;
use crate::state::AppState;
use crate::store::notifications;

/// The caller's preferences.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// An e-mail « Vous avez un nouveau message » (never its content) at most once per
    /// interval; on by default.
    pub notify_by_email: bool,
}

/// `GET /api/v1/preferences`.
#[utoipa::path(get, path = "/api/v1/preferences", tag = "preferences", security(("bearer" = [])),
    responses((status = 200, description = "The caller's preferences", body = Preferences),
        (status = 401, description = "invalid_token", body = ErrorBody)))]
pub async fn get_preferences(
    State(app): State<AppState>,
    who: ApiCaller,
) -> Result<Json<Preferences>, ApiError> {
    let lang = who.lang;
    let db = app
        .db
        .get()
        .await
        .map_err(|e| ApiError::from_thread(e.into(), lang))?;
    let enabled = notifications::enabled(&db, &who.caller.sub)
        .await
        .map_err(|e| ApiError::from_thread(e.into(), lang))?;
    Ok(Json(Preferences {
        notify_by_email: enabled,
    }))
}

/// `PUT /api/v1/preferences`.
#[utoipa::path(put, path = "/api/v1/preferences", tag = "preferences", request_body = Preferences,
    security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = Preferences),
        (status = 400, description = "malformed_body", body = ErrorBody),
        (status = 401, description = "invalid_token", body = ErrorBody)))]
pub async fn put_preferences(
    State(app): State<AppState>,
    who: ApiCaller,
    ApiJson(wanted): ApiJson<Preferences>,
) -> Result<Json<Preferences>, ApiError> {
    let lang = who.lang;
    let db = app
        .db
        .get()
        .await
        .map_err(|e| ApiError::from_thread(e.into(), lang))?;
    notifications::set_enabled(&db, &who.caller.sub, wanted.notify_by_email)
        .await
        .map_err(|e| ApiError::from_thread(e.into(), lang))?;
    Ok(Json(wanted))
}
