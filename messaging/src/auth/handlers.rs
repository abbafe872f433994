//! The demo pages: home (who is signed in), login (to the provider), callback, logout.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine as _;
use serde::Deserialize;

use super::{Auth, PendingLogin};

const SESSION_COOKIE: &str = "__Host-msg_session";
const STATE_COOKIE: &str = "__Host-msg_login";
/// A login not finished within this is forgotten.
const PENDING_TTL: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    user: Option<(String, String)>,
    error: Option<&'static str>,
}

/// `GET /`.
pub async fn home(State(auth): State<Auth>, jar: CookieJar) -> Response {
    let user = jar
        .get(SESSION_COOKIE)
        .and_then(|c| auth.sessions.lock().ok()?.get(c.value()).cloned())
        .map(|u| (u.name, u.username));
    page(StatusCode::OK, &Home { user, error: None })
}

/// `GET /login`: off to the provider with state, nonce and PKCE.
pub async fn login(State(auth): State<Auth>, jar: CookieJar) -> Response {
    let Ok((url, state, nonce, verifier)) = auth.provider.authorize_url() else {
        return failure(StatusCode::INTERNAL_SERVER_ERROR);
    };
    if let Ok(mut pending) = auth.pending.lock() {
        pending.retain(|_, p| p.created.elapsed() < PENDING_TTL);
        let login = PendingLogin {
            verifier: verifier.secret().to_owned(),
            nonce: nonce.secret().to_owned(),
            created: std::time::Instant::now(),
        };
        pending.insert(state.secret().to_owned(), login);
    }
    let cookie = private_cookie(STATE_COOKIE, state.secret().to_owned());
    (jar.add(cookie), Redirect::to(url.as_str())).into_response()
}

/// The authorization response.
#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /callback`: the state must match this browser's cookie, then the code is exchanged.
pub async fn callback(
    State(auth): State<Auth>,
    jar: CookieJar,
    Query(answer): Query<Callback>,
) -> Response {
    let expected = jar.get(STATE_COOKIE).map(|c| c.value().to_owned());
    let (Some(state), Some(code), None) = (answer.state, answer.code, answer.error) else {
        return failure(StatusCode::BAD_REQUEST);
    };
    if expected.as_deref() != Some(state.as_str()) {
        return failure(StatusCode::BAD_REQUEST);
    }
    let Some(login) = auth.pending.lock().ok().and_then(|mut p| p.remove(&state)) else {
        return failure(StatusCode::BAD_REQUEST);
    };
    let user = match auth
        .provider
        .finish(code, login.verifier, &login.nonce)
        .await
    {
        Ok(user) => user,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "sign-in failed");
            return failure(StatusCode::BAD_GATEWAY);
        }
    };
    let mut id = [0u8; 32];
    if aws_lc_rs::rand::fill(&mut id).is_err() {
        return failure(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id);
    if let Ok(mut sessions) = auth.sessions.lock() {
        sessions.insert(id.clone(), user);
    }
    let jar = jar
        .remove(Cookie::build(STATE_COOKIE).path("/"))
        .add(private_cookie(SESSION_COOKIE, id));
    (jar, Redirect::to("/")).into_response()
}

/// `GET /logout`: forget the user here, then end the SSO session at the provider.
pub async fn logout(State(auth): State<Auth>, jar: CookieJar) -> Response {
    let user = jar
        .get(SESSION_COOKIE)
        .and_then(|c| auth.sessions.lock().ok()?.remove(c.value()));
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    match user {
        Some(user) => {
            (jar, Redirect::to(&auth.provider.logout_url(&user.id_token))).into_response()
        }
        None => (jar, Redirect::to("/")).into_response(),
    }
}

fn private_cookie(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .build()
}

fn failure(status: StatusCode) -> Response {
    page(
        status,
        &Home {
            user: None,
            error: Some("La connexion n'a pas pu être complétée. Réessayez."),
        },
    )
}

fn page(status: StatusCode, template: &Home) -> Response {
    match template.render() {
        Ok(body) => {
            let mut response = (status, Html(body)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            response
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error").into_response(),
    }
}
