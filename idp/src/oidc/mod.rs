//! The OpenID Connect provider: discovery, JWKS, authorization, token, userinfo,
//! introspection, revocation and logout.
//!
//! oxide-auth supplies PKCE (RFC 7636) verification; the rest of the OAuth 2.0 core and all of
//! OIDC are ours, on openidconnect's types (see docs/ARCHITECTURE.md). Nothing outside this
//! module knows oxide-auth is used.

pub mod authorize;
pub mod backchannel;
pub mod claims;
pub mod client_auth;
pub mod consent;
pub mod discovery;
pub mod error;
pub mod introspect;
pub mod issue;
pub mod logout;
pub mod pkce;
pub mod request;
pub mod respond;
pub mod revoke;
pub mod token;
pub mod userinfo;
pub mod verify;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use crate::web::with_per_ip_limit;

/// JSON endpoints for relying parties and resource servers (no CSRF: clients authenticate).
pub fn api_router(state: &AppState) -> Router<AppState> {
    let limited = with_per_ip_limit(Router::new().route("/token", post(token::handle)), state);
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery::handle))
        .route("/jwks.json", get(discovery::jwks))
        .route("/userinfo", get(userinfo::handle).post(userinfo::handle))
        .route("/introspect", post(introspect::handle))
        .route("/revoke", post(revoke::handle))
        .merge(limited)
}

/// Browser-facing endpoints, rendered as pages. Authorization and consent park requests in
/// Redis, so they are shaped per IP like login and token.
pub fn page_router(state: &AppState) -> Router<AppState> {
    let parking = Router::new()
        .route("/authorize", get(authorize::get).post(authorize::post))
        .route("/authorize/resume", get(authorize::resume))
        .route("/consent", get(consent::show).post(consent::submit));
    Router::new()
        .merge(with_per_ip_limit(parking, state))
        .route("/logout", get(logout::get).post(logout::post))
}
