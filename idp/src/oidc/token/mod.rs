//! The token endpoint (RFC 6749 §3.2): client authentication, then one of three grants.
//! Implicit and password grants do not exist here (RFC 9700 §2.1.2, §2.4).

mod authorization_code;
mod client_credentials;
mod refresh_token;
mod response;
mod user;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;

use super::client_auth;
use super::error::OAuthError;
use super::request::Params;
use crate::state::AppState;

pub use response::TokenResponse;

/// `POST /token`.
pub async fn handle(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let is_form = headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    if !is_form {
        return Err(OAuthError::invalid_request(
            "expected application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(&body).map_err(|e| OAuthError::invalid_request(e.to_string()))?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    if !matches!(
        grant_type,
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        return Err(OAuthError::unsupported_grant_type());
    }
    let (client, _method) = client_auth::authenticate(&app, &headers, &params).await?;
    if !client.grant_types.iter().any(|g| g == grant_type) {
        return Err(OAuthError::unauthorized_client(
            "the client may not use this grant type",
        ));
    }
    let response = match grant_type {
        "authorization_code" => authorization_code::exchange(&app, &client, &params).await?,
        "refresh_token" => refresh_token::exchange(&app, &client, &params).await?,
        _ => client_credentials::exchange(&app, &client, &params).await?,
    };
    Ok(response.into_response_no_store())
}
