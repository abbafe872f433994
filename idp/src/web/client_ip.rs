//! The client's address as the idp's extractors give it: `service_kit::client_ip` resolves it
//! (the TCP peer, or behind a trusted proxy the rightmost untrusted `X-Forwarded-For` entry).

use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

pub use service_kit::client_ip::{GovernorKey, resolve};

use crate::state::AppState;

/// The address a request is attributed to (rate limits, audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = resolve(
            &parts.extensions,
            &parts.headers,
            &state.config.server.trusted_proxies,
        )
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(ClientIp(ip))
    }
}

/// Who is asking, for the audit trail: the resolved address and the `User-Agent` (at most
/// 256 characters, control characters dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// The client address.
    pub ip: IpAddr,
    /// The browser's self-description, when sent.
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for Requester {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        let user_agent = service_kit::client_ip::user_agent(&parts.headers);
        Ok(Self { ip, user_agent })
    }
}
