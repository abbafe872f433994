//! The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2): validate, then answer at
//! once from the SSO session, or park the request in Redis while the user signs in or
//! consents, and resume it on whichever node they come back to.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::request::{self, AuthorizationRequest, Params, Refused};
use super::respond;
use crate::domain::{Scope, SecretToken};
use crate::login::session;
use crate::state::AppState;
use crate::store::codes::{self, CodeGrant};
use crate::store::sessions::Session;
use crate::store::{consents, pending};
use crate::web::PageError;

/// A request parked until login or consent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The validated request.
    pub request: AuthorizationRequest,
    /// What it waits for: only a request waiting for consent may be answered by the consent
    /// form (one waiting for a login must get a fresh password, `prompt=login`, `max_age`).
    pub stage: Stage,
}

/// What a parked request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// A login (no session, `prompt=login` or `max_age` exceeded).
    Login,
    /// The user's consent to a third-party client.
    Consent,
}

/// `GET /authorize`.
pub async fn get(
    State(app): State<AppState>,
    jar: CookieJar,
    uri: Uri,
) -> Result<Response, PageError> {
    let params = Params::parse(uri.query().unwrap_or_default().as_bytes());
    authorize(&app, &jar, params).await
}

/// `POST /authorize` (OIDC Core §3.1.2.1: form-encoded).
pub async fn post(
    State(app): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let is_form = headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    if !is_form {
        return Err(PageError::BadRequest("error-bad-form"));
    }
    authorize(&app, &jar, Params::parse(&body)).await
}

async fn authorize(
    app: &AppState,
    jar: &CookieJar,
    params: Result<Params, request::ParamsError>,
) -> Result<Response, PageError> {
    // Until the client and redirect URI are known good, every error is a page (§4.1.2.1).
    let params = params.map_err(|_| PageError::BadRequest("error-authorize-malformed"))?;
    let client_id = params
        .get("client_id")
        .ok_or(PageError::BadRequest("error-client-missing"))?;
    let client = app
        .clients
        .get(client_id)
        .await?
        .ok_or(PageError::BadRequest("error-client-unknown"))?;
    let redirect_uri = request::registered_redirect(&client, params.get("redirect_uri"))
        .map_err(PageError::BadRequest)?;
    let request = match request::validate(&client, &params, redirect_uri) {
        Ok(request) => request,
        Err(Refused {
            redirect_uri,
            response_mode,
            state,
            error,
            description,
        }) => {
            let state = state.as_deref();
            return respond::error(
                app,
                &redirect_uri,
                response_mode,
                state,
                error,
                &description,
            );
        }
    };
    let session = session::current(app, jar).await?;
    let session = match session {
        Some(s) if !request.prompt_login && within_max_age(&s, request.max_age) => s,
        _ if request.prompt_none => {
            return respond::request_error(
                app,
                &request,
                "login_required",
                "the user is not signed in",
            );
        }
        _ => return park(app, None, request, Stage::Login).await,
    };
    decide(app, &session, request, None).await
}

/// Continues a parked request after login or consent. A fresh login satisfies `prompt=login`
/// and `max_age` by construction, so only consent remains to decide.
#[tracing::instrument(skip_all, fields(account = %session.account_id))]
pub async fn resume(
    app: &AppState,
    session: &Session,
    pending_id: &str,
) -> Result<Response, PageError> {
    let Some(Pending { request, .. }) = pending::get::<Pending>(&app.kv, pending_id).await? else {
        return Err(PageError::BadRequest("error-request-expired"));
    };
    decide(app, session, request, Some(pending_id)).await
}

/// Loads a request parked for consent (and only for consent).
pub async fn awaiting_consent(
    app: &AppState,
    pending_id: &str,
) -> Result<AuthorizationRequest, PageError> {
    match pending::get::<Pending>(&app.kv, pending_id).await? {
        Some(Pending {
            request,
            stage: Stage::Consent,
        }) => Ok(request),
        _ => Err(PageError::BadRequest("error-request-expired")),
    }
}

/// Consent (third parties), then the code.
async fn decide(
    app: &AppState,
    session: &Session,
    request: AuthorizationRequest,
    pending_id: Option<&str>,
) -> Result<Response, PageError> {
    let client = app
        .clients
        .get(&request.client_id)
        .await?
        .ok_or(PageError::BadRequest("error-client-unknown"))?;
    if !client.first_party {
        let db = app.db.get().await?;
        let granted =
            Scope::from_tokens(consents::granted(&db, session.account_id, &client.id).await?);
        let asked = Scope::parse(&request.scope)
            .map_err(|_| PageError::BadRequest("error-authorize-malformed"))?;
        if request.prompt_consent || !asked.is_subset(&granted) {
            if request.prompt_none {
                return respond::request_error(
                    app,
                    &request,
                    "consent_required",
                    "consent is required",
                );
            }
            return park(app, pending_id, request, Stage::Consent).await;
        }
    }
    if let Some(id) = pending_id {
        pending::delete(&app.kv, id).await?;
    }
    issue_code(app, session, &request).await
}

/// Issues a single-use code bound to client, redirect URI and PKCE challenge, and answers.
#[tracing::instrument(skip_all, fields(account = %session.account_id, client = %request.client_id))]
pub async fn issue_code(
    app: &AppState,
    session: &Session,
    request: &AuthorizationRequest,
) -> Result<Response, PageError> {
    let code = SecretToken::generate().map_err(PageError::internal)?;
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        pkce: request.pkce.clone(),
        account_id: session.account_id,
        sid: session.sid.clone(),
        auth_time: session.auth_time.timestamp(),
    };
    codes::put(
        &app.kv,
        &code.digest_b64(),
        &grant,
        app.config.tokens.code_ttl_secs,
    )
    .await?;
    respond::code(app, request, code.expose())
}

/// Parks (or re-parks under the same id) a request and sends the browser to its page.
async fn park(
    app: &AppState,
    id: Option<&str>,
    request: AuthorizationRequest,
    stage: Stage,
) -> Result<Response, PageError> {
    let id = match id {
        Some(id) => id.to_owned(),
        None => SecretToken::generate()
            .map_err(PageError::internal)?
            .expose()
            .to_owned(),
    };
    pending::put(&app.kv, &id, &Pending { request, stage }).await?;
    let page = match stage {
        Stage::Login => "/login",
        Stage::Consent => "/consent",
    };
    Ok(Redirect::to(&format!("{page}?req={id}")).into_response())
}

/// OIDC Core §3.1.2.1 `max_age`: the time elapsed since the last authentication may not be
/// greater than `max_age` seconds. Compared to the microsecond (the session's `auth_time`
/// comes from Postgres), never in whole seconds: a login 0.4 s ago is older than 0 s.
fn within_max_age(session: &Session, max_age: Option<u64>) -> bool {
    let Some(max) = max_age else {
        return true;
    };
    // A max_age beyond chrono's range is longer than any session: always satisfied.
    let Some(max) = i64::try_from(max)
        .ok()
        .and_then(chrono::Duration::try_seconds)
    else {
        return true;
    };
    Utc::now() - session.auth_time <= max
}
