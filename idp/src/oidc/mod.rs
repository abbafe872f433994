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
pub mod registry;
pub mod request;
pub mod respond;
pub mod revoke;
pub mod token;
pub mod userinfo;
pub mod verify;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

use crate::state::AppState;
use crate::web::client_ip::GovernorKey;

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
        .route("/consent", get(consent::show).post(consent::submit));
    Router::new()
        .merge(with_per_ip_limit(parking, state))
        .route("/logout", get(logout::get).post(logout::post))
}

/// Per-IP shaping of the login and token endpoints (tower-governor, per process; the
/// per-account counters that every node shares live in Redis).
pub fn with_per_ip_limit(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let limits = state.config.rate_limit;
    let key = GovernorKey {
        trusted: Arc::new(state.config.server.trusted_proxies.clone()),
    };
    let nanos_per_request = 1_000_000_000u64 / u64::from(limits.per_ip_per_second.max(1));
    let Some(config) = GovernorConfigBuilder::default()
        .per_nanosecond(nanos_per_request.max(1))
        .burst_size(limits.per_ip_burst.max(1))
        .key_extractor(key)
        .finish()
    else {
        return router;
    };
    let config = Arc::new(config);
    let limiter = config.limiter().clone();
    // Forget idle addresses now and then so the table does not grow without bound.
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.retain_recent();
        }
    });
    router.layer(GovernorLayer::new(config))
}
