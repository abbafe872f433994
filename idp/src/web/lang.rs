//! The language of a request, in this order: an explicit choice (`lang` in the query, from the
//! language link), the `idp_lang` cookie that remembers such a choice, the relying party's
//! `ui_locales` hint for this authorization request (OIDC Core §3.1.2.1), `Accept-Language`,
//! and French.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};

use crate::i18n::Lang;

/// Name of the cookie that remembers an explicit choice.
pub const LANG_COOKIE: &str = "idp_lang";

/// The negotiated language (never fails).
#[derive(Debug, Clone, Copy)]
pub struct RequestLang(pub Lang);

/// The language of a page of an authorization flow whose request carried `ui_locales`.
pub fn negotiate_with_hint(
    query: Option<&str>,
    headers: &HeaderMap,
    ui_locales: Option<&str>,
) -> Lang {
    let chosen = query
        .and_then(|q| param(q, "lang"))
        .or_else(|| cookie(headers));
    let hinted = || {
        ui_locales
            .and_then(Lang::from_list)
            .or_else(|| query.and_then(|q| param(q, "ui_locales")))
    };
    chosen
        .or_else(hinted)
        .or_else(|| accept_language(headers))
        .unwrap_or_default()
}

/// The language of any page.
pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Lang {
    negotiate_with_hint(query, headers, None)
}

/// Middleware: an explicit choice (`lang` in the query) is remembered in the `idp_lang`
/// cookie, so every later page keeps that language.
pub async fn remember(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let chosen = request.uri().query().and_then(|q| param(q, "lang"));
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Secure; SameSite=Lax; Max-Age=31536000",
            lang.tag()
        );
        if let Ok(value) = axum::http::HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn param(query: &str, name: &str) -> Option<Lang> {
    super::query_param(Some(query), name).and_then(|v| Lang::from_list(&v))
}

fn cookie(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| Lang::from_tag(value))
}

fn accept_language(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
}

impl<S: Send + Sync> FromRequestParts<S> for RequestLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestLang(negotiate(parts.uri.query(), &parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: Option<&str>, accept: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(c) = cookie {
            h.insert(header::COOKIE, c.parse().unwrap());
        }
        if let Some(a) = accept {
            h.insert(header::ACCEPT_LANGUAGE, a.parse().unwrap());
        }
        h
    }

    #[test]
    fn an_explicit_choice_beats_the_relying_partys_hint_which_beats_the_browser() {
        let none = headers(None, Some("fr-CA"));
        assert_eq!(
            negotiate_with_hint(None, &none, Some("en")),
            Lang::En,
            "ui_locales over Accept-Language"
        );
        assert_eq!(
            negotiate_with_hint(Some("lang=fr-CA"), &none, Some("en")),
            Lang::Fr,
            "the link wins"
        );
        let chose_fr = headers(Some("idp_lang=fr-CA"), Some("en"));
        assert_eq!(
            negotiate_with_hint(None, &chose_fr, Some("en")),
            Lang::Fr,
            "a remembered choice wins"
        );
        assert_eq!(
            negotiate(None, &headers(None, None)),
            Lang::Fr,
            "French by default"
        );
    }
}

/// Any `Cookie` header is read or ignored, never a panic.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_cookie_header_is_read_or_ignored(value in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(value) = axum::http::HeaderValue::from_bytes(&value) {
                let mut headers = HeaderMap::new();
                headers.insert(header::COOKIE, value);
                let _ = cookie(&headers);
            }
        }
    }
}
