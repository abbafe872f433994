//! `/account/passkeys` (« Clés d'accès », account settings): the account's passkeys with when
//! each was added and last used; add one (a name and the current password, then the browser's
//! ceremony) or remove one (the current password). A passkey is a second factor: the next
//! sign-in offers it after the password. The first factor an account gets comes with ten
//! recovery codes, shown once. An agency role cannot remove its last second factor. Each change
//! is audited and reported by e-mail.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use uuid::Uuid;

use super::enrol::codes_page;
use super::{passkey, recovery_codes, settings_key, tell_owner};
use crate::i18n::Lang;
use crate::sso::SignedIn;
use crate::state::AppState;
use crate::store::{audit, passkeys, second_factors};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// The page's path.
pub const PATH: &str = "/account/passkeys";

/// A passkey as listed.
struct Listed {
    id: String,
    name: String,
    added: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "account_passkeys.html")]
struct SettingsPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    /// Passkeys work on this deployment (its address is a domain name).
    offered: bool,
    listed: Vec<Listed>,
    /// The last second factor of an agency role: it stays.
    removable: bool,
    name: String,
    name_error: Option<String>,
    password_error: Option<String>,
    /// Which form the errors belong to: `add` or `remove`.
    failed_form: &'static str,
    error: Option<String>,
}

/// The ceremony page: the browser creates the passkey.
#[derive(Template)]
#[template(path = "passkey_create.html")]
struct CreatePage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    options: String,
    name: String,
    /// The ceremony template's error slots (the errors come back on the settings page).
    error: Option<String>,
    passkey_error: bool,
}

/// `POST /account/passkeys` and `…/remove`.
#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    passkey: String,
    #[serde(default)]
    current_password: String,
}

/// `POST /account/passkeys/finish`.
#[derive(Debug, Deserialize)]
pub struct FinishForm {
    #[serde(default)]
    credential: String,
}

/// What the page reports besides the list.
#[derive(Default)]
struct Problems {
    form: &'static str,
    name: Option<&'static str>,
    password: Option<&'static str>,
    general: Option<&'static str>,
}

