//! The one place an error becomes a page. Handlers return `PageError`; layers (body limit,
//! timeout, rate limit, unknown route) return bare statuses. The `render` middleware turns
//! both into a translated page in the request's language; internals are logged, never shown.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::lang::negotiate;
use super::page;
use crate::error::{BoxError, Chain};
use crate::password::HashError;
use crate::store::StoreError;

/// A failure shown to a person as a page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The request is malformed; the key names the message shown.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// Nothing here.
    #[error("not found")]
    NotFound,
    /// Signed in, but this account may not use this page or action (403); nothing changed.
    #[error("forbidden")]
    Forbidden,
    /// The body is over `server.body_limit_bytes`.
    #[error("payload too large")]
    TooLarge,
    /// Too many attempts from this address across every node; retry in a minute.
    #[error("too many requests")]
    TooMany,
    /// Too many requests at once (password hashing saturated); try again shortly.
    #[error("busy")]
    Busy,
    /// A dependency (Redis, Postgres) is unreachable: fail closed.
    #[error("dependency unavailable")]
    Unavailable(#[source] BoxError),
    /// A bug or an unexpected failure; logged, never shown.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

/// Marker the middleware reads to render the right message.
#[derive(Debug, Clone, Copy)]
struct ErrorMessage(&'static str);

impl PageError {
    /// An internal failure, keeping its cause (an error, or a message when there is none).
    pub fn internal(e: impl Into<BoxError>) -> Self {
        PageError::Internal(e.into())
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            PageError::Unavailable(Box::new(e))
        } else {
            PageError::Internal(Box::new(e))
        }
    }
}

crate::store::via_store_error!(PageError);

impl From<HashError> for PageError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => PageError::Busy,
            failed => PageError::Internal(Box::new(failed)),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, key) = match &self {
            PageError::BadRequest(key) => (StatusCode::BAD_REQUEST, *key),
            PageError::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
            PageError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
            PageError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "error-too-large"),
            PageError::TooMany => (StatusCode::TOO_MANY_REQUESTS, "error-too-many"),
            PageError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "error-busy"),
            PageError::Unavailable(_) => {
                tracing::error!(error = %Chain(&self), "dependency unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "error-unavailable")
            }
            PageError::Internal(_) => {
                tracing::error!(error = %Chain(&self), "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorMessage(key));
        if status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// Middleware for page routes: renders every error response as a translated page.
pub async fn render(request: Request, next: Next) -> Response {
    let lang = negotiate(request.uri().query(), request.headers());
    let response = next.run(request).await;
    let status = response.status();
    let message = response.extensions().get::<ErrorMessage>().copied();
    let bare = !response.headers().contains_key(header::CONTENT_TYPE)
        || response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if message.is_none() && !(status.as_u16() >= 400 && bare) {
        return response;
    }
    let key = message.map_or_else(|| key_for_status(status), |m| m.0);
    let mut page = page::error_page(lang, status, key);
    for name in [header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::ALLOW] {
        if let Some(value) = response.headers().get(&name) {
            page.headers_mut().insert(name, value.clone());
        }
    }
    page
}

/// The message for a status a layer produced.
pub fn key_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "error-not-found",
        StatusCode::METHOD_NOT_ALLOWED => "error-method",
        StatusCode::PAYLOAD_TOO_LARGE => "error-too-large",
        StatusCode::REQUEST_TIMEOUT => "error-timeout",
        StatusCode::TOO_MANY_REQUESTS => "error-too-many",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "error-bad-request",
        StatusCode::SERVICE_UNAVAILABLE => "error-busy",
        s if s.is_client_error() => "error-bad-request",
        _ => "error-internal",
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_page_error_keeps_the_store_error_and_its_cause() {
        let json = serde_json::from_str::<u8>("x").unwrap_err();
        let page = PageError::from(StoreError::Corrupt(json.into()));
        assert!(matches!(page, PageError::Internal(_)), "{page:?}");
        let store = page.source().expect("the store error");
        assert!(store.is::<StoreError>(), "{store:?}");
        let json = store.source().expect("the decoding error");
        assert!(json.is::<serde_json::Error>(), "{json:?}");
        let logged = Chain(&page).to_string();
        assert!(
            logged.starts_with("internal error: corrupt stored value: expected value"),
            "{logged}"
        );
    }

    #[test]
    fn a_failed_hash_keeps_its_cause() {
        let cause = std::io::Error::other("argon2 said no");
        let page = PageError::from(HashError::Failed(cause.into()));
        assert_eq!(
            Chain(&page).to_string(),
            "internal error: password hashing failed: argon2 said no"
        );
    }

    #[test]
    fn a_busy_hasher_is_busy_not_internal() {
        assert!(matches!(PageError::from(HashError::Busy), PageError::Busy));
    }
}
