//! Secure-messaging service between health professionals and the agency: a relying party of
//! the idp. Layers, top to bottom: `cli` and the routers here; `api` (JSON, bearer tokens),
//! `auth` (pages sign-in) and `pages`; `session` (the pages' server-side session); the
//! `threads` feature; `identity` (tokens, callers) and `state`;
//! `crypto` (encryption at rest) and `store` (Postgres); `config`, `domain`, `i18n`, `error`.

pub mod antivirus;
pub mod api;
pub mod app;
pub mod auth;
pub mod blobs;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod dev;
pub mod domain;
pub mod error;
pub mod events;
pub mod i18n;
pub mod identity;
pub mod janitor;
pub mod journal;
#[cfg(test)]
mod layers;
pub mod notify;
pub mod pages;
pub mod session;
pub mod state;
pub mod store;
pub mod threads;

pub use app::{probes, serve, serve_tls, service, shutdown_signal};
