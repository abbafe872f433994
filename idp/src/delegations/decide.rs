//! `POST /account/delegations/approve|refuse`: a named professional decides an access request
//! for themselves. A request that does not name them, is already decided by them or refused as
//! a whole is refused the same way, and nothing changes.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::approval::{self, Temporary};
use super::{professional, record};
use crate::domain::ProfessionalNumber;
use crate::sso::SignedIn;
use crate::state::AppState;
use crate::store::GenericClient;
use crate::store::access_requests::{self, Stored};
use crate::web::{CheckedForm, PageError, Requester};

/// The form of both buttons.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    request: String,
}

impl DecisionForm {
    fn id(&self) -> Result<Uuid, PageError> {
        Uuid::parse_str(self.request.trim()).map_err(|_| UNKNOWN)
    }
}

const UNKNOWN: PageError = PageError::BadRequest("delegations-error-unknown-request");

/// The request, locked, when it still waits for `number`'s decision.
async fn awaiting(
    db: &impl GenericClient,
    id: Uuid,
    number: &ProfessionalNumber,
) -> Result<Stored, PageError> {
    let request = access_requests::lock(db, id).await?.ok_or(UNKNOWN)?;
    if !request
        .request
        .acts_for
        .iter()
        .any(|n| n == number.as_str())
    {
        return Err(UNKNOWN);
    }
    if request.state == "refused"
        || access_requests::decision(db, id, number.as_str())
            .await?
            .is_some()
    {
        return Err(PageError::BadRequest("delegations-error-decided"));
    }
    Ok(request)
}

/// `POST /account/delegations/approve`.
pub async fn approve(
    State(app): State<AppState>,
    user: SignedIn,
    requester: Requester,
    CheckedForm(form): CheckedForm<DecisionForm>,
) -> Result<Response, PageError> {
    let number = professional(&app, &user.account)?;
    let id = form.id()?;
    let temporary = Temporary::generate(&app).await?;
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let request = awaiting(&tx, id, &number).await?;
    let approved = approval::approve(&tx, &app, &request, &[user.account.id], temporary).await?;
    access_requests::decide(&tx, id, number.as_str(), user.account.id, true).await?;
    let detail = serde_json::json!({
        "request": id, "by": user.account.id.to_string(), "for": number.as_str(),
        "services": approved.services, "account_opened": approved.opened,
    });
    record(
        &tx,
        "access_request_approved",
        approved.staff,
        &requester,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/account/delegations?approved={id}")).into_response())
}

/// `POST /account/delegations/refuse`.
pub async fn refuse(
    State(app): State<AppState>,
    user: SignedIn,
    requester: Requester,
    CheckedForm(form): CheckedForm<DecisionForm>,
) -> Result<Response, PageError> {
    let number = professional(&app, &user.account)?;
    let id = form.id()?;
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let request = awaiting(&tx, id, &number).await?;
    access_requests::decide(&tx, id, number.as_str(), user.account.id, false).await?;
    let prefix = &app.config.usernames.professional_prefix;
    let settled =
        request.account_id.is_none() && access_requests::refuse_if_settled(&tx, id, prefix).await?;
    if settled {
        approval::tell_refused(&tx, &request).await?;
    }
    let detail = serde_json::json!({
        "request": id, "by": user.account.id.to_string(), "for": number.as_str(),
        "request_refused": settled,
    });
    // No staff account yet: the event is the professional's.
    let account = request.account_id.unwrap_or(user.account.id);
    record(&tx, "access_request_refused", account, &requester, detail).await?;
    tx.commit().await?;
    Ok(Redirect::to("/account/delegations?done=refused").into_response())
}
