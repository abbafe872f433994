//! "Mot de passe oublié?": a forgotten password replaced without a phone call, by answering
//! secret questions (hardened as docs/SECURITY.md explains).
//!
//! The walk: `start.rs` (the name, or the e-mailed link first) → `answers.rs` (the account's
//! challenge, `challenge.rs`, checked one set at a time per account, `flight.rs`) → `reset.rs`
//! (the new password, then a success page). `flow.rs` keeps one browser's progress and decides
//! who may recover; a name that is no account walks the same path with decoy questions
//! (`decoy.rs`); `pages.rs` renders.

mod answers;
mod challenge;
mod decoy;
mod flight;
mod flow;
mod pages;
mod reset;
mod start;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub use challenge::close as close_challenge;
pub use flow::RECOVERY_COOKIE;

/// `/recovery` (the name), `/recovery/link` (the e-mailed proof: a GET only shows a button, the
/// POST spends it), `/recovery/questions`, `/recovery/password`, `/recovery/done`. Every POST
/// is CSRF-checked.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recovery", get(start::show).post(start::submit))
        .route(
            "/recovery/link",
            get(start::show_link).post(start::follow_link),
        )
        .route(
            "/recovery/questions",
            get(answers::show).post(answers::submit),
        )
        .route("/recovery/password", get(reset::show).post(reset::submit))
        .route("/recovery/done", get(reset::done))
}
