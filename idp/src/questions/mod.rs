//! Secret questions (the seed's recovery mechanism, hardened as docs/SECURITY.md explains):
//! the catalogue from configuration, the rules an answer must meet, how an answer is
//! normalised and hashed (`answer.rs`), and the *Questions secrètes* page (`handlers.rs`) used
//! both by a forced credential change and by the account settings.

pub mod answer;
mod handlers;
pub mod save;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

/// `/questions` (restricted state) and `/account/questions` (settings).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/questions",
            get(handlers::show_restricted).post(handlers::submit_restricted),
        )
        .route(
            "/account/questions",
            get(handlers::show_settings).post(handlers::submit_settings),
        )
}
