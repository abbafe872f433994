//! `[server]` and `[telemetry]`: how the idp is reached and what it logs.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde::Deserialize;

/// How the idp is reached.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub bind: SocketAddr,
    /// Where `/healthz`, `/readyz` and `/metrics` are served (plain HTTP): loopback by
    /// default, a private network at most; never the public listener.
    pub metrics_bind: SocketAddr,
    /// The issuer: the public HTTPS origin (and optional path) relying parties see.
    pub public_url: url::Url,
    /// `rustls` terminates TLS here; `proxy` serves plain HTTP behind a TLS proxy.
    pub tls: TlsMode,
    /// PEM certificate chain (with `tls = "rustls"`).
    pub tls_cert: PathBuf,
    /// PEM private key (with `tls = "rustls"`).
    pub tls_key: PathBuf,
    /// How often the certificate and key files are checked for a renewal, served without a
    /// restart (`0`: never).
    pub tls_reload_secs: u64,
    /// Proxies whose `X-Forwarded-For` is believed (with `tls = "proxy"`).
    pub trusted_proxies: Vec<IpAddr>,
    /// A request taking longer is answered 408.
    pub request_timeout_secs: u64,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Password hashes computed at once; more wait, then get 503.
    pub max_concurrent_hashes: usize,
    /// How long a login waits for a hashing slot before 503.
    pub hash_wait_ms: u64,
    /// An extra root CA trusted when the idp calls relying parties (back-channel logout):
    /// the dev CA in development; none in production, where relying parties have public or
    /// system-trusted certificates.
    #[serde(default)]
    pub outbound_ca_file: Option<PathBuf>,
}

/// Where TLS ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// HTTPS served by this process.
    Rustls,
    /// Plain HTTP behind a trusted TLS-terminating proxy.
    Proxy,
}

/// Logs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// `tracing` env-filter directive.
    pub filter: String,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Pretty,
    /// One JSON object per line.
    Json,
}
