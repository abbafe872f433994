//! `POST /drafts/new` and `POST /threads/{id}/draft`: the pages' autosave (assets/draft.js
//! posts the form's fields, its token among them, after a pause in typing). 204 when saved;
//! otherwise the reason as plain text, for the form's status line: 422 a field refused,
//! 403 a wrong token, 404 a thread that is not the caller's, 503 the store failing.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::caller::PageCaller;
use crate::state::AppState;
use crate::threads::ThreadError;
use crate::threads::drafts::{self, DraftText};

/// The fields a draft keeps (a reply sends only its body).
#[derive(Debug, Default, Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    professional: String,
}

/// `POST /drafts/new`: the draft of a new thread.
pub async fn save_new(
    State(app): State<AppState>,
    who: PageCaller,
    form: Result<Form<DraftForm>, FormRejection>,
) -> Response {
    save(&app, &who, None, form).await
}

/// `POST /threads/{id}/draft`: the draft of a reply.
pub async fn save_reply(
    State(app): State<AppState>,
    who: PageCaller,
    Path(id): Path<String>,
    form: Result<Form<DraftForm>, FormRejection>,
) -> Response {
    let Ok(thread) = Uuid::try_parse(&id) else {
        return (StatusCode::NOT_FOUND, who.lang.t("not_found")).into_response();
    };
    save(&app, &who, Some(thread), form).await
}

async fn save(
    app: &AppState,
    who: &PageCaller,
    thread: Option<Uuid>,
    form: Result<Form<DraftForm>, FormRejection>,
) -> Response {
    let lang = who.lang;
    let Ok(Form(form)) = form else {
        return (StatusCode::BAD_REQUEST, lang.t("page-expired")).into_response();
    };
    if !who.csrf_ok(&form.csrf) {
        return (StatusCode::FORBIDDEN, lang.t("page-expired")).into_response();
    }
    let text = DraftText {
        category: form.category,
        subject: form.subject,
        body: form.body,
        professional: form.professional,
    };
    match drafts::save(app, &who.caller, thread, &text).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(ThreadError::Invalid { reason, .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, lang.t(reason)).into_response()
        }
        Err(ThreadError::NotFound) => (StatusCode::NOT_FOUND, lang.t("not_found")).into_response(),
        Err(e) => {
            tracing::error!(error = %crate::error::Chain(&e), "a draft could not be saved");
            (StatusCode::SERVICE_UNAVAILABLE, lang.t("unavailable")).into_response()
        }
    }
}
