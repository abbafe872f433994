//! Per-IP shaping of the endpoints a guesser would hammer (login, token, authorize, consent
//! and the credential pages): tower-governor, per process, keyed by the client address as
//! `client_ip.rs` resolves it. The per-account counters every node shares live in Redis.

use axum::Router;

use crate::state::AppState;

/// `router` behind the per-IP limit of `rate_limit.per_ip_per_second` and `.per_ip_burst`
/// (`service_kit::client_ip::per_ip_limit`).
pub fn with_per_ip_limit(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let limits = state.config.rate_limit;
    service_kit::client_ip::per_ip_limit(
        router,
        limits.per_ip_per_second,
        limits.per_ip_burst,
        state.config.server.trusted_proxies.clone(),
    )
}
