//! Login at the provider: the login page (`IP…`/`CE…` or alias, and
//! password) and the per-account failure counter. The online-services home page is in
//! `account/`.

mod authenticate;
mod handlers;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub use authenticate::{Authenticated, Failure, LoginError, after_failure, authenticate, reverify};

/// `/login`.
pub fn router(state: &AppState) -> Router<AppState> {
    let login = Router::new().route("/login", get(handlers::show).post(handlers::submit));
    crate::web::with_per_ip_limit(login, state)
}
