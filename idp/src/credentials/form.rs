//! The new-password form every flow shares (forced change, settings, recovery): one template,
//! errors tied to their fields, paste allowed.

use askama::Template;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::i18n::Lang;
use crate::password_policy::Refusal;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::web::{PageError, csrf, page};

/// The page.
#[derive(Template)]
#[template(path = "password_form.html")]
struct PasswordForm {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    action: String,
    hidden: Vec<(String, String)>,
    intro: Option<String>,
    ask_current: bool,
    current_error: Option<String>,
    new_error: Option<String>,
    confirm_error: Option<String>,
    /// Each error, with the field it belongs to.
    summary: Vec<(&'static str, String)>,
    min_length: usize,
}

/// What a flow puts on the form.
#[derive(Debug, Default)]
pub struct Fields {
    /// Where it posts.
    pub action: &'static str,
    /// Title message key.
    pub title_key: &'static str,
    /// Intro message key.
    pub intro_key: Option<&'static str>,
    /// Hidden fields carried through (a recovery's id).
    pub hidden: Vec<(String, String)>,
    /// Whether the current password is asked (settings).
    pub ask_current: bool,
}

/// What went wrong on a submitted form: every problem at once, each tied to its field.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FormErrors {
    /// The current password is wrong (settings).
    pub current: bool,
    /// The new password was refused by the policy.
    pub new: Option<Refusal>,
    /// The confirmation differs.
    pub confirm: bool,
}

impl FormErrors {
    /// A blank form.
    pub fn none() -> Self {
        Self::default()
    }

    /// Only the new password refused (by its history, known once it is hashed).
    pub fn refused(refusal: Refusal) -> Self {
        Self {
            new: Some(refusal),
            ..Self::default()
        }
    }

    /// Whether the form is to be shown again.
    pub fn any(&self) -> bool {
        self.current || self.new.is_some() || self.confirm
    }
}

/// The checks of a new password that need no hashing — the policy's rules and the
/// confirmation — all made, so the form shows every problem at once.
pub fn precheck(app: &AppState, account: &Account, new: &str, confirm: Option<&str>) -> FormErrors {
    FormErrors {
        current: false,
        new: super::policy_check(app, account, new).err(),
        confirm: Some(new) != confirm,
    }
}

/// Renders the form, 400 when it shows an error.
pub fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    fields: Fields,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let min = app.config.password_policy.min_length;
    let refusal = |r: Refusal| lang.t_args(r.message_key(), &[("min", min.to_string())]);
    let status = page::form_status(errors.any());
    let current_error = errors.current.then(|| lang.t("password-current-wrong"));
    let new_error = errors.new.map(refusal);
    let confirm_error = errors.confirm.then(|| lang.t("password-mismatch"));
    // The summary lists each error and links to its field, in the order of the fields.
    let summary = [
        ("current_password", &current_error),
        ("new_password", &new_error),
        ("confirm_password", &confirm_error),
    ]
    .into_iter()
    .filter_map(|(field, e)| e.clone().map(|e| (field, e)))
    .collect();
    let page = PasswordForm {
        lang,
        title: lang.t(fields.title_key),
        switch_href: page::switch_href(fields.action, lang),
        csrf,
        action: fields.action.to_owned(),
        hidden: fields.hidden,
        intro: fields.intro_key.map(|k| lang.t(k)),
        ask_current: fields.ask_current,
        current_error,
        new_error,
        confirm_error,
        summary,
        min_length: min,
    };
    Ok((jar, page::html(status, &page)).into_response())
}
