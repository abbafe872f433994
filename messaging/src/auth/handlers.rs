//! Login (to the idp), callback, logout, back-channel logout.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;

use crate::identity::logout_token;
use crate::session::{self, MaybeSession};
use crate::state::AppState;
use crate::store::sessions::{self, WebSession};

/// `GET /login`: off to the idp with state, nonce and PKCE; the state's digest keeps the
/// verifier and nonce server-side, and a cookie ties the sign-in to this browser.
pub async fn login(State(app): State<AppState>, jar: CookieJar) -> Response {
    let Some(provider) = app.signin.as_ref() else {
        return failure(StatusCode::NOT_FOUND);
    };
    let Ok((url, state, nonce, verifier)) = provider.authorize_url() else {
        return failure(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let stored = match app.db.get().await {
        Ok(db) => {
            sessions::put_pending(
                &db,
                &session::digest(state.secret()),
                verifier.secret(),
                nonce.secret(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    };
    if let Err(e) = stored {
        tracing::error!(error = %crate::error::Chain(&e), "cannot keep the sign-in under way");
        return failure(StatusCode::SERVICE_UNAVAILABLE);
    }
    let cookie = session::cookie(session::LOGIN_COOKIE, state.secret().to_owned());
    (jar.add(cookie), Redirect::to(url.as_str())).into_response()
}

/// The authorization response.
#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /callback`: the state must be this browser's and still under way (taken once), then
/// the code is exchanged and the id_token verified; the session is stored server-side.
pub async fn callback(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(answer): Query<Callback>,
) -> Response {
    let Some(provider) = app.signin.as_ref() else {
        return failure(StatusCode::NOT_FOUND);
    };
    let expected = jar.get(session::LOGIN_COOKIE).map(|c| c.value().to_owned());
    let (Some(state), Some(code), None) = (answer.state, answer.code, answer.error) else {
        return failure(StatusCode::BAD_REQUEST);
    };
    if expected.as_deref() != Some(state.as_str()) {
        return failure(StatusCode::BAD_REQUEST);
    }
    let Ok(db) = app.db.get().await else {
        return failure(StatusCode::SERVICE_UNAVAILABLE);
    };
    let Ok(Some((verifier, nonce))) = sessions::take_pending(&db, &session::digest(&state)).await
    else {
        return failure(StatusCode::BAD_REQUEST);
    };
    let user = match provider.finish(code, verifier, &nonce).await {
        Ok(user) => user,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "sign-in failed");
            return failure(StatusCode::BAD_GATEWAY);
        }
    };
    let (Some(id), Some(csrf)) = (session::random_token(), session::random_token()) else {
        return failure(StatusCode::INTERNAL_SERVER_ERROR);
    };
    // The person as the idp describes them: agents can address them, notices can reach them.
    let person = crate::store::people::Person {
        sub: user.subject.clone(),
        username: user.username.clone(),
        name: user.name.clone(),
        email: user.email.clone(),
        locale: user.locale.clone().unwrap_or_else(|| "fr-CA".into()),
    };
    if let Err(e) = crate::store::people::upsert(&db, &person, true).await {
        tracing::error!(error = %crate::error::Chain(&e), "cannot record the person");
        return failure(StatusCode::SERVICE_UNAVAILABLE);
    }
    let row = WebSession {
        sub: user.subject,
        username: user.username,
        name: user.name,
        sid: user.sid,
        id_token: user.id_token,
        roles: user.roles,
        acts_for: user.acts_for,
        csrf,
        expires_at: chrono::Utc::now() + session::TTL,
        checked_at: chrono::Utc::now(),
        refresh_sealed: None,
    };
    let id_hash = session::digest(&id);
    let row = WebSession {
        refresh_sealed: match user.refresh_token.as_deref() {
            Some(token) => match app
                .keyring
                .seal_secret(&session::refresh_aad(&id_hash), token)
            {
                Ok(sealed) => Some(sealed),
                Err(e) => {
                    tracing::error!(error = %crate::error::Chain(&e), "cannot seal the refresh token");
                    return failure(StatusCode::SERVICE_UNAVAILABLE);
                }
            },
            None => None,
        },
        ..row
    };
    if let Err(e) = sessions::create(&db, &id_hash, &row).await {
        tracing::error!(error = %crate::error::Chain(&e), "cannot store the session");
        return failure(StatusCode::SERVICE_UNAVAILABLE);
    }
    let jar = jar
        .remove(Cookie::build(session::LOGIN_COOKIE).path("/").secure(true))
        .add(session::cookie(session::COOKIE, id));
    (jar, Redirect::to("/")).into_response()
}

/// The logout form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// `POST /logout`: the session's own CSRF token is required; the session ends here, then the
/// browser goes to the idp to end the SSO session (RP-initiated logout).
pub async fn logout(
    State(app): State<AppState>,
    MaybeSession(session): MaybeSession,
    jar: CookieJar,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Some((id, current)) = session else {
        return Redirect::to("/").into_response();
    };
    let same = aws_lc_rs::constant_time::verify_slices_are_equal(
        form.csrf.as_bytes(),
        current.csrf.as_bytes(),
    )
    .is_ok();
    if !same {
        return failure(StatusCode::FORBIDDEN);
    }
    // The session ends here first, or the logout is refused: never a logout page over a
    // session that lives on.
    let ended = match app.db.get().await {
        Ok(db) => sessions::delete(&db, &session::digest(&id)).await.map(drop),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = ended {
        tracing::error!(error = %crate::error::Chain(&e), "cannot end the session");
        return failure(StatusCode::SERVICE_UNAVAILABLE);
    }
    let jar = jar.remove(Cookie::build(session::COOKIE).path("/").secure(true));
    match app.signin.as_ref() {
        Some(provider) => {
            (jar, Redirect::to(&provider.logout_url(&current.id_token))).into_response()
        }
        None => (jar, Redirect::to("/")).into_response(),
    }
}

/// The back-channel logout request (a form with `logout_token`).
#[derive(Debug, Deserialize)]
pub struct BackchannelForm {
    logout_token: Option<String>,
}

/// `POST /backchannel-logout` (Back-Channel Logout 1.0 §2.5–2.8): 200 once the sessions are
/// ended, 400 `invalid_request` for a token that does not verify; never cached.
pub async fn backchannel_logout(
    State(app): State<AppState>,
    form: Result<Form<BackchannelForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let bad = || {
        let mut r = (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({ "error": "invalid_request" })),
        )
            .into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    };
    let Ok(Form(BackchannelForm {
        logout_token: Some(token),
    })) = form
    else {
        return bad();
    };
    let of = match logout_token::verify(&app.idp, &token).await {
        Ok(of) => of,
        Err(crate::identity::Rejected::Invalid(why)) => {
            tracing::warn!(why, "logout token refused");
            return bad();
        }
        Err(crate::identity::Rejected::Idp(e)) => {
            tracing::warn!(error = %e, "logout token unverifiable now");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let ended = match app.db.get().await {
        Ok(db) => sessions::end_for_logout(&db, of.sid.as_deref(), of.sub.as_deref()).await,
        Err(e) => Err(e.into()),
    };
    match ended {
        Ok(n) => {
            tracing::info!(sessions = n, "back-channel logout");
            let mut r = StatusCode::OK.into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!(error = %crate::error::Chain(&e), "back-channel logout could not end sessions");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn failure(status: StatusCode) -> Response {
    let mut response = crate::pages::sign_in_page(crate::i18n::Lang::Fr, true);
    *response.status_mut() = status;
    response
}
