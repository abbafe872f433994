//! `/password/new`: the new-password step of the restricted state (expired or temporary
//! password).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::form::{self, Fields, FormErrors};
use super::restricted::{self, Step};
use super::set_password;
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

fn fields(why: restricted::RestrictedWhy) -> Fields {
    Fields {
        action: Step::NewPassword.path(),
        title_key: "password-new-title",
        intro_key: Some(match why {
            restricted::RestrictedWhy::Expired
            | restricted::RestrictedWhy::QuestionsPending
            | restricted::RestrictedWhy::SecondFactor => "password-expired-intro",
            restricted::RestrictedWhy::Temporary => "password-temporary-intro",
            restricted::RestrictedWhy::Enrolment => "password-enrolment-intro",
        }),
        ..Fields::default()
    }
}

/// `GET /password/new`.
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let Some((_, state)) = restricted::at(&app, &jar, Step::NewPassword).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    form::render(&app, lang, jar, fields(state.why), FormErrors::none())
}

/// `POST /password/new`.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(input): CheckedForm<NewPasswordForm>,
) -> Result<Response, PageError> {
    let Some((id, state)) = restricted::at(&app, &jar, Step::NewPassword).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let new = input.new_password.unwrap_or_default();
    let fields = fields(state.why);
    let account = {
        let db = app.db.get().await?;
        accounts::get(&db, state.account_id)
            .await?
            .ok_or(PageError::BadRequest("error-request-expired"))?
    };
    let errors = form::precheck(&app, &account, &new, input.confirm_password.as_deref());
    if errors.any() {
        return form::render(&app, lang, jar, fields, errors);
    }
    let why = state.why.change();
    if let Err(refusal) = set_password(&app, &account, &new, why, None, &requester).await? {
        return form::render(&app, lang, jar, fields, FormErrors::refused(refusal));
    }
    remember_lang(&app, &account, lang).await;
    restricted::step_done(&app, jar, &id, state).await
}

/// The language the user works in becomes the language of their notices.
async fn remember_lang(app: &AppState, account: &accounts::Account, lang: Lang) {
    if account.locale == lang.tag() {
        return;
    }
    if let Ok(db) = app.db.get().await
        && let Err(e) = accounts::set_locale(&db, account.id, lang.tag()).await
    {
        tracing::warn!(error = %crate::error::Chain(&e), "language preference not saved");
    }
}
