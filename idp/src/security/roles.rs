//! `GET|POST /security/roles`: who holds which agency role, and a form to grant or revoke one
//! (the command line's `idp users grant|revoke`, audited with the officer). Agency roles go to
//! staff (`CE…`) accounts only; an officer never changes their own roles (403). A refusal is
//! named at its field and changes nothing; a role granted here requires a second factor at the
//! holder's next sign-in, and a role revoked closes its console at the next request.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::SecurityOfficer;
use crate::admin::AdminError;
use crate::admin::roles::{self as admin_roles, Outcome};
use crate::domain::{LoginName, Role};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::{accounts, roles};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page, query_param};

#[derive(Template)]
#[template(path = "security_roles.html")]
struct RolesPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    done: Option<String>,
    holders: Vec<roles::Holder>,
    roles: Vec<(&'static str, bool)>,
    username: String,
    grant: bool,
    problems: page::FieldErrors,
}

/// `POST /security/roles`.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    /// `grant` or `revoke`.
    #[serde(default)]
    change: String,
}

async fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    done: Option<String>,
    typed: Option<(&RoleForm, &'static str, &'static str)>,
) -> Result<Response, PageError> {
    let holders = {
        let db = app.db.get().await?;
        roles::holders(&db).await?
    };
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let chosen = typed.map(|(f, _, _)| f.role.as_str()).unwrap_or_default();
    let page = RolesPage {
        lang,
        title: lang.t("security-roles-title"),
        switch_href: page::switch_href("/security/roles", lang),
        csrf,
        done,
        holders,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.as_str() == chosen))
            .collect(),
        username: typed
            .map(|(f, _, _)| f.username.chars().take(254).collect())
            .unwrap_or_default(),
        grant: typed.is_none_or(|(f, _, _)| f.change != "revoke"),
        problems: page::FieldErrors::worded(
            typed
                .map(|(_, field, key)| (field, lang.t(key)))
                .into_iter()
                .collect(),
        ),
    };
    let status = if typed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /security/roles`.
pub async fn show(
    State(app): State<AppState>,
    _officer: SecurityOfficer,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let done = match query_param(query.as_deref(), "done").as_deref() {
        Some("changed") => Some(lang.t("security-roles-done-changed")),
        Some("unchanged") => Some(lang.t("security-roles-done-unchanged")),
        _ => None,
    };
    render(&app, lang, jar, done, None).await
}

/// `POST /security/roles`.
pub async fn change(
    State(app): State<AppState>,
    officer: SecurityOfficer,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<RoleForm>,
) -> Result<Response, PageError> {
    let refuse = |field, key| render(&app, lang, jar.clone(), None, Some((&form, field, key)));
    let Some(role) = Role::parse(&form.role) else {
        return refuse("role", "security-roles-error-role").await;
    };
    let grant = match form.change.as_str() {
        "grant" => true,
        "revoke" => false,
        _ => return refuse("change", "security-roles-error-change").await,
    };
    let db = app.db.get().await?;
    let target = match LoginName::parse(form.username.trim()) {
        Ok(name) => accounts::find_by_login_name(&db, &name.folded())
            .await?
            .map(|found| found.account),
        Err(_) => None,
    };
    let Some(target) = target else {
        return refuse("username", "security-roles-error-username").await;
    };
    if target.id == officer.user.account.id {
        return Err(PageError::Forbidden);
    }
    let by = serde_json::json!({
        "by": "security_console",
        "officer": officer.user.account.id.to_string(),
        "ip": requester.ip.to_string(),
    });
    let outcome = if grant {
        admin_roles::grant_by(&db, &target.username, role, by).await
    } else {
        admin_roles::revoke_by(&db, &target.username, role, by).await
    };
    let done = match outcome {
        Ok(Outcome::Changed) => "changed",
        Ok(Outcome::Unchanged) => "unchanged",
        // A professional's account: agency roles go to staff accounts.
        Err(AdminError::Invalid(_)) => {
            return refuse("username", "security-roles-error-professional").await;
        }
        Err(AdminError::Store(e)) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/security/roles?done={done}")).into_response())
}