async fn render(
    app: &AppState,
    user: &SignedIn,
    lang: Lang,
    jar: CookieJar,
    typed_name: &str,
    problems: Problems,
) -> Result<Response, PageError> {
    let (stored, methods) = {
        let db = app.db.get().await?;
        (
            passkeys::of_account(&db, user.account.id).await?,
            second_factors::methods(&db, user.account.id).await?,
        )
    };
    let date = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d").to_string();
    let listed = stored
        .into_iter()
        .map(|s| Listed {
            id: s.id.to_string(),
            name: s.name,
            added: date(s.created_at),
            last_used: s
                .last_used_at
                .map_or_else(|| lang.t("passkey-never-used"), date),
        })
        .collect();
    let failed = problems.name.or(problems.password).or(problems.general);
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = SettingsPage {
        lang,
        title: lang.t("passkey-settings-title"),
        switch_href: page::switch_href(PATH, lang),
        csrf,
        offered: app.webauthn.is_some(),
        listed,
        removable: user.account.roles.is_empty() || methods.totp || methods.passkeys > 1,
        name: typed_name.chars().take(passkey::MAX_NAME_CHARS).collect(),
        name_error: problems.name.map(|k| lang.t(k)),
        password_error: problems.password.map(|k| lang.t(k)),
        failed_form: problems.form,
        error: problems.general.map(|k| lang.t(k)),
    };
    let status = page::form_status(failed.is_some());
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /account/passkeys`.
pub async fn show(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    render(&app, &user, lang, jar, "", Problems::default()).await
}

/// `POST /account/passkeys`: a name and the current password, then the browser's ceremony.
pub async fn add(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<ChangeForm>,
) -> Result<Response, PageError> {
    if app.webauthn.is_none() {
        return Err(PageError::BadRequest("passkey-error-not-offered"));
    }
    let name = passkey::valid_name(&form.name);
    let mut problems = Problems {
        form: "add",
        name: name.is_none().then_some("passkey-error-name"),
        ..Problems::default()
    };
    if !crate::login::reverify(&app, &user.account, &form.current_password, &requester).await? {
        problems.password = Some("mfa-settings-error-password");
    }
    let Some(name) = name.filter(|_| problems.password.is_none()) else {
        return render(&app, &user, lang, jar, &form.name, problems).await;
    };
    let key = settings_key(&user);
    let Some(options) = passkey::begin_registration(&app, &key, &user.account, name).await? else {
        return Err(PageError::BadRequest("passkey-error-not-offered"));
    };
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = CreatePage {
        lang,
        title: lang.t("passkey-create-title"),
        switch_href: page::switch_href(PATH, lang),
        csrf,
        options,
        name: name.to_owned(),
        error: None,
        passkey_error: false,
    };
    Ok((jar, page::html(axum::http::StatusCode::OK, &page)).into_response())
}

/// `POST /account/passkeys/finish`: the browser's answer. Stored with its audit entry in one
/// transaction; the account's first factor brings recovery codes, shown once.
pub async fn finish(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<FinishForm>,
) -> Result<Response, PageError> {
    let account = user.account.id;
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let first = !second_factors::methods(&tx, account).await?.any();
    let key = settings_key(&user);
    let name =
        match passkey::finish_registration(&app, &tx, &key, account, &form.credential).await? {
            Ok(name) => name,
            Err(not_added) => {
                drop(tx);
                drop(db);
                tracing::info!(event = "passkey_added", outcome = "refused", account = %account);
                let problems = Problems {
                    form: "add",
                    general: Some(not_added.key()),
                    ..Problems::default()
                };
                return render(&app, &user, lang, jar, "", problems).await;
            }
        };
    let codes = if first {
        let codes = recovery_codes::generate().map_err(PageError::internal)?;
        let hashes: Vec<Vec<u8>> = codes
            .iter()
            .map(|c| recovery_codes::hash(&app.client_secret_key, account, c))
            .collect();
        second_factors::replace_recovery_codes(&tx, account, &hashes).await?;
        codes
    } else {
        Vec::new()
    };
    let detail = serde_json::json!({ "method": "passkey", "at": "settings", "name": name });
    audit::record(
        &tx,
        &event("second_factor_enrolled", account, &requester, detail),
    )
    .await?;
    tx.commit().await?;
    drop(db);
    tell_owner(&app, &user, true).await?;
    if first {
        return codes_page(&app, lang, jar, codes, Some(PATH));
    }
    Ok(Redirect::to("/account?done=passkeys").into_response())
}

/// `POST /account/passkeys/remove`: which one, and the current password.
pub async fn remove(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<ChangeForm>,
) -> Result<Response, PageError> {
    let Ok(id) = Uuid::parse_str(&form.passkey) else {
        return Err(PageError::BadRequest("passkey-error-unknown"));
    };
    let account = user.account.id;
    let methods = second_factors::methods(&app.db.get().await?, account).await?;
    let last = !methods.totp && methods.passkeys <= 1;
    if !user.account.roles.is_empty() && last {
        return Err(PageError::Forbidden);
    }
    if !crate::login::reverify(&app, &user.account, &form.current_password, &requester).await? {
        let problems = Problems {
            form: "remove",
            password: Some("mfa-settings-error-password"),
            ..Problems::default()
        };
        return render(&app, &user, lang, jar, "", problems).await;
    }
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    // Checked again under the account's lock: an authenticator removed meanwhile counts.
    second_factors::lock_account(&tx, account).await?;
    let methods = second_factors::methods(&tx, account).await?;
    if !user.account.roles.is_empty() && !methods.totp && methods.passkeys <= 1 {
        return Err(PageError::Forbidden);
    }
    if !passkeys::remove(&tx, account, id).await? {
        return Err(PageError::BadRequest("passkey-error-unknown"));
    }
    // The recovery codes go with the last factor: they replace nothing any more.
    second_factors::forget_codes_without_factor(&tx, account).await?;
    let detail = serde_json::json!({ "method": "passkey", "by": "settings" });
    audit::record(
        &tx,
        &event("second_factor_removed", account, &requester, detail),
    )
    .await?;
    tx.commit().await?;
    drop(db);
    tell_owner(&app, &user, false).await?;
    Ok(Redirect::to("/account?done=passkeys").into_response())
}

fn event<'a>(
    kind: &'static str,
    account: Uuid,
    requester: &'a Requester,
    detail: serde_json::Value,
) -> audit::Event<'a> {
    audit::Event {
        kind,
        outcome: "success",
        account_id: Some(account),
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail,
    }
}
