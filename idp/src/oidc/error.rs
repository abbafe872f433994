//! OAuth 2.0 errors: JSON at the token-side endpoints (RFC 6749 §5.2), redirects to a
//! validated redirect URI at the authorization endpoint (§4.1.2.1). Never a 500 body with
//! internals: those are logged once and answered `server_error`.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::Chain;
use crate::store::StoreError;

/// An RFC 6749 §5.2 error response.
#[derive(Debug, Clone)]
pub struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
    basic_challenge: bool,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl OAuthError {
    /// `invalid_request` (400).
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// `invalid_client` (401): authentication failed (§5.2).
    pub fn invalid_client(basic: bool) -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
        e.basic_challenge = basic;
        e
    }

    /// `invalid_grant` (400).
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// `unauthorized_client` (400).
    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    /// `unsupported_grant_type` (400).
    pub fn unsupported_grant_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant type not supported",
        )
    }

    /// `invalid_scope` (400).
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// `invalid_token` (401, RFC 6750 §3.1).
    pub fn invalid_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the access token is invalid, expired or revoked",
        )
    }

    /// `insufficient_scope` (403, RFC 6750 §3.1): the token lacks the scope this needs.
    pub fn insufficient_scope() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the access token lacks the openid scope",
        )
    }

    /// `server_error` (500) after logging the cause.
    pub fn server(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "token endpoint failure");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        )
    }

    /// `temporarily_unavailable` (503) after logging the cause.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "try again shortly",
        )
    }

    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            basic_challenge: false,
        }
    }

    /// The error code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            Self::unavailable(Chain(&e))
        } else {
            Self::server(Chain(&e))
        }
    }
}

crate::store::via_store_error!(OAuthError);

impl From<crate::keys::KeyError> for OAuthError {
    fn from(e: crate::keys::KeyError) -> Self {
        Self::server(Chain(&e))
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = Body {
            error: self.code,
            error_description: &self.description,
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // RFC 6749 §5.2: a Basic challenge when the client used Basic, none for a failed
        // client_secret_post; RFC 6750 §3: Bearer challenges for the protected resources.
        let challenge = match (self.status, self.code) {
            (StatusCode::UNAUTHORIZED, "invalid_client") if self.basic_challenge => {
                Some("Basic realm=\"idp\"")
            }
            (StatusCode::UNAUTHORIZED, "invalid_token") => Some("Bearer error=\"invalid_token\""),
            (StatusCode::FORBIDDEN, "insufficient_scope") => {
                Some("Bearer error=\"insufficient_scope\", scope=\"openid\"")
            }
            _ => None,
        };
        if let Some(challenge) = challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// Middleware for the JSON endpoints: a bare error from a layer (body too large, timeout,
/// rate limit, wrong method) becomes an RFC 6749 JSON error too.
pub async fn json_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || is_json {
        return response;
    }
    let (code, description) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("invalid_request", "request body too large"),
        StatusCode::TOO_MANY_REQUESTS => ("slow_down", "too many requests; slow down"),
        StatusCode::METHOD_NOT_ALLOWED => ("invalid_request", "method not allowed"),
        StatusCode::REQUEST_TIMEOUT => ("temporarily_unavailable", "request timed out"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "invalid_request",
            "expected application/x-www-form-urlencoded",
        ),
        s if s.is_client_error() => ("invalid_request", "malformed request"),
        _ => ("server_error", "internal error"),
    };
    let mut json = (
        status,
        Json(Body {
            error: code,
            error_description: description,
        }),
    )
        .into_response();
    for name in [header::RETRY_AFTER, header::ALLOW, header::WWW_AUTHENTICATE] {
        if let Some(value) = response.headers().get(&name) {
            json.headers_mut().insert(name, value.clone());
        }
    }
    json.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    json
}
