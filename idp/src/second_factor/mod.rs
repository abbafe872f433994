//! The second factor (issue 10): every agency role (help desk, messaging agents, security,
//! administration) signs in with a TOTP code or a passkey after the password, and sets up an
//! authenticator at its first sign-in. Both are steps of the restricted state
//! (`credentials::restricted`): no session exists until they are done, and the session then
//! records `otp` (a code) or `hwk` (a passkey) beside `pwd`, which reach the `amr` and `acr`
//! claims.
//!
//! - `/mfa` (`verify.rs`): a 6-digit TOTP code, or one of the single-use recovery codes. A code
//!   serves once (RFC 6238 §5.2); five wrong codes end the state (sign in again); every check
//!   counts in the per-IP window the password checks use.
//! - `/mfa/enrol` (`enrol.rs`): a QR code and the secret typed out, confirmed by a first code;
//!   then the recovery codes, shown once.
//! - `/account/second-factor` (`settings.rs`): anyone opts in from the account settings (the
//!   professionals' choice), or removes it when no role requires it.
//! - `/mfa/passkey` (`verify.rs`): a passkey instead of the code, when the account has one.
//! - `/account/passkeys` (`passkey_settings.rs`): anyone adds passkeys (WebAuthn) and removes
//!   them; `passkey.rs`: the ceremonies (webauthn-rs) and their server-side state.
//! - `totp.rs`: the RFC 6238 rules (totp-rs) and the sealing of the secret;
//!   `recovery_codes.rs`: the codes and their keyed hashes.

mod enrol;
pub mod passkey;
mod passkey_settings;
pub mod recovery_codes;
mod settings;
pub mod totp;
mod verify;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use crate::store::audit;
use crate::web::Requester;

/// `/mfa…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mfa", get(verify::show).post(verify::submit))
        .route("/mfa/passkey", post(verify::submit_passkey))
        .route("/mfa/enrol", get(enrol::show).post(enrol::submit))
        .route("/mfa/enrol/done", post(enrol::done))
        .route(settings::PATH, get(settings::show).post(settings::add))
        .route("/account/second-factor/remove", post(settings::remove))
        .route(
            passkey_settings::PATH,
            get(passkey_settings::show).post(passkey_settings::add),
        )
        .route("/account/passkeys/finish", post(passkey_settings::finish))
        .route("/account/passkeys/remove", post(passkey_settings::remove))
}

/// Appends a second-factor event outside any transaction (a refusal, or a check already done).
async fn note(
    app: &AppState,
    outcome: &str,
    account: uuid::Uuid,
    requester: &Requester,
    detail: serde_json::Value,
) {
    tracing::info!(event = "second_factor", outcome, account = %account, ip = %requester.ip);
    let event = audit::Event {
        kind: "second_factor",
        outcome,
        account_id: Some(account),
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail,
    };
    audit::note(&app.db, &event).await;
}

/// The key of a settings change under way in this session: a TOTP secret waiting for its first
/// code, a passkey ceremony (each under its own kind).
fn settings_key(user: &crate::sso::SignedIn) -> String {
    format!("settings:{}", user.session.sid)
}

/// Tells the account's owner, at the address on file, that a second factor was added or
/// removed from the settings.
async fn tell_owner(
    app: &AppState,
    user: &crate::sso::SignedIn,
    added: bool,
) -> Result<(), crate::web::PageError> {
    use crate::mail::{self, Notice, Recipient};
    if let Some(to) = Recipient::of(&user.account) {
        let db = app.db.get().await?;
        mail::enqueue(&db, &to, &Notice::SecondFactorChanged { added }).await?;
    }
    Ok(())
}
