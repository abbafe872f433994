//! The API's error bodies: `{"error": "<code>", "message": "<text in the caller's language>",
//! "field": "<field>"?}` with the status that fits; a 401 carries a Bearer challenge
//! (RFC 6750 §3). Nothing about a thread that is not the caller's is ever told apart from a
//! thread that does not exist (404).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::i18n::{self, Lang};
use crate::identity::Rejected;
use crate::identity::caller::CallerError;
use crate::identity::idp::IdpError;
use crate::store::StoreError;
use crate::threads::ThreadError;

/// The body of every error answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code: `invalid_token`, `not_found`, `malformed_body`, `malformed_query`,
    /// `body_too_large`, `quota_reached`, `sending_paused`, `idp_unavailable`,
    /// `unavailable`, or a field rule (`required`, `too_long`, `unknown_category`, …).
    pub error: String,
    /// The message for a person, in the request's language (French by default).
    pub message: String,
    /// The field at fault, for a 422.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An API error, rendered in `lang`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    key: &'static str,
    field: Option<&'static str>,
    lang: Lang,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a message key.
    pub fn new(status: StatusCode, key: &'static str, lang: Lang) -> Self {
        Self {
            status,
            key,
            field: None,
            lang,
            retry_after: None,
        }
    }

    /// 404.
    pub fn not_found(lang: Lang) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", lang)
    }

    /// 401 `invalid_token`.
    pub fn invalid_token(lang: Lang) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", lang)
    }

    /// The error for a refused or unverifiable token.
    pub fn from_rejected(rejected: &Rejected, lang: Lang) -> Self {
        match rejected {
            Rejected::Invalid(why) => {
                tracing::debug!(why, "bearer token refused");
                Self::invalid_token(lang)
            }
            Rejected::Idp(e) => Self::from_idp(e, lang),
        }
    }

    fn from_idp(error: &IdpError, lang: Lang) -> Self {
        match error {
            IdpError::TokenRefused => Self::invalid_token(lang),
            other => {
                tracing::warn!(error = %other, "the idp could not be used");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "idp_unavailable", lang)
            }
        }
    }

    /// The error for a refused conversation request.
    pub fn from_thread(error: ThreadError, lang: Lang) -> Self {
        match error {
            ThreadError::NotFound => Self::not_found(lang),
            ThreadError::Invalid { field, reason } => Self {
                field: Some(field),
                ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, reason, lang)
            },
            ThreadError::Quota { retry_after } => Self {
                retry_after: Some(retry_after),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "quota_reached", lang)
            },
            ThreadError::QuotaUnavailable(e) => {
                tracing::warn!(error = %crate::error::Chain(&e), "quota counters unreachable: sending refused");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "sending_paused", lang)
            }
            ThreadError::Caller(CallerError::Idp(e)) => Self::from_idp(&e, lang),
            ThreadError::Caller(CallerError::Store(e)) => Self::unavailable(&e, lang),
            ThreadError::Store(e) => Self::unavailable(&e, lang),
            ThreadError::Crypto(e) => {
                tracing::error!(error = %crate::error::Chain(&e), "encryption keys unusable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", lang)
            }
        }
    }

    fn unavailable(error: &StoreError, lang: Lang) -> Self {
        tracing::error!(error = %crate::error::Chain(error), "store failed");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", lang)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.key.to_owned(),
            message: i18n::text(self.key, self.lang).to_owned(),
            field: self.field.map(str::to_owned),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(self.lang.tag()),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        let retry_after = match (self.retry_after, self.status) {
            (Some(seconds), _) => Some(seconds),
            (None, StatusCode::SERVICE_UNAVAILABLE) => Some(5),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
