//! The pages: the inbox, a thread, compose, the agents' queue — French by default, English
//! offered, accessible (labels, errors tied to their fields, keyboard, focus), no inline
//! script (one small script for live updates). Each handler takes a [`PageCaller`] (a live
//! server-side session, else the sign-in page) and hands the request to the `threads`
//! feature, exactly as the API does.

mod caller;
mod compose;
mod drafts;
mod events;
mod lang;
mod list;
mod multipart;
mod render;
mod thread;

pub use caller::PageCaller;
pub use lang::PageLang;

/// The sign-in page (`failed`: a sign-in just failed), for the sign-in handlers.
pub fn sign_in_page(lang: crate::i18n::Lang, failed: bool) -> axum::response::Response {
    render::sign_in(lang, failed)
}

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::state::AppState;

const SITE_CSS: &str = service_kit::SITE_CSS;
const MESSAGING_CSS: &str = include_str!("../../assets/messaging.css");
const LIVE_JS: &str = include_str!("../../assets/live.js");
const UPLOAD_JS: &str = include_str!("../../assets/upload.js");
const DRAFT_JS: &str = include_str!("../../assets/draft.js");

/// The pages' routes (`/`, `/threads…`, `/queue`, `/events`, `/language`, `/assets/…`).
pub fn router(app: &AppState) -> Router<AppState> {
    // Forms with files: their own limit (every file at its own); the feature checks each.
    let with_files = DefaultBodyLimit::max(multipart::body_limit(app.config.attachments.max_bytes));
    Router::new()
        .route("/", get(list::inbox))
        .route("/queue", get(list::queue))
        .route("/threads/new", get(compose::form))
        .route("/threads", post(compose::send).layer(with_files))
        .route("/threads/{id}", get(thread::show))
        .route(
            "/threads/{id}/messages",
            post(thread::reply).layer(with_files),
        )
        .route(
            "/threads/{id}/attachments/{attachment}",
            get(thread::download),
        )
        .route("/threads/{id}/take", post(thread::take))
        .route("/threads/{id}/close", post(thread::close))
        .route("/drafts/new", post(drafts::save_new))
        .route("/threads/{id}/draft", post(drafts::save_reply))
        .route("/events", get(events::events))
        .route("/language", get(lang::switch))
        .route(
            "/assets/site.css",
            get(|| async { asset(SITE_CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/assets/messaging.css",
            get(|| async { asset(MESSAGING_CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/assets/live.js",
            get(|| async { asset(LIVE_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/draft.js",
            get(|| async { asset(DRAFT_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/upload.js",
            get(|| async { asset(UPLOAD_JS, "text/javascript; charset=utf-8") }),
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
