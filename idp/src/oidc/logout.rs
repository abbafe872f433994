//! RP-Initiated Logout 1.0. With a valid `id_token_hint` for the signed-in user the session
//! ends at once; without one the user confirms first, so a third party cannot log users out
//! by sending them a link (forced logout, §6). `post_logout_redirect_uri` must be registered
//! exactly for the client; otherwise we show our own page.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::request::Params;
use crate::i18n::Lang;
use crate::keys;
use crate::sso::session;
use crate::state::AppState;
use crate::web::{PageError, RequestLang, csrf, page};

#[derive(Template)]
#[template(path = "logout_confirm.html")]
struct ConfirmPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    client_id: String,
    post_logout_redirect_uri: String,
    state: String,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
struct LoggedOutPage {
    lang: Lang,
    title: String,
    switch_href: String,
}

/// The claims of an id_token_hint we look at.
#[derive(Debug, Deserialize)]
struct Hint {
    iss: String,
    aud: serde_json::Value,
    sub: String,
}

/// `GET /logout`.
pub async fn get(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let params = Params::parse(uri.query().unwrap_or_default().as_bytes())
        .map_err(|_| PageError::BadRequest("error-logout-malformed"))?;
    logout(&app, lang, jar, &headers, &params).await
}

/// `POST /logout` (from a relying party, or our confirmation page).
pub async fn post(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let params =
        Params::parse(&body).map_err(|_| PageError::BadRequest("error-logout-malformed"))?;
    // A relying party's cross-site form POST does not carry our SameSite=Lax session cookie:
    // answering it would say "logged out" while the session lives on. Re-send it as a
    // top-level GET, which carries the cookie (RP-Initiated Logout §2 allows both methods).
    let same_origin = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin");
    if jar.get(session::SESSION_COOKIE).is_none() && !same_origin {
        let query = params.to_query();
        return Ok(Redirect::to(&format!("/logout?{query}")).into_response());
    }
    logout(&app, lang, jar, &headers, &params).await
}

async fn logout(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Response, PageError> {
    let hint = match params.get("id_token_hint") {
        Some(token) => Some(verify_hint(app, token).await?),
        None => None,
    };
    let hinted_client = hint.as_ref().and_then(|h| match &h.aud {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
        _ => None,
    });
    let client_id = match (hinted_client, params.get("client_id")) {
        (Some(h), Some(c)) if h != c => {
            return Err(PageError::BadRequest("error-logout-client-mismatch"));
        }
        (Some(h), _) => Some(h),
        (None, c) => c.map(str::to_owned),
    };
    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client_id = client_id
                .as_deref()
                .ok_or(PageError::BadRequest("error-logout-redirect"))?;
            let client = app
                .clients
                .get(client_id)
                .await?
                .ok_or(PageError::BadRequest("error-logout-redirect"))?;
            if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
                return Err(PageError::BadRequest("error-logout-redirect"));
            }
            Some(uri.to_owned())
        }
    };
    let current = session::current(app, &jar).await?;
    let confirmed = params.get("confirm") == Some("yes")
        && csrf::check(app, &jar, headers, params.get("csrf")).is_ok();
    let hint_matches = match (&hint, &current) {
        (Some(h), Some(s)) => h.sub == s.account_id.to_string(),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if current.is_some() && !confirmed && !hint_matches {
        let (jar, token) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
        let page = ConfirmPage {
            lang,
            title: lang.t("logout-title"),
            switch_href: format!("/logout?lang={}", lang.other().tag()),
            csrf: token,
            client_id: client_id.unwrap_or_default(),
            post_logout_redirect_uri: redirect.unwrap_or_default(),
            state: params.get("state").unwrap_or_default().to_owned(),
        };
        return Ok((jar, page::html(StatusCode::OK, &page)).into_response());
    }
    if let Some(s) = current {
        let ended = session::end(app, &s.sid).await?;
        super::backchannel::notify(app, ended).await;
    }
    let jar = session::forget(jar);
    match redirect {
        Some(uri) => {
            let mut url = url::Url::parse(&uri)
                .map_err(|_| PageError::BadRequest("error-logout-redirect"))?;
            if let Some(state) = params.get("state") {
                url.query_pairs_mut().append_pair("state", state);
            }
            Ok((jar, Redirect::to(url.as_str())).into_response())
        }
        None => {
            let page = LoggedOutPage {
                lang,
                title: lang.t("logged-out-title"),
                switch_href: format!("/logout?lang={}", lang.other().tag()),
            };
            Ok((jar, page::html(StatusCode::OK, &page)).into_response())
        }
    }
}

/// An id_token_hint must be ours (signature, issuer); it may have expired (§2).
async fn verify_hint(app: &AppState, token: &str) -> Result<Hint, PageError> {
    let jws = keys::parse_jws(token).map_err(|_| PageError::BadRequest("error-logout-hint"))?;
    // Our other JWTs (access and logout tokens) are typed; an id_token is not (OIDC Core).
    if jws.typ_is("at+jwt") || jws.typ_is("logout+jwt") {
        return Err(PageError::BadRequest("error-logout-hint"));
    }
    let payload = app
        .keys
        .verify_parsed(&jws)
        .await
        .map_err(|_| PageError::BadRequest("error-logout-hint"))?;
    let hint: Hint =
        serde_json::from_slice(&payload).map_err(|_| PageError::BadRequest("error-logout-hint"))?;
    if hint.iss != app.issuer {
        return Err(PageError::BadRequest("error-logout-hint"));
    }
    Ok(hint)
}
