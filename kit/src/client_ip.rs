//! The client's address: the TCP peer, or — only when the peer is a configured trusted proxy —
//! the rightmost address in `X-Forwarded-For` that is not itself a trusted proxy. Both services
//! attribute requests this way (rate limits, audit, the access journal).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};

/// Resolves the client address from the connection and headers.
pub fn resolve(extensions: &Extensions, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let from_header = forwarded
        .iter()
        .rev()
        .filter_map(|s| s.parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip));
    Some(from_header.unwrap_or(peer))
}

/// The `User-Agent` as the audit keeps it: at most 256 characters, control characters dropped.
pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().filter(|c| !c.is_control()).take(256).collect())
}

/// tower-governor keyed by the same resolution.
#[derive(Debug, Clone)]
pub struct GovernorKey {
    /// Trusted proxies.
    pub trusted: std::sync::Arc<Vec<IpAddr>>,
}

impl tower_governor::key_extractor::KeyExtractor for GovernorKey {
    type Key = IpAddr;

    fn name(&self) -> &'static str {
        "client address"
    }

    fn extract<T>(
        &self,
        req: &axum::http::Request<T>,
    ) -> Result<Self::Key, tower_governor::GovernorError> {
        resolve(req.extensions(), req.headers(), &self.trusted)
            .ok_or(tower_governor::GovernorError::UnableToExtractKey)
    }
}

/// `router` behind a per-IP limit (tower-governor, per process): `per_second` requests a
/// second on average and bursts of `burst`, the address resolved as [`resolve`] does (behind
/// `trusted` proxies); over it, 429 with `Retry-After`. Idle addresses are forgotten every
/// minute so the table does not grow without bound.
pub fn per_ip_limit<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    per_second: u32,
    burst: u32,
    trusted: Vec<IpAddr>,
) -> axum::Router<S> {
    let key = GovernorKey {
        trusted: std::sync::Arc::new(trusted),
    };
    let nanos_per_request = 1_000_000_000u64 / u64::from(per_second.max(1));
    let Some(config) = tower_governor::governor::GovernorConfigBuilder::default()
        .per_nanosecond(nanos_per_request.max(1))
        .burst_size(burst.max(1))
        .key_extractor(key)
        .finish()
    else {
        return router;
    };
    let config = std::sync::Arc::new(config);
    let limiter = config.limiter().clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.retain_recent();
        }
    });
    router.layer(tower_governor::GovernorLayer::new(config))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ext(peer: &str) -> Extensions {
        let mut e = Extensions::new();
        e.insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 1234)));
        e
    }

    fn xff(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", value.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_ignored_from_an_untrusted_peer() {
        let ip = resolve(&ext("203.0.113.9"), &xff("198.51.100.1"), &[]).unwrap();
        assert_eq!(ip.to_string(), "203.0.113.9");
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_address_wins() {
        let trusted: Vec<IpAddr> = vec!["10.0.0.2".parse().unwrap()];
        let ip = resolve(
            &ext("10.0.0.2"),
            &xff("1.1.1.1, 198.51.100.7, 10.0.0.2"),
            &trusted,
        )
        .unwrap();
        assert_eq!(
            ip.to_string(),
            "198.51.100.7",
            "a client-supplied leftmost entry must not be believed"
        );
    }
}
