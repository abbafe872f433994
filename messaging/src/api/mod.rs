//! The JSON API (`/api/v1/…`) for relying-party applications that embed messaging: bearer
//! access tokens from the idp (`bearer.rs`), JSON bodies (`json.rs`), one error shape
//! (`error.rs`), the conversation endpoints (`threads.rs`), their OpenAPI description
//! (`openapi.rs`).

pub mod attachments;
pub mod bearer;
pub mod drafts;
pub mod error;
pub mod events;
pub mod json;
pub mod openapi;
pub mod preferences;
pub mod threads;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::AppState;

/// Every route of the API, `(method, path)`: the router below and the OpenAPI document's
/// test both read it.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/categories"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/preferences"),
    ("PUT", "/api/v1/preferences"),
    ("GET", "/api/v1/threads"),
    ("POST", "/api/v1/threads"),
    ("GET", "/api/v1/threads/{id}"),
    ("POST", "/api/v1/threads/{id}/messages"),
    ("POST", "/api/v1/threads/{id}/take"),
    ("POST", "/api/v1/threads/{id}/release"),
    ("POST", "/api/v1/threads/{id}/close"),
    ("POST", "/api/v1/threads/{id}/assign"),
    ("POST", "/api/v1/threads/{id}/transfer"),
    ("POST", "/api/v1/threads/{id}/attachments"),
    ("GET", "/api/v1/threads/{id}/attachments/{attachment}"),
    ("GET", "/api/v1/drafts/new"),
    ("PUT", "/api/v1/drafts/new"),
    ("DELETE", "/api/v1/drafts/new"),
    ("GET", "/api/v1/threads/{id}/draft"),
    ("PUT", "/api/v1/threads/{id}/draft"),
    ("DELETE", "/api/v1/threads/{id}/draft"),
];

/// The API's routes.
pub fn router(app: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/categories", get(threads::categories))
        .route("/api/v1/events", get(events::events))
        .route(
            "/api/v1/preferences",
            get(preferences::get_preferences).put(preferences::put_preferences),
        )
        .route(
            "/api/v1/threads",
            get(threads::list_threads).post(threads::open_thread),
        )
        .route("/api/v1/threads/{id}", get(threads::show_thread))
        .route(
            "/api/v1/drafts/new",
            get(drafts::get_new)
                .put(drafts::put_new)
                .delete(drafts::delete_new),
        )
        .route(
            "/api/v1/threads/{id}/draft",
            get(drafts::get_reply)
                .put(drafts::put_reply)
                .delete(drafts::delete_reply),
        )
        .route("/api/v1/threads/{id}/messages", post(threads::post_message))
        .route("/api/v1/threads/{id}/take", post(threads::take))
        .route("/api/v1/threads/{id}/release", post(threads::release))
        .route("/api/v1/threads/{id}/close", post(threads::close))
        .route("/api/v1/threads/{id}/assign", post(threads::assign))
        .route("/api/v1/threads/{id}/transfer", post(threads::transfer))
        .route(
            "/api/v1/threads/{id}/attachments",
            post(attachments::upload),
        )
        .route(
            "/api/v1/threads/{id}/attachments/{attachment}",
            get(attachments::download),
        )
        .layer(DefaultBodyLimit::max(app.config.server.body_limit_bytes))
}
