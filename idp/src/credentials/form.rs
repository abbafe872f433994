//! The new-password form every flow shares (forced change, settings, recovery): one template,
//! errors tied to their fields, paste allowed.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::app::AppState;
use crate::i18n::Lang;
use crate::password_policy::Refusal;
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
    min_length: usize,
}

impl PasswordForm {
    fn has_errors(&self) -> bool {
        self.current_error.is_some() || self.new_error.is_some() || self.confirm_error.is_some()
    }
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

/// What went wrong on a submitted form.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// Nothing: a blank form.
    #[default]
    None,
    /// The current password is wrong.
    Current,
    /// The new password was refused by the policy.
    New(Refusal),
    /// The confirmation differs.
    Confirm,
}

/// Renders the form, 400 when it shows an error.
pub fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    fields: Fields,
    error: FormError,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let min = app.config.password_policy.min_length;
    let refusal = |r: Refusal| lang.t_args(r.message_key(), &[("min", min.to_string())]);
    let status = if error == FormError::None {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = PasswordForm {
        lang,
        title: lang.t(fields.title_key),
        switch_href: page::switch_href(fields.action, lang),
        csrf,
        action: fields.action.to_owned(),
        hidden: fields.hidden,
        intro: fields.intro_key.map(|k| lang.t(k)),
        ask_current: fields.ask_current,
        current_error: (error == FormError::Current).then(|| lang.t("password-current-wrong")),
        new_error: match error {
            FormError::New(r) => Some(refusal(r)),
            _ => None,
        },
        confirm_error: (error == FormError::Confirm).then(|| lang.t("password-mismatch")),
        min_length: min,
    };
    Ok((jar, page::html(status, &page)).into_response())
}
