//! "Mot de passe oublié?": a forgotten password replaced without a phone call, by answering
//! secret questions (hardened as docs/SECURITY.md explains).
//!
//! The walk: `start.rs` (the name, or the e-mailed link first) → `answers.rs` (the account's
//! challenge, `challenge.rs`, checked one set at a time per account, `flight.rs`) → `reset.rs`
//! (the new password, then a success page). `flow.rs` keeps one browser's progress and decides
//! who may recover; a name that is no account walks the same path with decoy questions
//! (`decoy.rs`); `pages.rs` renders.

mod answers;
mod challenge;
mod decoy;
mod flight;
mod flow;
mod pages;
mod reset;
mod start;

use axum::Router;
use axum::routing::get;
use serde::Deserialize;

use crate::state::AppState;

pub use crate::assistance::{AssistanceCentre, Phone};
pub use challenge::close as close_challenge;
pub use flow::RECOVERY_COOKIE;

/// `/recovery` (the name), `/recovery/link` (the e-mailed proof: a GET only shows a button, the
/// POST spends it), `/recovery/questions`, `/recovery/password`, `/recovery/done`. Every POST
/// is CSRF-checked.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recovery", get(start::show).post(start::submit))
        .route(
            "/recovery/link",
            get(start::show_link).post(start::follow_link),
        )
        .route(
            "/recovery/questions",
            get(answers::show).post(answers::submit),
        )
        .route("/recovery/password", get(reset::show).post(reset::submit))
        .route("/recovery/done", get(reset::done))
}

/// `[recovery]` in configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryConfig {
    /// Failed challenges before recovery closes for the account until the help desk reopens it.
    pub max_failed_challenges: i32,
    /// How long the same questions stay asked when nobody answers them right (days: waiting
    /// must not draw easier ones). Answered right, recovery closed, or reopened by the help
    /// desk, the account's next recovery draws new ones.
    pub challenge_ttl_secs: u64,
    /// Whether an e-mailed single-use link comes before the questions.
    pub email_proof: EmailProof,
    /// Life of an e-mailed recovery link.
    pub link_ttl_secs: u64,
    /// The assistance centres (help lines), shown when recovery is not possible online and in
    /// e-mails (`assistance.rs` says which to whom).
    pub assistance: Vec<AssistanceCentre>,
}

/// Policy `recovery.email_proof`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailProof {
    /// Questions only.
    Off,
    /// A link first when the account has a verified e-mail.
    WhenAvailable,
    /// A link first, always: an account without a verified e-mail cannot recover alone.
    Required,
}
