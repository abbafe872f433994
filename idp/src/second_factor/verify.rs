//! `GET|POST /mfa`: the code after the password — from the authenticator app, or a recovery
//! code. Right, the restricted state moves on (and the session opens when nothing else is due);
//! wrong, the page says so at the field; the fifth wrong code ends the state.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use uuid::Uuid;

use super::{note, recovery_codes, totp};
use crate::credentials::restricted::{self, MAX_WRONG_CODES, Step};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::{second_factors, windows};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// The page.
#[derive(Template)]
#[template(path = "mfa_code.html")]
struct CodePage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    error: Option<String>,
    /// Too many wrong codes: no form, a link to sign in again.
    ended: bool,
}

/// `POST /mfa`.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    error: Option<&str>,
    ended: bool,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = CodePage {
        lang,
        title: lang.t("mfa-title"),
        switch_href: page::switch_href("/mfa", lang),
        csrf,
        error: error.map(|k| lang.t(k)),
        ended,
    };
    let status = page::form_status(error.is_some());
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /mfa`.
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if restricted::at(&app, &jar, Step::SecondFactor)
        .await?
        .is_none()
    {
        return Ok(Redirect::to("/login").into_response());
    }
    render(&app, lang, jar, None, false)
}

/// `POST /mfa`.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<CodeForm>,
) -> Result<Response, PageError> {
    let Some((id, mut state)) = restricted::at(&app, &jar, Step::SecondFactor).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let typed = form.code.trim();
    if typed.is_empty() || typed.len() > 64 {
        return render(&app, lang, jar, Some("mfa-error-missing"), false);
    }
    // Codes are checked like passwords: the same per-IP window across every node.
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    if !windows::allow(&app.kv, "second-factor", requester.ip, limit).await? {
        return Err(PageError::TooMany);
    }
    let account = state.account_id;
    if let Some(method) = check(&app, account, typed).await? {
        note(
            &app,
            "success",
            account,
            &requester,
            serde_json::json!({ "method": method }),
        )
        .await;
        state.second_factor = true;
        return restricted::step_done(&app, jar, &id, state).await;
    }
    state.wrong_codes += 1;
    let detail = serde_json::json!({ "wrong_codes": state.wrong_codes });
    note(&app, "refused", account, &requester, detail).await;
    if state.wrong_codes >= MAX_WRONG_CODES {
        let jar = restricted::abandon(&app, jar, &id).await?;
        return render(&app, lang, jar, Some("mfa-error-too-many"), true);
    }
    restricted::save(&app, &id, &state).await?;
    render(&app, lang, jar, Some("mfa-error-wrong"), false)
}

/// Which method a right code used (`totp`, `recovery_code`); `None` when wrong, replayed or
/// spent.
async fn check(
    app: &AppState,
    account: Uuid,
    typed: &str,
) -> Result<Option<&'static str>, PageError> {
    let db = app.db.get().await?;
    if recovery_codes::looks_like_one(typed) {
        let hash = recovery_codes::hash(&app.client_secret_key, account, typed);
        let spent = second_factors::spend_recovery_code(&db, account, &hash).await?;
        return Ok(spent.then_some("recovery_code"));
    }
    let Some(sealed) = second_factors::totp_secret(&db, account).await? else {
        return Ok(None);
    };
    let secret = totp::unseal(&app.kek, &totp::account_context(account), &sealed)
        .map_err(PageError::internal)?;
    let Some(step) = totp::step_of(&secret, typed).map_err(PageError::internal)? else {
        return Ok(None);
    };
    // Once per step (RFC 6238 §5.2): a code seen on the screen over a shoulder, or replayed,
    // is refused.
    let fresh = second_factors::accept_step(&db, account, step).await?;
    Ok(fresh.then_some("totp"))
}
