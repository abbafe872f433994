//! The language of a request: `ui_locales` or `lang` in the query, then the `idp_lang` cookie,
//! then `Accept-Language`, then French.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};

use crate::i18n::Lang;

/// Name of the cookie that remembers an explicit choice.
pub const LANG_COOKIE: &str = "idp_lang";

/// The negotiated language (never fails).
#[derive(Debug, Clone, Copy)]
pub struct RequestLang(pub Lang);

/// Negotiates from a query string and headers.
pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Lang {
    let from_query = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "ui_locales" || k == "lang")
            .and_then(|(_, v)| Lang::from_list(&v))
    });
    let from_cookie = || {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == LANG_COOKIE)
            .and_then(|(_, value)| Lang::from_tag(value))
    };
    let from_header = || {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
    };
    from_query
        .or_else(from_cookie)
        .or_else(from_header)
        .unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for RequestLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestLang(negotiate(parts.uri.query(), &parts.headers)))
    }
}
