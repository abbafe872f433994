//! The pages' language: the `__Host-messaging_lang` cookie that the switch in the header
//! sets (`/language?to=en&back=/…`), else `Accept-Language`, else French.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::i18n::Lang;
use crate::session;

const COOKIE: &str = "__Host-messaging_lang";

/// The language of a page request.
#[derive(Debug, Clone, Copy)]
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = match jar.get(COOKIE).map(|c| c.value().to_owned()).as_deref() {
            Some("en") => Lang::En,
            Some("fr-CA") => Lang::Fr,
            _ => Lang::from_accept_language(
                parts
                    .headers
                    .get(axum::http::header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            ),
        };
        Ok(Self(lang))
    }
}

/// `/language` query.
#[derive(Debug, Deserialize)]
pub struct Switch {
    to: Option<String>,
    back: Option<String>,
}

/// A path of this site to go back to (never another site: `//host` and `/\host` are refused).
pub fn local_path(back: Option<&str>) -> String {
    match back {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// `GET /language?to=en|fr-CA&back=/path`.
pub async fn switch(
    jar: CookieJar,
    query: Result<Query<Switch>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return Redirect::to("/").into_response();
    };
    let value = match query.to.as_deref() {
        Some("en") => "en",
        _ => "fr-CA",
    };
    let jar = jar.add(session::cookie(COOKIE, value.to_owned()));
    (jar, Redirect::to(&local_path(query.back.as_deref()))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_of_this_site_is_a_way_back() {
        assert_eq!(local_path(Some("/threads/1?x=2")), "/threads/1?x=2");
        for hostile in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "",
            "/\r\nSet-Cookie: x",
        ] {
            assert_eq!(local_path(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
