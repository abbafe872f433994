//! Minting tokens: JWT access tokens (RFC 9068) and id_tokens (OIDC Core §2) signed by the
//! key ring; opaque refresh tokens are minted by the grants that store them.

use chrono::{DateTime, Duration, Utc};
use openidconnect::core::CoreJwsSigningAlgorithm;
use openidconnect::{
    AccessToken, Audience, AuthenticationContextClass, AuthenticationMethodReference,
    IdTokenClaims, IssuerUrl, Nonce,
};

use super::claims::{self, AgencyIdToken};
use super::error::OAuthError;
use crate::domain::{AccessClaims, Scope, SecretToken, acts_for_at, authentication};
use crate::keys::SigningAlg;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::clients::Client;

/// A freshly minted access token.
#[derive(Debug)]
pub struct Minted {
    /// The compact JWS.
    pub token: String,
    /// Its claims.
    pub claims: AccessClaims,
}

/// Who a token is about.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    /// `sub`.
    pub subject: &'a str,
    /// Granted scope.
    pub scope: &'a str,
    /// When the user authenticated (none for `client_credentials`).
    pub auth_time: Option<DateTime<Utc>>,
    /// How (RFC 8176; empty for `client_credentials`).
    pub amr: &'a [String],
    /// SSO session.
    pub sid: Option<&'a str>,
    /// Grant id.
    pub grant_id: Option<&'a str>,
}

/// Access tokens are signed ES256 when the idp holds such a key (fast to sign and verify),
/// RS256 otherwise.
fn access_token_alg(app: &AppState) -> SigningAlg {
    if app.config.keys.algorithms.contains(&SigningAlg::Es256) {
        SigningAlg::Es256
    } else {
        SigningAlg::Rs256
    }
}

/// Mints a JWT access token (`typ: at+jwt`, RFC 9068 §2.1); a user's token carries their
/// roles and the delegations that apply at `client`, as the account was just read.
pub async fn access_token(
    app: &AppState,
    client: &Client,
    grant: Grant<'_>,
    user: Option<&Account>,
) -> Result<Minted, OAuthError> {
    let now = Utc::now();
    let jti = SecretToken::generate().map_err(|_| OAuthError::server("rng"))?;
    let claims = AccessClaims {
        iss: app.issuer.clone(),
        sub: grant.subject.to_owned(),
        aud: client.id.clone(),
        client_id: client.id.clone(),
        iat: now.timestamp(),
        exp: (now + Duration::seconds(app.config.tokens.access_token_ttl_secs as i64)).timestamp(),
        jti: jti.expose().chars().take(22).collect(),
        scope: grant.scope.to_owned(),
        auth_time: grant.auth_time.map(|t| t.timestamp()),
        amr: grant.amr.to_vec(),
        acr: grant
            .auth_time
            .map(|_| authentication::acr(grant.amr).to_owned()),
        sid: grant.sid.map(str::to_owned),
        gid: grant.grant_id.map(str::to_owned),
        roles: user.map(claims::roles).unwrap_or_default(),
        acts_for: user
            .map(|account| acts_for_at(&account.delegations, &client.id))
            .unwrap_or_default(),
    };
    let signer = app.keys.signer(access_token_alg(app)).await?;
    let token = signer.sign_jwt("at+jwt", &claims)?;
    Ok(Minted { token, claims })
}

/// Mints an id_token with `at_hash` for `access_token`, signed with the client's algorithm.
pub async fn id_token(
    app: &AppState,
    client: &Client,
    account: &Account,
    grant: Grant<'_>,
    nonce: Option<&str>,
    access_token: &str,
) -> Result<String, OAuthError> {
    let alg = SigningAlg::parse(&client.id_token_alg)
        .ok_or_else(|| OAuthError::server("client id_token_alg"))?;
    let signer = app.keys.signer(alg).await?;
    let scope = Scope::parse(grant.scope).map_err(|_| OAuthError::server("stored scope"))?;
    let now = Utc::now();
    let issuer = IssuerUrl::new(app.issuer.clone()).map_err(OAuthError::server)?;
    let claims = IdTokenClaims::new(
        issuer,
        vec![Audience::new(client.id.clone())],
        now + Duration::seconds(app.config.tokens.id_token_ttl_secs as i64),
        now,
        claims::standard(account, &scope),
        claims::agency(account, &scope, grant.sid, &client.id),
    )
    .set_auth_time(grant.auth_time)
    .set_auth_method_refs((!grant.amr.is_empty()).then(|| {
        grant
            .amr
            .iter()
            .map(|m| AuthenticationMethodReference::new(m.clone()))
            .collect()
    }))
    .set_auth_context_ref(Some(AuthenticationContextClass::new(
        authentication::acr(grant.amr).to_owned(),
    )))
    .set_nonce(nonce.map(|n| Nonce::new(n.to_owned())));
    let jws_alg = signer.jws_alg();
    let token = AgencyIdToken::new(
        claims,
        &*signer,
        jws_alg,
        Some(&AccessToken::new(access_token.to_owned())),
        None,
    )
    .map_err(OAuthError::server)?;
    compact(&token)
}

/// A signed token in its compact form (`header.payload.signature`): openidconnect serialises
/// an id_token as that one JSON string. Anything else is a server error, never an empty
/// `id_token` sent as if it were one.
fn compact(token: &impl serde::Serialize) -> Result<String, OAuthError> {
    match serde_json::to_value(token) {
        Ok(serde_json::Value::String(jws)) if !jws.is_empty() => Ok(jws),
        Ok(_) => Err(OAuthError::server(
            "the id_token did not serialise to a compact JWS",
        )),
        Err(e) => Err(OAuthError::server(e)),
    }
}

/// The discovery list of id_token algorithms.
pub fn supported_algs(app_algs: &[SigningAlg]) -> Vec<CoreJwsSigningAlgorithm> {
    app_algs.iter().map(|alg| alg.jws_alg()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_compact_jws_is_an_id_token() {
        assert_eq!(compact(&"aaa.bbb.ccc").ok().as_deref(), Some("aaa.bbb.ccc"));
        for (value, why) in [
            (serde_json::json!(""), "an empty string"),
            (serde_json::json!({ "header": "…" }), "an object"),
            (serde_json::json!(null), "null"),
        ] {
            let refused = compact(&value)
                .err()
                .map(|e| axum::response::IntoResponse::into_response(e).status());
            assert_eq!(
                refused,
                Some(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
                "{why}: a server error, never a token"
            );
        }
    }
}
