//! The one way our cookies are made (ASVS 3.3.1, 3.3.4): `__Host-` names — so Secure, path
//! `/` and no `Domain` —, HttpOnly, and the SameSite each needs. A removal must carry the same
//! attributes, or the browser keeps the cookie.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

/// A `__Host-` cookie holding `value`: Secure, HttpOnly, path `/`, `same_site`.
pub fn host(name: &'static str, value: String, same_site: SameSite) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(same_site)
        .build()
}

/// `jar` without the `__Host-` cookie `name` (one set with `SameSite=Lax`).
pub fn remove(jar: CookieJar, name: &'static str) -> CookieJar {
    jar.remove(
        Cookie::build(name)
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Lax),
    )
}
