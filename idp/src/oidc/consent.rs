//! The consent page for third-party clients; the answer is remembered per user and client.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::{authorize, respond};
use crate::domain::SecretToken;
use crate::i18n::Lang;
use crate::sso::handoff;
use crate::sso::session;
use crate::state::AppState;
use crate::store::consents;
use crate::web::{CheckedForm, PageError, csrf, page};

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    req: String,
    client_name: String,
    scopes: Vec<String>,
}

/// `?req=`.
#[derive(Debug, Deserialize)]
pub struct ConsentQuery {
    req: Option<String>,
}

/// The consent form.
#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    req: Option<String>,
    decision: Option<String>,
}

/// `GET /consent`.
pub async fn show(
    State(app): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<ConsentQuery>,
) -> Result<Response, PageError> {
    let req = query
        .req
        .filter(|r| SecretToken::is_well_formed(r))
        .ok_or(PageError::BadRequest("error-request-expired"))?;
    let Some(_session) = session::current(&app, &jar).await? else {
        return Ok(Redirect::to(&format!("/login?req={req}")).into_response());
    };
    let request = authorize::awaiting_consent(&app, &req).await?;
    let lang =
        crate::web::lang::negotiate_with_hint(uri.query(), &headers, request.ui_locales.as_deref());
    let client = app
        .clients
        .get(&request.client_id)
        .await?
        .ok_or(PageError::BadRequest("error-client-unknown"))?;
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let scopes = request
        .scope
        .split(' ')
        .map(|s| {
            let key = format!("scope-{s}");
            let text = lang.t(&key);
            if text == key { s.to_owned() } else { text }
        })
        .collect();
    let page = ConsentPage {
        lang,
        title: lang.t("consent-title"),
        switch_href: page::switch_href(&uri.to_string(), lang),
        csrf,
        req,
        client_name: client.name.clone(),
        scopes,
    };
    Ok((jar, page::html(StatusCode::OK, &page)).into_response())
}

/// `POST /consent`: allow or deny.
pub async fn submit(
    State(app): State<AppState>,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<ConsentForm>,
) -> Result<Response, PageError> {
    let req = form
        .req
        .ok_or(PageError::BadRequest("error-request-expired"))?;
    let session = session::current(&app, &jar)
        .await?
        .ok_or(PageError::BadRequest("error-request-expired"))?;
    let request = authorize::awaiting_consent(&app, &req).await?;
    // Answered once: a second submission, or one racing this one, finds nothing to take.
    if !handoff::take(&app, &req).await? {
        return Err(PageError::BadRequest("error-request-expired"));
    }
    if form.decision.as_deref() != Some("allow") {
        return respond::request_error(
            &app,
            &request,
            "access_denied",
            "the user denied the request",
        );
    }
    let scopes: Vec<String> = request.scope.split(' ').map(str::to_owned).collect();
    {
        let db = app.db.get().await?;
        consents::grant(&db, session.account_id, &request.client_id, &scopes).await?;
    }
    authorize::issue_code(&app, &session, &request).await
}
