//! The pages' session (below both `auth`, which opens it, and `pages`, which read it): a random id in a `__Host-` cookie (Secure, HttpOnly, SameSite=Lax,
//! Path=/), its SHA-256 the key of the row in `web_sessions`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::state::AppState;
use crate::store::sessions::{self, WebSession};

/// The session cookie.
pub const COOKIE: &str = "__Host-messaging_session";
/// The cookie that ties a sign-in under way to this browser.
pub const LOGIN_COOKIE: &str = "__Host-messaging_login";
/// How long a session lasts.
pub const TTL: chrono::Duration = chrono::Duration::hours(8);
/// How often a session is checked against the idp (its refresh token): a revoked delegation
/// or role, or an ended grant, reaches the pages within this (the API: at the next token).
pub const CHECK_EVERY: chrono::Duration = chrono::Duration::minutes(5);

/// The associated data a session's refresh token is sealed for.
pub fn refresh_aad(id_hash: &[u8]) -> Vec<u8> {
    [b"session:".as_slice(), id_hash].concat()
}

/// The SHA-256 of a cookie value or `state`.
pub fn digest(value: &str) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes())
        .as_ref()
        .to_vec()
}

/// 256 random bits, base64url.
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// A `__Host-` cookie.
pub fn cookie(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .build()
}

/// The signed-in browser's session, when it has a live one. A store failure reads as signed
/// out (the page then offers to sign in), never as someone else.
#[derive(Debug, Clone)]
pub struct MaybeSession(pub Option<(String, WebSession)>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(id) = jar.get(COOKIE).map(|c| c.value().to_owned()) else {
            return Ok(Self(None));
        };
        let found = match app.db.get().await {
            Ok(db) => sessions::get(&db, &digest(&id)).await,
            Err(e) => Err(e.into()),
        };
        match found {
            Ok(Some(session)) => Ok(Self(current(app, &id, session).await.map(|s| (id, s)))),
            Ok(None) => Ok(Self(None)),
            Err(e) => {
                tracing::error!(error = %crate::error::Chain(&e), "session store unavailable");
                Ok(Self(None))
            }
        }
    }
}

/// The session as the idp sees it now: checked at most every [`CHECK_EVERY`] with its refresh
/// token (the session row locked, so one request uses the token once). A grant that ended —
/// a revoked delegation does not end it, it changes `acts_for` — ends the session here.
async fn current(app: &AppState, id: &str, session: WebSession) -> Option<WebSession> {
    let now = chrono::Utc::now();
    if now - session.checked_at < CHECK_EVERY {
        return Some(session);
    }
    let provider = app.signin.as_ref()?;
    let id_hash = digest(id);
    let mut db = app.db.get().await.ok()?;
    let tx = db.transaction().await.ok()?;
    let locked = sessions::get_for_update(&tx, &id_hash).await.ok()??;
    if now - locked.checked_at < CHECK_EVERY {
        return Some(locked);
    }
    let aad = refresh_aad(&id_hash);
    let refresh = locked
        .refresh_sealed
        .as_deref()
        .and_then(|sealed| app.keyring.open_secret(&aad, sealed).ok());
    let refreshed = match refresh {
        Some(token) => provider.refresh(&token).await,
        None => Err(anyhow::anyhow!("the session has no refresh token")),
    };
    match refreshed {
        Ok(user) if user.subject == locked.sub => {
            let sealed = match user.refresh_token.as_deref() {
                Some(token) => Some(app.keyring.seal_secret(&aad, token).ok()?),
                None => None,
            };
            sessions::checked(
                &tx,
                &id_hash,
                &user.roles,
                &user.acts_for,
                &user.id_token,
                sealed.as_deref(),
            )
            .await
            .ok()?;
            tx.commit().await.ok()?;
            Some(WebSession {
                roles: user.roles,
                acts_for: user.acts_for,
                id_token: user.id_token,
                checked_at: now,
                refresh_sealed: sealed,
                ..locked
            })
        }
        outcome => {
            if let Err(e) = outcome {
                tracing::info!(error = %format!("{e:#}"), "a page session's grant ended: signed out");
            }
            if sessions::delete(&tx, &id_hash).await.is_ok() {
                let _ = tx.commit().await;
            }
            None
        }
    }
}
