//! `client_credentials` (RFC 6749 §4.4): confidential service clients only; no refresh token,
//! no id_token.

use super::TokenResponse;
use crate::domain::Scope;
use crate::oidc::error::OAuthError;
use crate::oidc::issue::{self, Grant};
use crate::oidc::request::Params;
use crate::state::AppState;
use crate::store::clients::Client;

/// Issues an access token to the client itself.
#[tracing::instrument(skip_all, fields(client = %client.id))]
pub async fn exchange(
    app: &AppState,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    if client.secret_hash.is_none() {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot use client_credentials",
        ));
    }
    let allowed = Scope::from_tokens(
        client
            .scopes
            .iter()
            .filter(|s| s.as_str() != "openid")
            .cloned(),
    );
    let scope = match params.get("scope") {
        Some(raw) => {
            let asked =
                Scope::parse(raw).map_err(|_| OAuthError::invalid_scope("scope is malformed"))?;
            if !asked.is_subset(&allowed) {
                return Err(OAuthError::invalid_scope(
                    "a requested scope is not allowed for this client",
                ));
            }
            asked
        }
        None => allowed,
    };
    let scope = scope.to_string();
    let grant = Grant {
        subject: &client.id,
        scope: &scope,
        auth_time: None,
        amr: &[],
        sid: None,
        grant_id: None,
    };
    let minted = issue::access_token(app, client, grant, None).await?;
    crate::metrics::token_issued("client_credentials");
    Ok(TokenResponse {
        access_token: minted.token,
        token_type: "Bearer",
        expires_in: app.config.tokens.access_token_ttl_secs,
        scope,
        refresh_token: None,
        id_token: None,
    })
}
