//! Accepting our own JWTs back (ASVS 9.2): signature by a published key of the allowlist,
//! then `iss`, `exp`, the token type, and the revocation list.
//!
//! A resource server introspects the same access token on each of its calls, so a token whose
//! signature verified once is remembered (by its SHA-256, until it expires, in a bounded
//! map): the signature check is skipped, the expiry and the revocation list are not. A key is
//! retired only after every token it signed has expired, so a remembered token can never
//! outlive its key.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aws_lc_rs::digest;
use chrono::Utc;

use super::issue::AccessClaims;
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

/// Entries kept at most.
const MAX_VERIFIED: usize = 10_000;

/// Access tokens whose signature and claims already verified, by SHA-256 of the token.
#[derive(Debug, Clone, Default)]
pub struct Verified(Arc<RwLock<HashMap<[u8; 32], Arc<AccessClaims>>>>);

impl Verified {
    fn get(&self, key: &[u8; 32]) -> Option<Arc<AccessClaims>> {
        self.0.read().ok()?.get(key).cloned()
    }

    fn remember(&self, key: [u8; 32], claims: Arc<AccessClaims>) {
        let Ok(mut map) = self.0.write() else { return };
        if map.len() >= MAX_VERIFIED {
            let now = Utc::now().timestamp();
            map.retain(|_, c| c.exp > now);
            if map.len() >= MAX_VERIFIED {
                map.clear();
            }
        }
        map.insert(key, claims);
    }
}

/// Verifies an access token and returns its claims.
pub async fn access_token(app: &AppState, token: &str) -> Result<Arc<AccessClaims>, Rejected> {
    if token.len() > 4096 {
        return Err(Rejected::Invalid);
    }
    let key: [u8; 32] = digest::digest(&digest::SHA256, token.as_bytes())
        .as_ref()
        .try_into()
        .map_err(|_| Rejected::Invalid)?;
    let claims = match app.verified.get(&key) {
        Some(claims) => claims,
        None => {
            let claims = Arc::new(verify_signature_and_claims(app, token).await?);
            app.verified.remember(key, claims.clone());
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

async fn verify_signature_and_claims(
    app: &AppState,
    token: &str,
) -> Result<AccessClaims, Rejected> {
    if !typ_is(token, "at+jwt") {
        return Err(Rejected::Invalid);
    }
    let payload = app
        .keys
        .verify(token)
        .await
        .map_err(|_| Rejected::Invalid)?;
    let claims: AccessClaims = serde_json::from_slice(&payload).map_err(|_| Rejected::Invalid)?;
    if claims.iss != app.issuer {
        return Err(Rejected::Invalid);
    }
    Ok(claims)
}

/// Whether the JOSE header's `typ` is `expected` (RFC 8725 §3.11: explicit typing keeps an
/// id_token from being used as an access token).
pub(crate) fn typ_is(token: &str, expected: &str) -> bool {
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
