//! What the idp and the messaging service both need and neither owns. Nothing here knows
//! either service: no stores, no pages; the only configuration is of what both connect to.
//!
//! - [`tls`]: the rustls server configuration (aws-lc-rs), development certificates and
//!   secret files;
//! - [`client_ip`]: the address a request is attributed to, behind trusted proxies or not;
//! - [`config_keys`]: the keys a configuration sets (both services' property tests);
//! - [`mail`]: SMTP (lettre over rustls) and multipart messages;
//! - [`headers`]: the security headers of every response (CSP without inline script, HSTS…);
//! - [`layers`]: the check that a crate's modules keep their layers (used by tests);
//! - [`logs`]: the tracing subscriber (pretty or JSON, colours only on a terminal);
//! - [`pg`]: the Postgres pool, cached statements and column reads;
//! - [`redis`]: one Redis server, a Sentinel set or a Cluster, behind a circuit breaker;
//! - [`seal`]: AES-256-GCM sealing of secrets and records at rest.

/// The stylesheet of both services' pages (one look: the agency's).
pub const SITE_CSS: &str = include_str!("../assets/site.css");

pub mod client_ip;
pub mod config_keys;
pub mod headers;
pub mod layers;
pub mod logs;
pub mod mail;
pub mod pg;
pub mod redis;
pub mod seal;
pub mod tls;
