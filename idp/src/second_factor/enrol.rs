//! `GET|POST /mfa/enrol`, `POST /mfa/enrol/done`: an agency account without a second factor
//! sets one up before its session opens. The page shows a QR code of the `otpauth://` URI and
//! the secret typed out; the secret waits, sealed, beside the restricted state until a first
//! right code confirms it. Then the secret is stored with ten recovery codes, which are shown
//! once; « Continuer » moves on.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{note, recovery_codes, totp};
use crate::credentials::restricted::{self, Factor, MAX_WRONG_CODES, Restricted, Step};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::{accounts, audit, ephemeral, second_factors, windows};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// The pending secret's kind in Redis (sealed, under the restricted state's key).
pub(super) const PENDING: &str = "mfa-enrol";
/// As long as the restricted state.
const PENDING_TTL_SECS: u64 = 1800;

/// The set-up page.
#[derive(Template)]
#[template(path = "mfa_enrol.html")]
struct EnrolPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    qr: String,
    secret: String,
    error: Option<String>,
    ended: bool,
}

/// The recovery codes, shown once.
#[derive(Template)]
#[template(path = "mfa_codes.html")]
struct CodesPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    codes: Vec<String>,
    back: Option<&'static str>,
}

/// `POST /mfa/enrol`.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    code: String,
}

/// `POST /mfa/enrol/done`.
#[derive(Debug, Deserialize)]
pub struct DoneForm {}

fn pending_context(id: &str) -> Vec<u8> {
    [b"totp-pending:".as_slice(), id.as_bytes()].concat()
}

/// The secret waiting for its first code under `id` (made on the first visit).
pub(super) async fn pending_secret(
    app: &AppState,
    id: &str,
) -> Result<Zeroizing<Vec<u8>>, PageError> {
    let context = pending_context(id);
    if let Some(sealed) = ephemeral::get::<String>(&app.kv, PENDING, id).await?
        && let Ok(bytes) = URL_SAFE_NO_PAD.decode(sealed)
        && let Ok(secret) = totp::unseal(&app.kek, &context, &bytes)
    {
        return Ok(secret);
    }
    let secret = totp::new_secret().map_err(PageError::internal)?;
    let sealed = totp::seal(&app.kek, &context, &secret).map_err(PageError::internal)?;
    let value = URL_SAFE_NO_PAD.encode(sealed);
    ephemeral::put(&app.kv, PENDING, id, &value, PENDING_TTL_SECS).await?;
    Ok(secret)
}

async fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    pending: Option<(&str, &Restricted)>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let (qr, secret) = match pending {
        Some((id, state)) => {
            let username = {
                let db = app.db.get().await?;
                accounts::get(&db, state.account_id)
                    .await?
                    .map(|a| a.username)
                    .unwrap_or_default()
            };
            set_up_view(app, id, &username).await?
        }
        None => (String::new(), String::new()),
    };
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = EnrolPage {
        lang,
        title: lang.t("mfa-enrol-title"),
        switch_href: page::switch_href("/mfa/enrol", lang),
        csrf,
        ended: pending.is_none(),
        qr,
        secret,
        error: error.map(|k| lang.t(k)),
    };
    let status = page::form_status(error.is_some());
    Ok((jar, page::html(status, &page)).into_response())
}

/// What the set-up shows for the pending secret under `id`: the QR code (a `data:` URI of the
/// SVG) and the secret typed out.
pub(super) async fn set_up_view(
    app: &AppState,
    id: &str,
    username: &str,
) -> Result<(String, String), PageError> {
    let secret = pending_secret(app, id).await?;
    let uri = totp::uri(&secret, username).map_err(PageError::internal)?;
    let svg = totp::qr_svg(&uri).map_err(PageError::internal)?;
    Ok((
        format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg)),
        totp::typed_form(&secret),
    ))
}

