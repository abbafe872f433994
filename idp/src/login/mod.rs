//! Login at the provider and the SSO session: the login page (`IP…`/`CE…` or alias, and
//! password), the per-account failure counter, and the online-services home page.

mod authenticate;
mod handlers;
pub mod session;

use axum::Router;
use axum::routing::get;

use crate::app::AppState;

pub use authenticate::{Authenticated, Failure, after_failure, authenticate, reverify};

/// `/`, `/login`.
pub fn router(state: &AppState) -> Router<AppState> {
    let login = Router::new().route("/login", get(handlers::show).post(handlers::submit));
    Router::new()
        .route("/", get(handlers::home))
        .merge(crate::oidc::with_per_ip_limit(login, state))
}
