//! The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2): validate, then answer at
//! once from the SSO session, or park the request in Redis while the user signs in or
//! consents, and resume it on whichever node they come back to.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use serde::Deserialize;

use super::request::{self, AuthorizationRequest, Params, Refused};
use super::respond;
use crate::domain::{Scope, SecretToken};
use crate::sso::handoff::{self, Parked, Stage};
use crate::sso::session;
use crate::state::AppState;
use crate::store::codes::{self, CodeGrant};
use crate::store::consents;
use crate::store::sessions::Session;
use crate::web::PageError;

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

/// Query of `GET /authorize/resume`.
#[derive(Debug, Deserialize)]
pub struct ResumeQuery {
    req: Option<String>,
}

/// `GET /authorize/resume?req=…`: where the sign-in pages send the browser once the user is
/// signed in (`sso::handoff::resume_path`). A request parked for a login is answered only by
/// the session that login opened — it satisfies `prompt=login` and `max_age` by
/// construction —, so a link to this URL cannot stand in for the login the relying party
/// asked for: any other browser or session gets the login page.
#[tracing::instrument(skip_all)]
pub async fn resume(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(query): Query<ResumeQuery>,
) -> Result<Response, PageError> {
    let id = query
        .req
        .ok_or(PageError::BadRequest("error-request-expired"))?;
    let parked = handoff::get(&app, &id)
        .await?
        .ok_or(PageError::BadRequest("error-request-expired"))?;
    let session = session::current(&app, &jar).await?;
    let session = match (parked.stage, session) {
        (Stage::Login, Some(s)) if parked.signed_in.as_deref() == Some(s.sid.as_str()) => s,
        (Stage::Consent, Some(s)) => s,
        _ => return Ok(Redirect::to(&format!("/login?req={id}")).into_response()),
    };
    decide(&app, &session, request_of(parked)?, Some(&id)).await
}

/// The request a hand-off carries (written by `park`).
fn request_of(parked: Parked) -> Result<AuthorizationRequest, PageError> {
    serde_json::from_value(parked.request)
        .map_err(|_| PageError::BadRequest("error-request-expired"))
}

/// Loads a request parked for consent (and only for consent).
pub async fn awaiting_consent(
    app: &AppState,
    pending_id: &str,
) -> Result<AuthorizationRequest, PageError> {
    match handoff::get(app, pending_id).await? {
        Some(parked) if parked.stage == Stage::Consent => request_of(parked),
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
    if let Some(id) = pending_id
        && !handoff::take(app, id).await?
    {
        return Err(PageError::BadRequest("error-request-expired"));
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
        amr: session.amr.clone(),
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
    let parked = Parked {
        stage,
        signed_in: None,
        login_hint: request.login_hint.clone(),
        ui_locales: request.ui_locales.clone(),
        request: serde_json::to_value(&request).map_err(PageError::internal)?,
    };
    let id = handoff::park(app, id, &parked).await?;
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
