//! Rendering a page: the frame every page shares (title, the signed-in bar, the language
//! switch back to this page), the page's own headers (no caching, a CSP whose forms stay on
//! this site), and the sign-in and not-found pages.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::caller::PageCaller;
use crate::i18n::Lang;

/// The pages' Content Security Policy: the site's, with forms posting only here.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The signed-in bar.
#[derive(Debug, Clone)]
pub struct UserBar {
    /// Display name.
    pub name: String,
    /// Username.
    pub username: String,
    /// The logout form's token.
    pub csrf: String,
    /// Whether to offer the queue.
    pub agent: bool,
}

/// What the layout shows around every page.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The page's title.
    pub title: String,
    /// The signed-in bar.
    pub user: Option<UserBar>,
    /// This page's path, URL-encoded (the language switch comes back to it).
    pub here: String,
    /// Whether the page listens for live updates.
    pub live: bool,
}

impl Frame {
    /// The frame of a signed-in page.
    pub fn signed_in(who: &PageCaller, title: &str, here: &str, live: bool) -> Self {
        Self {
            title: title.to_owned(),
            user: Some(UserBar {
                name: who.caller.person.name.clone(),
                username: who.caller.person.username.clone(),
                csrf: who.csrf.clone(),
                agent: who.agent_role(),
            }),
            here: url::form_urlencoded::byte_serialize(here.as_bytes()).collect(),
            live,
        }
    }
}

/// Renders `page` with `status` and the pages' headers.
pub fn page(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, Html(body)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Erreur / Error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn {
    lang: Lang,
    frame: Frame,
    failed: bool,
}

/// The sign-in page (`failed`: a sign-in just failed).
pub fn sign_in(lang: Lang, failed: bool) -> Response {
    let frame = Frame {
        title: lang.t("sign-in-title").to_owned(),
        user: None,
        here: "%2F".to_owned(),
        live: false,
    };
    let status = if failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(
        status,
        &SignIn {
            lang,
            frame,
            failed,
        },
    )
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFound {
    lang: Lang,
    frame: Frame,
    message: &'static str,
}

/// The page for a thread that does not exist or is not the caller's (one and the same).
pub fn not_found(who: &PageCaller) -> Response {
    let lang = who.lang;
    let frame = Frame::signed_in(who, lang.t("not-found-title"), "/", false);
    page(
        StatusCode::NOT_FOUND,
        &NotFound {
            lang,
            frame,
            message: lang.t("not_found"),
        },
    )
}

/// The page for a form whose token is not this session's.
pub fn expired(who: &PageCaller) -> Response {
    let lang = who.lang;
    let frame = Frame::signed_in(who, lang.t("page-expired"), "/", false);
    page(
        StatusCode::FORBIDDEN,
        &NotFound {
            lang,
            frame,
            message: lang.t("page-expired"),
        },
    )
}

/// A page for a failure of the service (store, keys, idp): 503, try again.
pub fn unavailable(who: &PageCaller, error: &(dyn std::error::Error + 'static)) -> Response {
    tracing::error!(error = %crate::error::Chain(error), "a page failed");
    let lang = who.lang;
    let frame = Frame::signed_in(who, lang.t("unavailable"), "/", false);
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        &NotFound {
            lang,
            frame,
            message: lang.t("unavailable"),
        },
    )
}

/// A time as the pages show it: `2026-12-07 14:05` (UTC), and its ISO form.
pub fn when(at: chrono::DateTime<chrono::Utc>) -> (String, String) {
    (at.format("%Y-%m-%d %H:%M UTC").to_string(), at.to_rfc3339())
}

/// A state's label.
pub fn state_label(lang: Lang, state: crate::domain::ThreadState) -> &'static str {
    lang.t(&format!("state-{}", state.as_str()))
}

/// A file size for people: « 1,2 Mo » / "1.2 MB" (decimal units, one decimal under 10).
pub fn size(lang: Lang, bytes: i64) -> String {
    let units: [&str; 4] = match lang {
        Lang::Fr => ["o", "ko", "Mo", "Go"],
        Lang::En => ["B", "kB", "MB", "GB"],
    };
    #[allow(clippy::cast_precision_loss)] // a size shown to one decimal
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    let shown = if unit == 0 || value >= 10.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    };
    let shown = match lang {
        Lang::Fr => shown.replace('.', ","),
        Lang::En => shown,
    };
    format!("{shown} {}", units[unit])
}

/// The hint under a file input: how many files, how large, which types.
pub fn files_hint(lang: Lang, max_bytes: u64) -> String {
    let mb = (max_bytes / (1024 * 1024)).max(1);
    lang.t("field-files-hint").replace("{mb}", &mb.to_string())
}
