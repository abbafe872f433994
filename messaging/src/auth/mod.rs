//! The pages' sign-in through the idp and the server-side session it opens: `/login` →
//! the idp → `/callback` (state, PKCE, nonce checked; the session stored in Postgres under
//! the SHA-256 of a `__Host-` cookie); `POST /logout` (RP-initiated logout at the idp); and
//! `POST /backchannel-logout`, where the idp's logout tokens end the sessions of an SSO
//! session that ended there.

mod handlers;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// `/login`, `/callback`, `/logout`, `/backchannel-logout` (`/` is the inbox, `pages/`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(handlers::login))
        .route("/callback", get(handlers::callback))
        .route("/logout", post(handlers::logout))
        .route("/backchannel-logout", post(handlers::backchannel_logout))
}
