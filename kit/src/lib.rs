//! What the idp and the messaging service both need and neither owns. Nothing here knows
//! either service: no configuration types, no stores, no pages.
//!
//! - [`tls`]: the rustls server configuration (aws-lc-rs), development certificates and
//!   secret files;
//! - [`logs`]: the tracing subscriber (pretty or JSON, colours only on a terminal).

pub mod logs;
pub mod tls;
