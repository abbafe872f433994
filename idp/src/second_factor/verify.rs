//! `GET|POST /mfa`: the code after the password — from the authenticator app, or a recovery
//! code — or `POST /mfa/passkey`: a passkey's assertion, when the account has one (the page
//! offers it first). Right, the restricted state moves on (and the session opens when nothing
//! else is due); wrong, the page says so; the fifth wrong code or refused passkey ends the state.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use uuid::Uuid;

use super::{note, passkey, recovery_codes, totp};
use crate::credentials::restricted::{self, Factor, MAX_WRONG_CODES, Restricted, Step};
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
    /// The options of a passkey sign-in (JSON), when the account has passkeys.
    passkey: Option<String>,
    /// The passkey was refused (the message is `error`, shown by the passkey's button).
    passkey_error: bool,
}

/// `POST /mfa`.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /mfa/passkey`: what `navigator.credentials.get` answered, as JSON.
#[derive(Debug, Deserialize)]
pub struct PasskeyForm {
    #[serde(default)]
    credential: String,
}

/// Where the page stands: a fresh page, a wrong code, a refused passkey, or the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Fresh,
    WrongCode(&'static str),
    PasskeyRefused,
    Ended,
}

async fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    state: Option<(&str, &Restricted)>,
    shown: Shown,
) -> Result<Response, PageError> {
    // A fresh challenge each time the page is shown (each serves once).
    let passkey = match state {
        Some((id, state)) => passkey::begin_sign_in(app, id, state.account_id).await?,
        None => None,
    };
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let error = match shown {
        Shown::Fresh => None,
        Shown::WrongCode(key) => Some(key),
        Shown::PasskeyRefused => Some("passkey-error-sign-in"),
        Shown::Ended => Some("mfa-error-too-many"),
    };
    let page = CodePage {
        lang,
        title: lang.t("mfa-title"),
        switch_href: page::switch_href("/mfa", lang),
        csrf,
        error: error.map(|k| lang.t(k)),
        ended: shown == Shown::Ended,
        passkey,
        passkey_error: shown == Shown::PasskeyRefused,
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
    let Some((id, state)) = restricted::at(&app, &jar, Step::SecondFactor).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    render(&app, lang, jar, Some((&id, &state)), Shown::Fresh).await
}

/// `POST /mfa`.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<CodeForm>,
) -> Result<Response, PageError> {
    let Some((id, state)) = restricted::at(&app, &jar, Step::SecondFactor).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let typed = form.code.trim();
    if typed.is_empty() || typed.len() > 64 {
        let shown = Shown::WrongCode("mfa-error-missing");
        return render(&app, lang, jar, Some((&id, &state)), shown).await;
    }
    checked_like_a_password(&app, &requester).await?;
    let account = state.account_id;
    let method = check(&app, account, typed).await?;
    let attempt = Attempt {
        factor: method.map(|_| Factor::OneTimeCode),
        detail: serde_json::json!({ "method": method.unwrap_or("code") }),
        wrong: Shown::WrongCode("mfa-error-wrong"),
    };
    conclude(&app, lang, jar, &requester, (id, state), attempt).await
}

/// `POST /mfa/passkey`.
pub async fn submit_passkey(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<PasskeyForm>,
) -> Result<Response, PageError> {
    let Some((id, state)) = restricted::at(&app, &jar, Step::SecondFactor).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    checked_like_a_password(&app, &requester).await?;
    // (An answer is a few hundred bytes; the body limit refuses a huge one before this.)
    let proven = passkey::finish_sign_in(&app, &id, state.account_id, &form.credential).await?;
    let attempt = Attempt {
        factor: proven.then_some(Factor::Passkey),
        detail: serde_json::json!({ "method": "passkey" }),
        wrong: Shown::PasskeyRefused,
    };
    conclude(&app, lang, jar, &requester, (id, state), attempt).await
}

/// Codes and passkeys are checked like passwords: the same per-IP window across every node.
async fn checked_like_a_password(app: &AppState, requester: &Requester) -> Result<(), PageError> {
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    if !windows::allow(&app.kv, "second-factor", requester.ip, limit).await? {
        return Err(PageError::TooMany);
    }
    Ok(())
}

/// A code or passkey checked.
struct Attempt {
    /// The factor it proved, if right.
    factor: Option<Factor>,
    /// What the audit records.
    detail: serde_json::Value,
    /// What the page says if wrong.
    wrong: Shown,
}

/// The end of a check: the step done with the attempt's factor, or one more wrong try, the
/// last of which ends the state. Audited either way.
async fn conclude(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    requester: &Requester,
    (id, mut state): (String, Restricted),
    attempt: Attempt,
) -> Result<Response, PageError> {
    let account = state.account_id;
    let mut detail = attempt.detail;
    if let Some(factor) = attempt.factor {
        note(app, "success", account, requester, detail).await;
        state.factor = Some(factor);
        return restricted::step_done(app, jar, &id, state).await;
    }
    state.wrong_codes += 1;
    detail["wrong_codes"] = state.wrong_codes.into();
    note(app, "refused", account, requester, detail).await;
    if state.wrong_codes >= MAX_WRONG_CODES {
        let jar = restricted::abandon(app, jar, &id).await?;
        return render(app, lang, jar, None, Shown::Ended).await;
    }
    restricted::save(app, &id, &state).await?;
    render(app, lang, jar, Some((&id, &state)), attempt.wrong).await
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
