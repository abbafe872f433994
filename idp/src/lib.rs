//! The agency's OpenID Connect identity provider.
//!
//! A request walks handler → feature function → store function; each folder below is one
//! feature and holds its router, handlers and logic. The modules sit in layers
//! (docs/ARCHITECTURE.md, checked by `layers.rs`): wiring, features, `sso`, `web`, shared
//! state and services, stores and crypto, configuration, values.

pub mod access_requests;
pub mod account;
pub mod admin;
pub mod app;
pub mod assistance;
pub mod cli;
pub mod config;
pub mod console;
pub mod credentials;
pub mod delegations;
pub mod dev;
pub mod domain;
pub mod enrolment;
pub mod error;
pub mod helpdesk;
pub mod i18n;
pub mod keys;
pub mod login;
pub mod mail;
pub mod metrics;
pub mod oidc;
pub mod ops;
pub mod password;
pub mod password_policy;
pub mod questions;
pub mod recovery;
pub mod second_factor;
pub mod security;
pub mod sso;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod username_reminder;
/// TLS, from the crate both services share.
pub use service_kit::tls;
pub mod web;

#[cfg(test)]
mod layers;
