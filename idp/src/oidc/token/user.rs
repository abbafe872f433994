//! Tokens for a user (code and refresh grants): a JWT access token, an id_token when `openid`
//! was granted, and the refresh token the grant minted.

use super::TokenResponse;
use crate::oidc::error::OAuthError;
use crate::oidc::issue::{self, Grant};
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::clients::Client;

/// Mints the response; returns it with the access token's `jti`.
#[tracing::instrument(skip_all, fields(client = %client.id, account = %account.id))]
pub async fn issue(
    app: &AppState,
    client: &Client,
    account: &Account,
    grant: Grant<'_>,
    nonce: Option<&str>,
    refresh_token: Option<String>,
) -> Result<(TokenResponse, String), OAuthError> {
    let minted = issue::access_token(app, client, grant, Some(account)).await?;
    let id_token = if grant.scope.split(' ').any(|s| s == "openid") {
        Some(issue::id_token(app, client, account, grant, nonce, &minted.token).await?)
    } else {
        None
    };
    let response = TokenResponse {
        access_token: minted.token,
        token_type: "Bearer",
        expires_in: app.config.tokens.access_token_ttl_secs,
        scope: grant.scope.to_owned(),
        refresh_token,
        id_token,
    };
    Ok((response, minted.claims.jti))
}

/// Refuses tokens for an account that was disabled since the grant.
pub fn ensure_enabled(account: Option<Account>) -> Result<Account, OAuthError> {
    account
        .filter(|a| a.disabled_at.is_none())
        .ok_or_else(|| OAuthError::invalid_grant("the account is not active"))
}
