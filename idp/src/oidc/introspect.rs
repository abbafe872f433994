//! Token introspection (RFC 7662) for authenticated confidential clients: our JWT access
//! tokens and refresh tokens. Anything unknown, expired, revoked or another client's is
//! `{"active": false}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

use super::client_auth;
use super::error::OAuthError;
use super::request::Params;
use super::verify::{self, Rejected};
use crate::domain::SecretToken;
use crate::state::AppState;
use crate::store::refresh;

/// `POST /introspect`.
pub async fn handle(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let params = Params::parse(&body).map_err(|e| OAuthError::invalid_request(e.to_string()))?;
    let (client, _) = client_auth::authenticate(&app, &headers, &params).await?;
    if client.secret_hash.is_none() {
        return Err(OAuthError::invalid_client(false));
    }
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let hint = params.get("token_type_hint");
    let answer = if hint != Some("refresh_token") && token.contains('.') {
        match verify::access_token(&app, token).await {
            // RFC 7662 §4: a client learns nothing about tokens that are not its own.
            Ok(c) if c.client_id != client.id && c.aud != client.id => json!({ "active": false }),
            Ok(c) => {
                let mut answer = json!({
                    "active": true, "scope": c.scope, "client_id": c.client_id, "token_type": "Bearer",
                    "exp": c.exp, "iat": c.iat, "sub": c.sub, "aud": c.aud, "iss": c.iss, "jti": c.jti,
                });
                // The token's own authorization data, as it was issued (RFC 7662 §2.2 allows more).
                if !c.roles.is_empty() {
                    answer["roles"] = json!(c.roles);
                }
                if !c.acts_for.is_empty() {
                    answer["acts_for"] = json!(c.acts_for);
                }
                answer
            }
            Err(Rejected::Invalid) => json!({ "active": false }),
            Err(Rejected::Store(e)) => return Err(e.into()),
        }
    } else {
        let db = app.db.get().await?;
        match refresh::find(&db, &SecretToken::presented(token).digest()).await? {
            Some(found)
                if found.used_at.is_none()
                    && found.family.revoked_at.is_none()
                    && found.expires_at > Utc::now()
                    && found.family.client_id == client.id =>
            {
                json!({
                    "active": true, "scope": found.family.scope, "client_id": found.family.client_id,
                    "token_type": "refresh_token", "exp": found.expires_at.timestamp(),
                    "sub": found.family.account_id.to_string(), "iss": app.issuer,
                })
            }
            _ => json!({ "active": false }),
        }
    };
    let mut response = Json(answer).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