/// Stores a confirmed secret with a new set of recovery codes (in one transaction, audited
/// with `detail`); the codes, to show once.
pub(super) async fn store(
    app: &AppState,
    account: uuid::Uuid,
    secret: &[u8],
    step: i64,
    requester: &Requester,
    detail: serde_json::Value,
) -> Result<Vec<String>, PageError> {
    let codes = recovery_codes::generate().map_err(PageError::internal)?;
    let hashes: Vec<Vec<u8>> = codes
        .iter()
        .map(|c| recovery_codes::hash(&app.client_secret_key, account, c))
        .collect();
    let sealed = totp::seal(&app.kek, &totp::account_context(account), secret)
        .map_err(PageError::internal)?;
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    second_factors::enrol(&tx, account, &sealed, step, &hashes).await?;
    let event = audit::Event {
        kind: "second_factor_enrolled",
        outcome: "success",
        account_id: Some(account),
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail,
    };
    audit::record(&tx, &event).await?;
    tx.commit().await?;
    Ok(codes)
}

/// The recovery codes, shown once; then « Continuer » (the sign-in goes on) or, from the
/// settings (`back`), a link back.
pub(super) fn codes_page(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    codes: Vec<String>,
    back: Option<&'static str>,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = CodesPage {
        lang,
        title: lang.t("mfa-codes-title"),
        switch_href: page::switch_href("/mfa/enrol", lang),
        csrf,
        codes,
        back,
    };
    Ok((jar, page::html(StatusCode::OK, &page)).into_response())
}

/// `GET /mfa/enrol`.
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let Some((id, state)) = restricted::at(&app, &jar, Step::EnrolSecondFactor).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    if state.factor.is_some() {
        // Set up already (a reload of the codes page): the codes are not shown again.
        return codes_page(&app, lang, jar, Vec::new(), None);
    }
    render(&app, lang, jar, Some((&id, &state)), None).await
}

/// `POST /mfa/enrol`: the first code confirms the secret.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<ConfirmForm>,
) -> Result<Response, PageError> {
    let Some((id, mut state)) = restricted::at(&app, &jar, Step::EnrolSecondFactor).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    if state.factor.is_some() {
        return codes_page(&app, lang, jar, Vec::new(), None);
    }
    let typed = form.code.trim();
    if typed.is_empty() || typed.len() > 64 {
        return render(
            &app,
            lang,
            jar,
            Some((&id, &state)),
            Some("mfa-error-missing"),
        )
        .await;
    }
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    if !windows::allow(&app.kv, "second-factor", requester.ip, limit).await? {
        return Err(PageError::TooMany);
    }
    let secret = pending_secret(&app, &id).await?;
    let account = state.account_id;
    let Some(step) = totp::step_of(&secret, typed).map_err(PageError::internal)? else {
        state.wrong_codes += 1;
        let detail = serde_json::json!({ "enrolment": true, "wrong_codes": state.wrong_codes });
        note(&app, "refused", account, &requester, detail).await;
        if state.wrong_codes >= MAX_WRONG_CODES {
            ephemeral::delete(&app.kv, PENDING, &id).await?;
            let jar = restricted::abandon(&app, jar, &id).await?;
            return render(&app, lang, jar, None, Some("mfa-error-too-many")).await;
        }
        restricted::save(&app, &id, &state).await?;
        return render(
            &app,
            lang,
            jar,
            Some((&id, &state)),
            Some("mfa-error-wrong"),
        )
        .await;
    };
    let detail = serde_json::json!({ "method": "totp", "at": "first_sign_in" });
    let codes = store(&app, account, &secret, step, &requester, detail).await?;
    ephemeral::delete(&app.kv, PENDING, &id).await?;
    state.factor = Some(Factor::OneTimeCode);
    restricted::save(&app, &id, &state).await?;
    codes_page(&app, lang, jar, codes, None)
}

/// `POST /mfa/enrol/done`: on, once the secret is stored.
pub async fn done(
    State(app): State<AppState>,
    jar: CookieJar,
    CheckedForm(DoneForm {}): CheckedForm<DoneForm>,
) -> Result<Response, PageError> {
    let Some((id, state)) = restricted::at(&app, &jar, Step::EnrolSecondFactor).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let stored = {
        let db = app.db.get().await?;
        second_factors::methods(&db, state.account_id).await?.totp
    };
    if !(state.factor.is_some() && stored) {
        return Ok(Redirect::to("/mfa/enrol").into_response());
    }
    restricted::step_done(&app, jar, &id, state).await
}
