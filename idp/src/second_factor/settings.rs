//! `/account/second-factor` (« Deuxième facteur », account settings): a professional opts in to
//! a TOTP authenticator — the same set-up as the agency roles' (QR code, the secret typed out,
//! a first code, ten recovery codes shown once) — or removes it; from then on every sign-in asks
//! for a code. The current password is asked first, as for every settings change (ASVS 6.2.3),
//! and each change is audited and reported by e-mail. An agency role cannot remove its own
//! unless a passkey remains (a second factor is required): the help desk resets a lost one.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::enrol::{PENDING, codes_page, pending_secret, set_up_view, store};
use super::{settings_key, tell_owner, totp};
use crate::i18n::Lang;
use crate::sso::SignedIn;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::second_factors::{self, Methods};
use crate::store::{audit, ephemeral};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// The settings page's path.
pub const PATH: &str = "/account/second-factor";

#[derive(Template)]
#[template(path = "account_second_factor.html")]
struct SettingsPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    configured: bool,
    codes_left: i64,
    removable: bool,
    qr: String,
    secret: String,
    password_error: Option<String>,
    code_error: Option<String>,
}

/// `POST /account/second-factor` and `…/remove`.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    code: String,
}

async fn render(
    app: &AppState,
    user: &SignedIn,
    lang: Lang,
    jar: CookieJar,
    errors: (Option<&str>, Option<&str>),
) -> Result<Response, PageError> {
    let (methods, codes_left) = {
        let db = app.db.get().await?;
        (
            second_factors::methods(&db, user.account.id).await?,
            second_factors::recovery_codes_left(&db, user.account.id).await?,
        )
    };
    let configured = methods.totp;
    let (qr, secret) = if configured {
        (String::new(), String::new())
    } else {
        set_up_view(app, &settings_key(user), &user.account.username).await?
    };
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let failed = errors.0.is_some() || errors.1.is_some();
    let page = SettingsPage {
        lang,
        title: lang.t("mfa-settings-title"),
        switch_href: page::switch_href(PATH, lang),
        csrf,
        configured,
        codes_left,
        removable: may_remove_totp(&user.account, methods),
        qr,
        secret,
        password_error: errors.0.map(|k| lang.t(k)),
        code_error: errors.1.map(|k| lang.t(k)),
    };
    let status = page::form_status(failed);
    Ok((jar, page::html(status, &page)).into_response())
}

/// The second factors of the signed-in account.
async fn methods_of(app: &AppState, user: &SignedIn) -> Result<Methods, PageError> {
    Ok(second_factors::methods(&app.db.get().await?, user.account.id).await?)
}

/// An agency role keeps a second factor: the authenticator goes only when a passkey remains.
fn may_remove_totp(account: &Account, methods: Methods) -> bool {
    account.roles.is_empty() || methods.passkeys > 0
}

/// `GET /account/second-factor`.
pub async fn show(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    render(&app, &user, lang, jar, (None, None)).await
}

/// Records a settings change, audited outside the change's transaction, and reports it.
async fn report(
    app: &AppState,
    user: &SignedIn,
    requester: &Requester,
    added: bool,
) -> Result<(), PageError> {
    tell_owner(app, user, added).await?;
    if !added {
        let event = audit::Event {
            kind: "second_factor_removed",
            outcome: "success",
            account_id: Some(user.account.id),
            client_id: None,
            ip: Some(requester.ip),
            user_agent: requester.user_agent.as_deref(),
            detail: serde_json::json!({ "by": "settings" }),
        };
        audit::record(&app.db.get().await?, &event).await?;
    }
    Ok(())
}

/// `POST /account/second-factor`: the current password, then the first code.
pub async fn add(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<SettingsForm>,
) -> Result<Response, PageError> {
    if methods_of(&app, &user).await?.totp {
        return Ok(Redirect::to(PATH).into_response());
    }
    let code = form.code.trim();
    if code.is_empty() || code.len() > 64 {
        return render(&app, &user, lang, jar, (None, Some("mfa-error-missing"))).await;
    }
    if !crate::login::reverify(&app, &user.account, &form.current_password, &requester).await? {
        let wrong = Some("mfa-settings-error-password");
        return render(&app, &user, lang, jar, (wrong, None)).await;
    }
    let id = settings_key(&user);
    let secret = pending_secret(&app, &id).await?;
    let Some(step) = totp::step_of(&secret, code).map_err(PageError::internal)? else {
        return render(&app, &user, lang, jar, (None, Some("mfa-error-wrong"))).await;
    };
    let detail = serde_json::json!({ "method": "totp", "at": "settings" });
    let codes = store(&app, user.account.id, &secret, step, &requester, detail).await?;
    ephemeral::delete(&app.kv, PENDING, &id).await?;
    report(&app, &user, &requester, true).await?;
    codes_page(&app, lang, jar, codes, Some("/account?done=second-factor"))
}

/// `POST /account/second-factor/remove`: the current password; not for an agency role without
/// a passkey.
pub async fn remove(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<SettingsForm>,
) -> Result<Response, PageError> {
    if !may_remove_totp(&user.account, methods_of(&app, &user).await?) {
        return Err(PageError::Forbidden);
    }
    if !crate::login::reverify(&app, &user.account, &form.current_password, &requester).await? {
        let wrong = Some("mfa-settings-error-password");
        return render(&app, &user, lang, jar, (wrong, None)).await;
    }
    let removed = {
        let mut db = app.db.get().await?;
        let tx = db.transaction().await?;
        // Checked again under the account's lock: a passkey removed meanwhile counts.
        second_factors::lock_account(&tx, user.account.id).await?;
        let methods = second_factors::methods(&tx, user.account.id).await?;
        if !may_remove_totp(&user.account, methods) {
            return Err(PageError::Forbidden);
        }
        let removed = second_factors::reset(&tx, user.account.id, false).await?;
        tx.commit().await?;
        removed
    };
    if removed {
        report(&app, &user, &requester, false).await?;
    }
    Ok(Redirect::to("/account?done=second-factor").into_response())
}
