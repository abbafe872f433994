//! The `ApiCaller` extractor: the bearer token of the `Authorization` header (RFC 6750 §2.1)
//! verified, and the person behind it; the language of the answer. Handlers never see an
//! unverified request.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::i18n::Lang;
use crate::identity::caller::Origin;
use crate::identity::{Caller, bearer};
use crate::state::AppState;

/// A verified caller and the language to answer in.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    /// Who.
    pub caller: Caller,
    /// Their language.
    pub lang: Lang,
}

/// The language of a request (`Accept-Language`, French by default).
pub fn lang_of(parts: &Parts) -> Lang {
    Lang::from_accept_language(
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// A language extractor for handlers that need no caller.
#[derive(Debug, Clone, Copy)]
pub struct ApiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ApiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(lang_of(parts)))
    }
}

/// Where a request came from, behind the configured trusted proxies.
pub fn origin(parts: &Parts, app: &AppState) -> Origin {
    Origin {
        ip: service_kit::client_ip::resolve(
            &parts.extensions,
            &parts.headers,
            &app.config.server.trusted_proxies,
        ),
        user_agent: service_kit::client_ip::user_agent(&parts.headers),
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let lang = lang_of(parts);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::invalid_token(lang))?;
        let claims = bearer::verify(&app.idp, token)
            .await
            .map_err(|e| ApiError::from_rejected(&e, lang))?;
        let db = app
            .db
            .get()
            .await
            .map_err(|e| ApiError::from_thread(crate::threads::ThreadError::from(e), lang))?;
        let caller = app
            .profiles
            .caller(&app.idp, &db, claims, token, origin(parts, app))
            .await
            .map_err(|e| ApiError::from_thread(e.into(), lang))?;
        Ok(Self { caller, lang })
    }
}
