//! Credentials that must change: setting a password (`change.rs`, shared by every flow), the
//! new-password form (`form.rs`), and the restricted state after a login with an expired or
//! temporary password (`restricted.rs`, `handlers.rs`).

mod change;
pub mod form;
mod handlers;
pub mod restricted;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub use change::{ChangeError, Why, end_other_sessions, policy_check, set_password, store};

/// `/password/new`.
pub fn router() -> Router<AppState> {
    Router::new().route("/password/new", get(handlers::show).post(handlers::submit))
}
