//! `/account/password` (« Changer de mot de passe »): the shared new-password form with the
//! current password asked first (ASVS 6.2.3). A wrong current password counts toward the
//! account's lockout; the policy and history apply; this session stays signed in and every
//! other one ends (ASVS 7.4.3); the owner is told by e-mail (`credentials::set_password`).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::credentials::form::{self, Fields, FormErrors};
use crate::credentials::{Why, set_password};
use crate::sso::SignedIn;
use crate::state::AppState;
use crate::web::{CheckedForm, PageError, RequestLang, Requester};

/// The form.
#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    current_password: Option<String>,
    new_password: Option<String>,
    confirm_password: Option<String>,
}

fn fields() -> Fields {
    Fields {
        action: "/account/password",
        title_key: "account-password-title",
        intro_key: Some("account-password-intro"),
        ask_current: true,
        ..Fields::default()
    }
}

/// `GET /account/password`.
pub async fn show(
    State(app): State<AppState>,
    _user: SignedIn,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    form::render(&app, lang, jar, fields(), FormErrors::none())
}

/// `POST /account/password`: the confirmation, the policy and the current password, every
/// problem shown at once; then the history (by hashing) and the change.
pub async fn submit(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(input): CheckedForm<ChangeForm>,
) -> Result<Response, PageError> {
    let new = input.new_password.unwrap_or_default();
    let confirm = input.confirm_password.as_deref();
    let mut errors = form::precheck(&app, &user.account, &new, confirm);
    let current = input.current_password.unwrap_or_default();
    errors.current = !crate::login::reverify(&app, &user.account, &current, &requester).await?;
    if errors.any() {
        return form::render(&app, lang, jar, fields(), errors);
    }
    let keep = Some(user.session.sid.as_str());
    let outcome = set_password(&app, &user.account, &new, Why::Settings, keep, &requester).await?;
    if let Err(refusal) = outcome {
        return form::render(&app, lang, jar, fields(), FormErrors::refused(refusal));
    }
    Ok(Redirect::to("/account?done=password").into_response())
}
