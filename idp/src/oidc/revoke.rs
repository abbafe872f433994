//! Token revocation (RFC 7009): a refresh token revokes its whole family (and the family's
//! access tokens); an access token is listed as revoked until it expires. The answer is 200
//! whether or not the token was known (§2.2).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::client_auth;
use super::error::OAuthError;
use super::request::Params;
use super::verify;
use crate::domain::SecretToken;
use crate::state::AppState;
use crate::store::{refresh, revoked};

/// `POST /revoke`.
pub async fn handle(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let params = Params::parse(&body).map_err(|e| OAuthError::invalid_request(e.to_string()))?;
    let (client, _) = client_auth::authenticate(&app, &headers, &params).await?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let ttl = app.config.tokens.access_token_ttl_secs;
    if token.contains('.') {
        if let Ok(claims) = verify::access_token(&app, token).await
            && claims.client_id == client.id
        {
            revoked::revoke_jti(&app.kv, &claims.jti, ttl).await?;
        }
    } else {
        let db = app.db.get().await?;
        if let Some(found) = refresh::find(&db, &SecretToken::presented(token).digest()).await?
            && found.family.client_id == client.id
        {
            refresh::revoke_family(&db, found.family.id).await?;
            revoked::revoke_grant(&app.kv, &found.family.id.to_string(), ttl).await?;
        }
    }
    let mut response = StatusCode::OK.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
