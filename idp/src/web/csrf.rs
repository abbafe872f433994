//! CSRF protection for every state-changing form (ASVS 3.5): a signed double-submit token —
//! the `__Host-idp_csrf` cookie holds a random value, the form carries HMAC(key, value) — and
//! the `Origin`/`Sec-Fetch-Site` headers must say the request comes from our own pages.

use aws_lc_rs::hmac;
use axum::http::HeaderMap;
use axum_extra::extract::cookie::{CookieJar, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::ExposeSecret;

use crate::config::Secret32;
use crate::domain::SecretToken;

/// Name of the CSRF cookie.
pub const CSRF_COOKIE: &str = "__Host-idp_csrf";

/// The token to embed in a form, setting the cookie when the browser has none.
pub fn token(
    jar: CookieJar,
    key: &Secret32,
) -> Result<(CookieJar, String), aws_lc_rs::error::Unspecified> {
    if let Some(cookie) = jar.get(CSRF_COOKIE) {
        let token = sign(key, cookie.value());
        return Ok((jar, token));
    }
    let value = SecretToken::generate()?;
    let token = sign(key, value.expose());
    let cookie = super::cookies::host(CSRF_COOKIE, value.expose().to_owned(), SameSite::Strict);
    Ok((jar.add(cookie), token))
}

/// Whether a submitted form is ours: the token matches the cookie and the browser did not
/// mark the request cross-site.
pub fn verify(
    jar: &CookieJar,
    headers: &HeaderMap,
    key: &Secret32,
    submitted: &str,
    origin: &str,
) -> bool {
    let Some(cookie) = jar.get(CSRF_COOKIE) else {
        return false;
    };
    let expected = hmac::Key::new(hmac::HMAC_SHA256, key.expose_secret());
    let Ok(submitted) = URL_SAFE_NO_PAD.decode(submitted) else {
        return false;
    };
    if hmac::verify(&expected, cookie.value().as_bytes(), &submitted).is_err() {
        return false;
    }
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let fetch_site_ok = fetch_site.is_none_or(|v| v == "same-origin" || v == "none");
    // Our pages send `Referrer-Policy: no-referrer`, under which browsers send `Origin: null`
    // even on a same-origin POST (Fetch §3.2.5); `null` is accepted only when the browser
    // also says the request is same-origin. The signed token is checked in every case.
    let origin_ok = match headers.get("origin").and_then(|v| v.to_str().ok()) {
        None => true,
        Some("null") => fetch_site == Some("same-origin"),
        Some(value) => value == origin,
    };
    fetch_site_ok && origin_ok
}

/// Checks a submitted form against the request (see `verify`); a mismatch is the translated
/// "page expired" error.
pub fn check(
    app: &crate::state::AppState,
    jar: &CookieJar,
    headers: &HeaderMap,
    submitted: Option<&str>,
) -> Result<(), crate::web::PageError> {
    if verify(
        jar,
        headers,
        &app.csrf_key,
        submitted.unwrap_or_default(),
        &app.origin,
    ) {
        Ok(())
    } else {
        Err(crate::web::PageError::BadRequest("error-csrf"))
    }
}

fn sign(key: &Secret32, value: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key.expose_secret());
    URL_SAFE_NO_PAD.encode(hmac::sign(&key, value.as_bytes()).as_ref())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use secrecy::SecretBox;

    fn key() -> Secret32 {
        SecretBox::new(Box::new([7u8; 32]))
    }

    #[test]
    fn a_token_verifies_with_its_cookie_only() {
        let (jar, token) = token(CookieJar::new(), &key()).unwrap();
        let origin = "https://idp.example";
        assert!(verify(&jar, &HeaderMap::new(), &key(), &token, origin));
        let (other_jar, _) = super::token(CookieJar::new(), &key()).unwrap();
        assert!(!verify(
            &other_jar,
            &HeaderMap::new(),
            &key(),
            &token,
            origin
        ));
        assert!(!verify(&jar, &HeaderMap::new(), &key(), "forged", origin));
    }

    #[test]
    fn a_null_origin_is_accepted_only_from_a_same_origin_fetch() {
        let (jar, token) = token(CookieJar::new(), &key()).unwrap();
        let origin = "https://idp.example";
        let mut headers = HeaderMap::new();
        headers.insert("origin", "null".parse().unwrap());
        assert!(
            !verify(&jar, &headers, &key(), &token, origin),
            "null without Sec-Fetch-Site"
        );
        headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(
            verify(&jar, &headers, &key(), &token, origin),
            "null from our own page"
        );
        headers.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(
            !verify(&jar, &headers, &key(), &token, origin),
            "null from another site"
        );
    }

    #[test]
    fn a_cross_site_request_is_refused_even_with_a_good_token() {
        let (jar, token) = token(CookieJar::new(), &key()).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(!verify(
            &jar,
            &headers,
            &key(),
            &token,
            "https://idp.example"
        ));
        let mut headers = HeaderMap::new();
        headers.insert("origin", "https://evil.example".parse().unwrap());
        assert!(!verify(
            &jar,
            &headers,
            &key(),
            &token,
            "https://idp.example"
        ));
    }
}
