//! Passkeys: WebAuthn Level 3 through webauthn-rs (RustCrypto backend, no OpenSSL). The
//! relying party is the issuer's host (`AppState::webauthn`, built at start); both ceremonies keep their state server-side, in Redis,
//! for `CEREMONY_TTL_SECS` and for one use (WebAuthn §13.4.3: a challenge serves once), and
//! require user verification (a PIN or a biometric on the authenticator). A passkey is a
//! second factor here, after the password: the session's `amr` gets `hwk`.
//!
//! - Registration (`begin_registration` / `finish_registration`): the options for
//!   `navigator.credentials.create`, the account's passkeys excluded; the credential returned
//!   is verified (origin, challenge, RP ID hash, user verification) and its id must be new.
//! - Sign-in (`begin_sign_in` / `finish_sign_in`): the options for `navigator.credentials.get`,
//!   limited to the account's passkeys; the assertion is verified (signature, origin, challenge,
//!   a counter that moved forward, §7.2 step 21) and the stored credential follows it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential,
};

use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::{Conflict, GenericClient, ephemeral, passkeys};
use crate::web::PageError;

/// How long a ceremony may take, from the options to the answer (the relying party's timeout,
/// `state.rs`, says the same to the browser).
const CEREMONY_TTL_SECS: u64 = crate::state::PASSKEY_CEREMONY_SECS;
const SIGN_IN: &str = "passkey-sign-in";
const REGISTER: &str = "passkey-register";
/// The longest name a passkey may have (migration V16).
pub const MAX_NAME_CHARS: usize = 64;

/// The account's passkeys as webauthn-rs reads them (a row that no longer decodes is skipped).
async fn credentials(
    client: &impl GenericClient,
    account: Uuid,
) -> Result<Vec<Passkey>, PageError> {
    Ok(passkeys::of_account(client, account)
        .await?
        .into_iter()
        .filter_map(|s| serde_json::from_value(s.passkey).ok())
        .collect())
}

/// A passkey name as typed: trimmed, 1 to `MAX_NAME_CHARS` characters, no control character.
pub fn valid_name(typed: &str) -> Option<&str> {
    let name = typed.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(char::is_control);
    ok.then_some(name)
}

/// A registration under way: the name the user chose and the ceremony's state.
#[derive(Serialize, Deserialize)]
struct PendingRegistration {
    name: String,
    state: PasskeyRegistration,
}

/// Starts a registration kept under `key`: the options for `navigator.credentials.create`, as
/// JSON; `None` when passkeys are not offered on this deployment.
pub async fn begin_registration(
    app: &AppState,
    key: &str,
    account: &Account,
    name: &str,
) -> Result<Option<String>, PageError> {
    let Some(rp) = &app.webauthn else {
        return Ok(None);
    };
    let existing = credentials(&app.db.get().await?, account.id).await?;
    let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
    let display = format!("{} {}", account.given_name, account.family_name);
    let (options, state) = rp
        .start_passkey_registration(account.id, &account.username, &display, Some(exclude))
        .map_err(PageError::internal)?;
    let pending = PendingRegistration {
        name: name.to_owned(),
        state,
    };
    ephemeral::put(&app.kv, REGISTER, key, &pending, CEREMONY_TTL_SECS).await?;
    Ok(Some(
        serde_json::to_string(&options).map_err(PageError::internal)?,
    ))
}

/// Why a passkey was not added; each is a message key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAdded {
    /// No registration under way (expired, or answered already).
    Expired,
    /// The browser's answer did not verify.
    Refused,
    /// The authenticator's credential is registered already.
    Taken,
}

impl NotAdded {
    /// The message.
    pub fn key(self) -> &'static str {
        match self {
            NotAdded::Expired => "passkey-error-expired",
            NotAdded::Refused => "passkey-error-refused",
            NotAdded::Taken => "passkey-error-taken",
        }
    }
}

