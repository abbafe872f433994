//! The security console (issue 10, security-officer role): the audit trail searched by account,
//! agent, kind, dates and client address, exported as CSV (`audit.rs`); the policy in force —
//! passwords, lockout, recovery, second factor, consoles (`policy.rs`); the agency roles, granted
//! and revoked with the officer audited (`roles.rs`); the signing keys, listed and rotated by the
//! command line's rules (`keys.rs`); the relying parties registered, edited, their secret
//! rotated, disabled and enabled by the command line's rules (`clients.rs`). Nothing here changes the trail, which the
//! database keeps append-only (migrations V3, V14).
//!
//! Every route takes the [`SecurityOfficer`] extractor (`crate::console`): the role, a session
//! opened with a second factor, not idle; anyone else gets 403.

mod audit;
mod clients;
mod keys;
mod policy;
mod roles;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::state::AppState;

/// A security officer at the console.
pub type SecurityOfficer = crate::console::Console<crate::console::Security>;

/// `/security…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/security",
            get(|_: SecurityOfficer| async { Redirect::to("/security/audit") }),
        )
        .route("/security/audit", get(audit::show))
        .route("/security/policy", get(policy::show))
        .route("/security/roles", get(roles::show).post(roles::change))
        .route("/security/keys", get(keys::show).post(keys::rotate))
        .route("/security/clients", get(clients::list))
        .route(
            "/security/clients/new",
            get(clients::new).post(clients::register),
        )
        .route(
            "/security/clients/{id}",
            get(clients::show).post(clients::update),
        )
        .route(
            "/security/clients/{id}/secret",
            post(clients::rotate_secret),
        )
        .route("/security/clients/{id}/state", post(clients::set_state))
}
