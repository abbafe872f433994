//! The UserInfo endpoint (OIDC Core §5.3): a bearer access token (RFC 6750 §2.1 header, or
//! §2.2 form body on POST) with `openid`, answered with the claims its scope allows.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use openidconnect::UserInfoClaims;
use openidconnect::core::CoreGenderClaim;

use super::claims::{self, AgencyClaims};
use super::error::OAuthError;
use super::request::Params;
use super::verify::{self, Rejected};
use crate::domain::Scope;
use crate::state::AppState;
use crate::store::accounts;

/// `GET|POST /userinfo`.
pub async fn handle(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let token = bearer(&headers, &body)?;
    let claims = match verify::access_token(&app, &token).await {
        Ok(claims) => claims,
        Err(Rejected::Invalid) => return Err(OAuthError::invalid_token()),
        Err(Rejected::Store(e)) => return Err(e.into()),
    };
    let scope = Scope::parse(&claims.scope).map_err(|_| OAuthError::invalid_token())?;
    if !scope.contains("openid") {
        return Err(OAuthError::insufficient_scope());
    }
    let account_id = claims
        .sub
        .parse::<uuid::Uuid>()
        .map_err(|_| OAuthError::invalid_token())?;
    let db = app.db.get().await?;
    let account = accounts::get(&db, account_id)
        .await?
        .filter(|a| a.disabled_at.is_none())
        .ok_or_else(OAuthError::invalid_token)?;
    let info: UserInfoClaims<AgencyClaims, CoreGenderClaim> = UserInfoClaims::new(
        claims::standard(&account, &scope),
        claims::agency(&account, &scope, None, &claims.client_id),
    );
    let mut response = Json(info).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The bearer token from the header, or from a form body (never both, RFC 6750 §2).
fn bearer(headers: &HeaderMap, body: &Bytes) -> Result<String, OAuthError> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let is_form = headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    let from_body = if is_form && !body.is_empty() {
        Params::parse(body)
            .map_err(|e| OAuthError::invalid_request(e.to_string()))?
            .get("access_token")
            .map(str::to_owned)
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request("send the token one way only")),
        (Some(t), None) | (None, Some(t)) => Ok(t),
        (None, None) => Err(OAuthError::invalid_token()),
    }
}
