//! Per-IP shaping of the endpoints a guesser would hammer (login, token, authorize, consent
//! and the credential pages): tower-governor, per process, keyed by the client address as
//! `client_ip.rs` resolves it. The per-account counters every node shares live in Redis.

use std::sync::Arc;

use axum::Router;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

use super::client_ip::GovernorKey;
use crate::state::AppState;

/// `router` behind the per-IP limit of `rate_limit.per_ip_per_second` and `.per_ip_burst`.
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
