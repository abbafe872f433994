//! Static assets, compiled in: the stylesheet both services share (`service_kit::SITE_CSS`)
//! and three scripts (no inline script anywhere, so the CSP can forbid it): the form_post
//! auto-submit, the busy state of a form being sent, and the passkey ceremonies.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

const CSS: &str = service_kit::SITE_CSS;
const FORM_POST_JS: &str = include_str!("../../assets/form_post.js");
const BUSY_JS: &str = include_str!("../../assets/busy.js");
const PASSKEY_JS: &str = include_str!("../../assets/passkey.js");

/// `/assets/…` routes.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/assets/idp.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/assets/form_post.js",
            get(|| async { asset(FORM_POST_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/busy.js",
            get(|| async { asset(BUSY_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/passkey.js",
            get(|| async { asset(PASSKEY_JS, "text/javascript; charset=utf-8") }),
        )
}

fn asset(body: &'static str, content_type: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
}
