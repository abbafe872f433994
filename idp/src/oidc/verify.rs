//! Accepting our own JWTs back (ASVS 9.2): signature by a published key of the allowlist,
//! then `iss`, `exp`, the token type, and the revocation list.
//!
//! A resource server introspects the same access token on each of its calls, so a token whose
//! signature and claims verified once is remembered until it expires
//! ([`crate::keys::VerifiedTokens`]): the signature check is skipped, the expiry and the
//! revocation list are not.

use std::sync::Arc;

use chrono::Utc;

use crate::domain::AccessClaims;
use crate::keys;
use crate::state::AppState;
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
pub async fn access_token(app: &AppState, token: &str) -> Result<Arc<AccessClaims>, Rejected> {
    if token.len() > 4096 {
        return Err(Rejected::Invalid);
    }
    let claims = match app.verified.get(token) {
        Some(claims) => claims,
        None => {
            let claims = Arc::new(verify_signature_and_claims(app, token).await?);
            app.verified
                .remember(token, Arc::clone(&claims), claims.exp);
            claims
        }
    };
    if claims.exp <= Utc::now().timestamp() {
        return Err(Rejected::Invalid);
    }
    if revoked::is_revoked(
        &app.kv,
        &claims.jti,
        claims.gid.as_deref(),
        claims.sid.as_deref(),
    )
    .await?
    {
        return Err(Rejected::Invalid);
    }
    Ok(claims)
}

/// The claims of a token whose signature, type and issuer are ours.
async fn verify_signature_and_claims(
    app: &AppState,
    token: &str,
) -> Result<AccessClaims, Rejected> {
    let jws = keys::parse_jws(token).map_err(|_| Rejected::Invalid)?;
    // RFC 9068 §4: the header says `at+jwt`, so an id_token is never taken for an access token.
    if !jws.typ_is("at+jwt") {
        return Err(Rejected::Invalid);
    }
    let payload = app
        .keys
        .verify_parsed(&jws)
        .await
        .map_err(|_| Rejected::Invalid)?;
    let claims: AccessClaims = serde_json::from_slice(&payload).map_err(|_| Rejected::Invalid)?;
    if claims.iss != app.issuer {
        return Err(Rejected::Invalid);
    }
    Ok(claims)
}
