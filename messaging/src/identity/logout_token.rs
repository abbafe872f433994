//! Back-Channel Logout 1.0 §2.6: a logout token is a JWS of the idp (`typ` `logout+jwt`, or
//! none), for us (`aud`), recent (`iat`, `exp`), with a `jti`, the back-channel logout event,
//! a `sid` or a `sub`, and no `nonce`.

use chrono::Utc;
use serde::Deserialize;

use super::bearer::{Audience, Rejected, verify_jws};
use super::idp::Idp;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Whom a logout token logs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutOf {
    /// The idp's SSO session.
    pub sid: Option<String>,
    /// The person.
    pub sub: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    aud: Audience,
    iat: i64,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    events: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    nonce: Option<serde_json::Value>,
}

/// Verifies a logout token.
pub async fn verify(idp: &Idp, token: &str) -> Result<LogoutOf, Rejected> {
    let payload = verify_jws(idp, token, &["logout+jwt", "application/logout+jwt", ""]).await?;
    let claims: Claims =
        serde_json::from_slice(&payload).map_err(|_| Rejected::Invalid("claims"))?;
    let now = Utc::now().timestamp();
    if claims.iss.trim_end_matches('/') != idp.issuer {
        return Err(Rejected::Invalid("issuer"));
    }
    if !claims.aud.contains(&idp.audience) {
        return Err(Rejected::Invalid("audience"));
    }
    if claims.iat > now + 30 || claims.iat < now - 300 || claims.exp.is_some_and(|exp| exp <= now) {
        return Err(Rejected::Invalid("not recent"));
    }
    if claims.jti.as_deref().is_none_or(str::is_empty) {
        return Err(Rejected::Invalid("no jti"));
    }
    if !claims
        .events
        .get(EVENT)
        .is_some_and(serde_json::Value::is_object)
    {
        return Err(Rejected::Invalid("not a logout event"));
    }
    if claims.nonce.is_some() {
        return Err(Rejected::Invalid("a nonce"));
    }
    if claims.sid.is_none() && claims.sub.is_none() {
        return Err(Rejected::Invalid("neither sid nor sub"));
    }
    Ok(LogoutOf {
        sid: claims.sid,
        sub: claims.sub,
    })
}
