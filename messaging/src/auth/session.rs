//! The pages' session: a random id in a `__Host-` cookie (Secure, HttpOnly, SameSite=Lax,
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
            Ok(session) => Ok(Self(session.map(|s| (id, s)))),
            Err(e) => {
                tracing::error!(error = %crate::error::Chain(&e), "session store unavailable");
                Ok(Self(None))
            }
        }
    }
}
