//! Accepting our own JWTs back (ASVS 9.2): signature by a published key of the allowlist,
//! then `iss`, `exp`, the token type, and the revocation list.

use chrono::Utc;

use super::issue::AccessClaims;
use crate::app::AppState;
use crate::store::{StoreError, revoked};

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    /// Bad signature, format, issuer or expiry, or revoked.
    #[error("invalid token")]
    Invalid,
    /// Redis could not be asked.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Verifies an access token and returns its claims.
pub async fn access_token(app: &AppState, token: &str) -> Result<AccessClaims, Rejected> {
    if token.len() > 4096 || !typ_is(token, "at+jwt") {
        return Err(Rejected::Invalid);
    }
    let payload = app
        .keys
        .verify(token)
        .await
        .map_err(|_| Rejected::Invalid)?;
    let claims: AccessClaims = serde_json::from_slice(&payload).map_err(|_| Rejected::Invalid)?;
    if claims.iss != app.issuer || claims.exp <= Utc::now().timestamp() {
        return Err(Rejected::Invalid);
    }
    if revoked::is_revoked(&app.kv, &claims.jti, claims.gid.as_deref()).await? {
        return Err(Rejected::Invalid);
    }
    Ok(claims)
}

/// Whether the JOSE header's `typ` is `expected` (RFC 8725 §3.11: explicit typing keeps an
/// id_token from being used as an access token).
fn typ_is(token: &str, expected: &str) -> bool {
    use base64::Engine as _;
    let Some(header) = token.split('.').next() else {
        return false;
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header) else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|h| {
            h.get("typ")
                .and_then(|t| t.as_str())
                .map(|t| t.eq_ignore_ascii_case(expected))
        })
        .unwrap_or(false)
}
