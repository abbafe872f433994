//! `GET|POST /security/keys`: the signing keys with their state (next, active, retiring) and
//! age, and a rotation by the same rules as `idp keys rotate` (`keys::rotation::
//! rotate_as_configured`): the new keys are published `keys.pre_publication_secs` before they
//! sign, and the old ones leave the JWKS after the longest token lifetime, so no token a relying
//! party holds stops verifying. The officer confirms it first; it is audited with the officer.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::SecurityOfficer;
use crate::i18n::Lang;
use crate::keys::rotation;
use crate::state::AppState;
use crate::store::audit;
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page, query_param};

/// A key as listed.
struct Listed {
    kid: String,
    alg: String,
    state: String,
    age: String,
    activates: String,
    retires: String,
}

#[derive(Template)]
#[template(path = "security_keys.html")]
struct KeysPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    done: Option<String>,
    keys: Vec<Listed>,
    pre_publication_secs: String,
    error: Option<String>,
}

/// `POST /security/keys`.
#[derive(Debug, Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    confirm: String,
}

async fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    done: Option<String>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let keys = rotation::list(&app.db.get().await?)
        .await
        .map_err(PageError::internal)?;
    let now = chrono::Utc::now();
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let listed = keys
        .into_iter()
        .map(|k| {
            let age = now - k.created_at;
            Listed {
                kid: k.kid,
                alg: k.alg.to_string(),
                state: lang.t(&format!("security-key-state-{}", k.state)),
                age: lang.t_args(
                    "security-key-age",
                    &[
                        ("days", age.num_days().to_string()),
                        ("hours", (age.num_hours() % 24).to_string()),
                    ],
                ),
                activates: time(k.activate_at),
                retires: k.retire_at.map_or_else(|| "—".to_owned(), time),
            }
        })
        .collect();
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = KeysPage {
        lang,
        title: lang.t("security-keys-title"),
        switch_href: page::switch_href("/security/keys", lang),
        csrf,
        done,
        keys: listed,
        pre_publication_secs: app.config.keys.pre_publication_secs.to_string(),
        error: error.map(|k| lang.t(k)),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /security/keys`.
pub async fn show(
    State(app): State<AppState>,
    _officer: SecurityOfficer,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let done = (query_param(query.as_deref(), "done").as_deref() == Some("rotated"))
        .then(|| lang.t("security-keys-done"));
    render(&app, lang, jar, done, None).await
}

/// `POST /security/keys`: rotate, once confirmed.
pub async fn rotate(
    State(app): State<AppState>,
    officer: SecurityOfficer,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<RotateForm>,
) -> Result<Response, PageError> {
    if form.confirm != "yes" {
        return render(&app, lang, jar, None, Some("security-keys-error-confirm")).await;
    }
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let added = rotation::rotate_as_configured(&tx, &app.kek, &app.config)
        .await
        .map_err(PageError::internal)?;
    let kids: Vec<String> = added.iter().map(|k| k.kid.clone()).collect();
    let event = audit::Event {
        kind: "signing_keys_rotated",
        outcome: "success",
        account_id: Some(officer.user.account.id),
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail: serde_json::json!({
            "by": "security_console",
            "officer": officer.user.account.username,
            "added": kids,
        }),
    };
    audit::record(&tx, &event).await?;
    tx.commit().await?;
    Ok(Redirect::to("/security/keys?done=rotated").into_response())
}
