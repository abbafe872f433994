//! The SSO session (ASVS 7): a 256-bit random id in a `__Host-` cookie (Secure, HttpOnly,
//! SameSite=Lax, path /), the row in Postgres keyed by its digest, idle and absolute timeouts,
//! a new id at every login, ended server-side at logout so every node agrees.

use axum_extra::extract::cookie::{CookieJar, SameSite};
use chrono::Utc;

use crate::domain::SecretToken;
use crate::state::AppState;
use crate::store::{StoreError, sessions, sessions::Session};
use crate::web::cookies;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "__Host-idp_session";

/// How often `last_seen_at` is written (activity is tracked to the minute).
const TOUCH_EVERY_SECS: i64 = 60;

/// The live session of a browser, if any.
pub async fn current(app: &AppState, jar: &CookieJar) -> Result<Option<Session>, StoreError> {
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    if !SecretToken::is_well_formed(cookie.value()) {
        return Ok(None);
    }
    let digest = SecretToken::presented(cookie.value()).digest();
    let db = app.db.get().await?;
    let idle = app.config.session.idle_secs as f64;
    let Some(session) = sessions::find_live(&db, &digest, idle).await? else {
        return Ok(None);
    };
    if (Utc::now() - session.last_seen_at).num_seconds() > TOUCH_EVERY_SECS {
        sessions::touch(&db, &session.sid).await?;
    }
    Ok(Some(session))
}

/// A session that just ended. The relying parties that took part in it must be told
/// (OpenID Connect Back-Channel Logout): the caller hands it to `oidc::backchannel::notify`.
#[derive(Debug)]
#[must_use = "tell the relying parties: oidc::backchannel::notify"]
pub struct Ended {
    /// The session id (`sid`) the relying parties know it by.
    pub sid: String,
}

/// Opens a new session for an account and returns the cookie jar that carries it. Any
/// session the browser had is ended first (a new id at login, ASVS 7.2.4) and returned.
pub async fn open(
    app: &AppState,
    jar: CookieJar,
    account_id: uuid::Uuid,
    amr: &[&str],
) -> Result<(CookieJar, Session, Option<Ended>), StoreError> {
    let ended = match current(app, &jar).await? {
        Some(old) => end(app, &old.sid).await?,
        None => None,
    };
    let token = SecretToken::generate().map_err(|_| StoreError::Corrupt("rng".into()))?;
    let sid = SecretToken::generate().map_err(|_| StoreError::Corrupt("rng".into()))?;
    let sid: String = sid.expose().chars().take(22).collect();
    let expires_at =
        Utc::now() + chrono::Duration::seconds(app.config.session.absolute_secs as i64);
    let db = app.db.get().await?;
    let session = sessions::insert(&db, &token.digest(), &sid, account_id, expires_at, amr).await?;
    let cookie = cookies::host(SESSION_COOKIE, token.expose().to_owned(), SameSite::Lax);
    Ok((jar.add(cookie), session, ended))
}

/// Ends a session everywhere: every access token minted in it is revoked (Redis, first, so a
/// Redis failure leaves nothing half done), then the session and the refresh tokens born in
/// it end in one transaction. Returns the session when it was still live, for the caller to
/// tell its relying parties; safe to repeat (then `None`).
pub async fn end(app: &AppState, sid: &str) -> Result<Option<Ended>, StoreError> {
    let ttl = app.config.tokens.access_token_ttl_secs;
    crate::store::revoked::revoke_sid(&app.kv, sid, ttl).await?;
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let was_live = sessions::end(&tx, sid).await?;
    crate::store::refresh::revoke_by_sid(&tx, sid).await?;
    tx.commit().await?;
    Ok(was_live.then(|| Ended {
        sid: sid.to_owned(),
    }))
}

/// The jar without the session cookie (a `__Host-` removal must itself be Secure, or the
/// browser ignores it).
pub fn forget(jar: CookieJar) -> CookieJar {
    cookies::remove(jar, SESSION_COOKIE)
}