/// Finishes the registration under `key` with the browser's `answer` (JSON) and stores the
/// passkey in the caller's transaction; its name.
pub async fn finish_registration(
    app: &AppState,
    client: &impl GenericClient,
    key: &str,
    account: Uuid,
    answer: &str,
) -> Result<Result<String, NotAdded>, PageError> {
    let Some(rp) = &app.webauthn else {
        return Ok(Err(NotAdded::Expired));
    };
    let Some(pending) = ephemeral::take::<PendingRegistration>(&app.kv, REGISTER, key).await?
    else {
        return Ok(Err(NotAdded::Expired));
    };
    let Ok(credential) = serde_json::from_str::<RegisterPublicKeyCredential>(answer) else {
        return Ok(Err(NotAdded::Refused));
    };
    let passkey = match rp.finish_passkey_registration(&credential, &pending.state) {
        Ok(passkey) => passkey,
        Err(e) => {
            tracing::info!(event = "passkey", outcome = "refused", error = %e);
            return Ok(Err(NotAdded::Refused));
        }
    };
    let json = serde_json::to_value(&passkey).map_err(PageError::internal)?;
    let id: &[u8] = passkey.cred_id().as_ref();
    match passkeys::insert(client, account, id, &pending.name, &json).await {
        Ok(_) => Ok(Ok(pending.name)),
        Err(e) if e.conflict() == Some(Conflict::PasskeyTaken) => Ok(Err(NotAdded::Taken)),
        Err(e) => Err(e.into()),
    }
}

/// Starts a sign-in kept under `key`: the options for `navigator.credentials.get`, as JSON;
/// `None` when the account has no passkey or passkeys are not offered here.
pub async fn begin_sign_in(
    app: &AppState,
    key: &str,
    account: Uuid,
) -> Result<Option<String>, PageError> {
    let Some(rp) = &app.webauthn else {
        return Ok(None);
    };
    let keys = credentials(&app.db.get().await?, account).await?;
    if keys.is_empty() {
        return Ok(None);
    }
    let (options, state) = rp
        .start_passkey_authentication(&keys)
        .map_err(PageError::internal)?;
    ephemeral::put(&app.kv, SIGN_IN, key, &state, CEREMONY_TTL_SECS).await?;
    Ok(Some(
        serde_json::to_string(&options).map_err(PageError::internal)?,
    ))
}

/// Checks the browser's `answer` (JSON) against the sign-in under `key`, which it uses up:
/// whether it proves one of the account's passkeys. The passkey's counter and last use are
/// recorded.
pub async fn finish_sign_in(
    app: &AppState,
    key: &str,
    account: Uuid,
    answer: &str,
) -> Result<bool, PageError> {
    let Some(rp) = &app.webauthn else {
        return Ok(false);
    };
    let Some(state) = ephemeral::take::<PasskeyAuthentication>(&app.kv, SIGN_IN, key).await? else {
        return Ok(false);
    };
    let Ok(credential) = serde_json::from_str::<PublicKeyCredential>(answer) else {
        return Ok(false);
    };
    let result = match rp.finish_passkey_authentication(&credential, &state) {
        Ok(result) => result,
        Err(e) => {
            tracing::info!(event = "passkey", outcome = "refused", error = %e);
            return Ok(false);
        }
    };
    let db = app.db.get().await?;
    let mut used = None;
    for mut passkey in credentials(&db, account).await? {
        if passkey.cred_id() == result.cred_id() {
            let changed = passkey.update_credential(&result) == Some(true);
            used = Some(changed.then_some(passkey));
            break;
        }
    }
    // The state allowed only this account's passkeys: an assertion by another is impossible.
    let Some(updated) = used else {
        return Ok(false);
    };
    let json = updated
        .map(|p| serde_json::to_value(&p))
        .transpose()
        .map_err(PageError::internal)?;
    passkeys::used(&db, account, result.cred_id().as_ref(), json.as_ref()).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_bounded() {
        assert_eq!(valid_name("  Clé USB  "), Some("Clé USB"));
        assert_eq!(valid_name("   "), None);
        assert_eq!(valid_name("a\u{7}b"), None);
        assert_eq!(valid_name(&"é".repeat(64)), Some("é".repeat(64).as_str()));
        assert_eq!(valid_name(&"é".repeat(65)), None);
    }
}
