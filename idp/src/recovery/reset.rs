//! `/recovery/password`: the new password, once the questions were answered right (the shared
//! form, the shared `set_password`: policy, history, notice, audit, and every session and
//! refresh token of the account ended). Then `/recovery/done`; the user is not signed in.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::flow::{self, Held, Stage};
use super::pages::{self, Message};
use crate::credentials::form::{self, Fields, FormErrors};
use crate::credentials::{Why, set_password};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::accounts;
use crate::web::{CheckedForm, PageError, RequestLang, Requester};

/// The form.
#[derive(Debug, Deserialize)]
pub struct NewPasswordForm {
    new_password: Option<String>,
    confirm_password: Option<String>,
}

fn fields() -> Fields {
    Fields {
        action: Stage::NewPassword.path(),
        title_key: "recovery-password-title",
        intro_key: Some("recovery-password-intro"),
        ..Fields::default()
    }
}

/// `GET /recovery/password`.
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let held = match flow::at(&app, lang, &jar, Stage::NewPassword).await? {
        Ok(held) => held,
        Err(response) => return Ok(response),
    };
    if flow::closed(&app, &held.record).await? {
        return closed_behind(&app, lang, jar, &held, &requester).await;
    }
    form::render(&app, lang, jar, fields(), FormErrors::none())
}

/// `POST /recovery/password`.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(input): CheckedForm<NewPasswordForm>,
) -> Result<Response, PageError> {
    let held = match flow::at(&app, lang, &jar, Stage::NewPassword).await? {
        Ok(held) => held,
        Err(response) => return Ok(response),
    };
    if flow::closed(&app, &held.record).await? {
        return closed_behind(&app, lang, jar, &held, &requester).await;
    }
    let new = input.new_password.unwrap_or_default();
    let account = {
        let db = app.db.get().await?;
        accounts::get(&db, held.record.account_id).await?
    };
    // Disabled or locked for the help desk since the answers: the recovery ends here.
    let Some(account) = account.filter(|a| a.disabled_at.is_none() && a.locked_at.is_none()) else {
        let jar = flow::finish(&app, jar, &held).await?;
        let page = pages::message(&app, lang, Message::Expired, Stage::NewPassword.path());
        return Ok((jar, page).into_response());
    };
    let errors = form::precheck(&app, &account, &new, input.confirm_password.as_deref());
    if errors.any() {
        return form::render(&app, lang, jar, fields(), errors);
    }
    let outcome = set_password(&app, &account, &new, Why::Recovery, None, &requester).await?;
    if let Err(refusal) = outcome {
        return form::render(&app, lang, jar, fields(), FormErrors::refused(refusal));
    }
    let jar = flow::finish(&app, jar, &held).await?;
    flow::note(
        &app,
        "succeeded",
        Some(account.id),
        &requester,
        serde_json::json!({}),
    )
    .await;
    Ok((jar, Redirect::to("/recovery/done")).into_response())
}

/// Recovery was closed after this browser's answers (failed challenges from elsewhere): its
/// recovery ends on the assistance page, and no password is set.
async fn closed_behind(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    held: &Held,
    requester: &Requester,
) -> Result<Response, PageError> {
    let account = Some(held.record.account_id);
    let detail = serde_json::json!({ "reason": "closed_after_answers" });
    flow::note(app, "refused", account, requester, detail).await;
    let jar = flow::finish(app, jar, held).await?;
    let page = pages::assistance(app, lang, &held.record.audience, None);
    Ok((jar, page).into_response())
}

/// `GET /recovery/done`: the password was changed; a link to sign in with it.
pub async fn done(State(app): State<AppState>, RequestLang(lang): RequestLang) -> Response {
    pages::message(&app, lang, Message::Done, "/recovery/done")
}
