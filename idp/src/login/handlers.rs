//! Login page handlers.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::{Failure, authenticate};
use crate::credentials::restricted::{self, RestrictedWhy};
use crate::domain::{SecretToken, authentication};
use crate::i18n::Lang;
use crate::oidc::backchannel;
use crate::sso::handoff::{self, Parked};
use crate::sso::session;
use crate::state::AppState;
use crate::web::{CheckedForm, PageError, Requester, csrf, page};

/// The login page.
#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    req: String,
    username: String,
    error: Option<String>,
}

/// Query of `GET /login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    req: Option<String>,
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    req: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// `GET /login`: the form, in the relying party's `ui_locales` unless the user chose, and
/// prefilled with its `login_hint`.
pub async fn show(
    State(app): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let req = query.req.filter(|r| SecretToken::is_well_formed(r));
    let parked = parked_request(&app, req.as_deref()).await?;
    let lang = flow_lang(&uri, &headers, parked.as_ref());
    let hint = parked.and_then(|r| r.login_hint).unwrap_or_default();
    render(&app, lang, jar, req, hint, None)
}

/// `POST /login`.
pub async fn submit(
    State(app): State<AppState>,
    requester: Requester,
    jar: CookieJar,
    headers: HeaderMap,
    uri: Uri,
    CheckedForm(form): CheckedForm<LoginForm>,
) -> Result<Response, PageError> {
    let req = form.req.filter(|r| SecretToken::is_well_formed(r));
    let username = form.username.unwrap_or_default();
    let outcome = authenticate(
        &app,
        &username,
        form.password.as_deref().unwrap_or_default(),
        &requester,
    )
    .await?;
    let authenticated = match outcome {
        Ok(authenticated) => authenticated,
        Err(failure) => {
            let parked = parked_request(&app, req.as_deref()).await?;
            let lang = flow_lang(&uri, &headers, parked.as_ref());
            let key = match failure {
                Failure::Incomplete => "login-error-incomplete",
                Failure::Refused => "login-error-refused",
            };
            let shown = username.chars().take(254).collect();
            return render(&app, lang, jar, req, shown, Some(lang.t(key)));
        }
    };
    let account = authenticated.account;
    let parked = match &req {
        Some(id) => handoff::get(&app, id).await?.map(|p| (id.clone(), p)),
        None => None,
    };
    let methods = {
        let db = app.db.get().await?;
        crate::store::second_factors::methods(&db, account.id).await?
    };
    let second_factor = restricted::second_factor_due(&account, methods);
    let why = match (authenticated.must_change, second_factor) {
        (Some(why), _) => Some(why),
        (None, Some(_)) => Some(RestrictedWhy::SecondFactor),
        (None, None) => None,
    };
    if let Some(why) = why {
        // No session until the password is changed: the parked request waits in the
        // restricted state and resumes when it is done.
        let answered = {
            let db = app.db.get().await?;
            crate::store::questions::answered(&db, account.id)
                .await?
                .len()
        };
        return restricted::begin(&app, jar, account.id, why, second_factor, answered, parked)
            .await;
    }
    // A request that expired while the user typed: said before any session opens, so the
    // error page never drops a session cookie it would have set.
    if req.is_some() && parked.is_none() {
        return Err(PageError::BadRequest("error-request-expired"));
    }
    let (jar, session, ended) =
        session::open(&app, jar, account.id, &[authentication::PASSWORD]).await?;
    backchannel::notify(&app, ended).await;
    if let Some((id, parked)) = parked
        && handoff::signed_in(&app, &id, parked, &session.sid).await?
    {
        return Ok((jar, Redirect::to(&handoff::resume_path(&id))).into_response());
    }
    // No request, or one that expired in the last instant: signed in all the same, at home.
    Ok((jar, Redirect::to("/")).into_response())
}

/// The login page; a failed attempt shows it again with the name typed and the one message
/// every failure shares.
fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    req: Option<String>,
    username: String,
    error: Option<String>,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let switch = match &req {
        Some(id) => format!("/login?req={id}"),
        None => "/login".to_owned(),
    };
    let page = LoginPage {
        lang,
        title: lang.t("login-title"),
        switch_href: page::switch_href(&switch, lang),
        csrf,
        req: req.unwrap_or_default(),
        username,
        error,
    };
    Ok((jar, page::html(StatusCode::OK, &page)).into_response())
}

/// The authorization request a login page serves, if it is still parked.
async fn parked_request(app: &AppState, req: Option<&str>) -> Result<Option<Parked>, PageError> {
    let Some(id) = req else { return Ok(None) };
    Ok(handoff::get(app, id).await?)
}

/// The page language, honouring the relying party's `ui_locales`.
fn flow_lang(uri: &Uri, headers: &HeaderMap, parked: Option<&Parked>) -> Lang {
    let hint = parked.and_then(|r| r.ui_locales.as_deref());
    crate::web::lang::negotiate_with_hint(uri.query(), headers, hint)
}
