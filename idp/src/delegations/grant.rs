//! `POST /account/delegations/grant|revoke`: a professional gives a staff account the right to
//! act for them (at one service, or every service), or takes it back. Only their own
//! delegations can be revoked; a made-up or another's id is refused and nothing changes.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use uuid::Uuid;

use super::page::{self, Problem, Typed};
use super::{professional, record};
use crate::domain::LoginName;
use crate::sso::SignedIn;
use crate::state::AppState;
use crate::store::{accounts, clients, delegations};
use crate::web::{CheckedForm, PageError, RequestLang, Requester};

/// `POST /account/delegations/grant`.
#[derive(Debug, Default, Deserialize)]
pub struct GrantForm {
    /// The staff username (`CE…`) or e-mail alias.
    #[serde(default)]
    staff: String,
    /// A client id; empty for every service.
    #[serde(default)]
    service: String,
}

/// `POST /account/delegations/revoke`.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    delegation: String,
}

/// `POST /account/delegations/grant`.
pub async fn grant(
    State(app): State<AppState>,
    user: SignedIn,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<GrantForm>,
) -> Result<Response, PageError> {
    let number = professional(&app, &user.account)?;
    let typed = Typed {
        staff: form.staff.trim().to_owned(),
        service: form.service.trim().to_owned(),
    };
    let refuse = |problem: Problem, typed: Typed| {
        let (app, user) = (app.clone(), &user);
        async move { page::render(&app, user, lang, jar, page::Shown::Problem(problem, typed)).await }
    };
    let db = app.db.get().await?;
    let staff = match LoginName::parse(&typed.staff) {
        Ok(name) => accounts::find_by_login_name(&db, &name.folded())
            .await?
            .map(|found| found.account)
            .filter(|a| a.account_type == "staff" && a.disabled_at.is_none()),
        Err(_) => None,
    };
    let Some(staff) = staff else {
        return refuse(Problem::Staff, typed).await;
    };
    let service = (!typed.service.is_empty()).then_some(typed.service.as_str());
    if let Some(service) = service
        && !clients::services(&db)
            .await?
            .iter()
            .any(|(id, _, _)| id == service)
    {
        return refuse(Problem::Service, typed).await;
    }
    drop(db);
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let granted = delegations::grant(&tx, staff.id, user.account.id, service).await?;
    if granted.is_some() {
        let detail = serde_json::json!({
            "for": user.account.id.to_string(), "number": number.as_str(),
            "service": service, "by": "professional",
        });
        record(&tx, "delegation_granted", staff.id, &requester, detail).await?;
    }
    tx.commit().await?;
    let done = if granted.is_some() {
        "granted"
    } else {
        "unchanged"
    };
    Ok(Redirect::to(&format!("/account/delegations?done={done}")).into_response())
}

/// `POST /account/delegations/revoke`.
pub async fn revoke(
    State(app): State<AppState>,
    user: SignedIn,
    requester: Requester,
    CheckedForm(form): CheckedForm<RevokeForm>,
) -> Result<Response, PageError> {
    professional(&app, &user.account)?;
    let unknown = PageError::BadRequest("delegations-error-unknown-delegation");
    let id = Uuid::parse_str(form.delegation.trim()).map_err(|_| unknown)?;
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let Some(staff) = delegations::revoke_given(&tx, id, user.account.id).await? else {
        return Err(PageError::BadRequest(
            "delegations-error-unknown-delegation",
        ));
    };
    let detail = serde_json::json!({
        "delegation": id, "for": user.account.id.to_string(), "by": "professional",
    });
    record(&tx, "delegation_revoked", staff, &requester, detail).await?;
    tx.commit().await?;
    Ok(Redirect::to("/account/delegations?done=revoked").into_response())
}
