//! The one place a password is set by its owner — after expiry, after a temporary password,
//! from the account settings, at the end of a recovery: the policy (length, personal words,
//! agency name, strength), the history, then in one transaction the new hash, the notice and
//! the audit event. Other sessions are ended afterwards (ASVS 7.4.3).

use chrono::{DateTime, Utc};

use crate::domain::{Password, PasswordError};
use crate::mail::{self, Notice, Recipient};
use crate::oidc::backchannel;
use crate::password::{HashError, Verdict};
use crate::password_policy::{self, Context, Refusal};
use crate::sso::session;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::{StoreError, audit, passwords, refresh, revoked, sessions};
use crate::web::{PageError, Requester};

/// Why the password changes (audited, and decides the notice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// It had expired.
    Expired,
    /// It was a temporary password from the help desk.
    Temporary,
    /// The user chose to, from the account settings.
    Settings,
    /// The user forgot it and answered their secret questions.
    Recovery,
    /// The user's first, at enrolment.
    Enrolment,
}

impl Why {
    fn as_str(self) -> &'static str {
        match self {
            Why::Expired => "expired",
            Why::Temporary => "temporary",
            Why::Settings => "settings",
            Why::Recovery => "recovery",
            Why::Enrolment => "enrolment",
        }
    }
}

/// The policy's rules that need no hashing (length, common and guessable passwords, the
/// account's own names): the parsed password, or why it is refused. `set_password` adds the
/// history; a form calls this first to show every problem at once.
pub fn policy_check(app: &AppState, account: &Account, raw: &str) -> Result<Password, Refusal> {
    let policy = &app.config.password_policy;
    let password = match Password::parse(raw) {
        Ok(password) => password,
        Err(PasswordError::Empty) => return Err(Refusal::TooShort(policy.min_length)),
        Err(PasswordError::TooLong) => return Err(Refusal::TooLong),
    };
    let context = Context {
        username: &account.username,
        given_name: &account.given_name,
        family_name: &account.family_name,
        email: account.email.as_deref(),
    };
    password_policy::check(policy, &password, context)?;
    Ok(password)
}

/// Why a password could not be changed (a refused password is an answer, not an error).
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Postgres or Redis failed: nothing was changed, or the change can be retried.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The hashing pool is saturated or failed.
    #[error(transparent)]
    Hash(#[from] HashError),
}

crate::store::via_store_error!(ChangeError);

impl From<ChangeError> for PageError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Store(e) => e.into(),
            ChangeError::Hash(e) => e.into(),
        }
    }
}

/// Checks and sets a new password. `Ok(Err(refusal))` is a password the policy refuses (shown
/// to the user); `Err` is a failure of the idp. `keep_sid` is the session that stays signed in
/// (none after a recovery: every session ends).
#[tracing::instrument(skip_all, fields(account = %account.id))]
pub async fn set_password(
    app: &AppState,
    account: &Account,
    raw: &str,
    why: Why,
    keep_sid: Option<&str>,
    requester: &Requester,
) -> Result<Result<(), Refusal>, ChangeError> {
    let policy = &app.config.password_policy;
    let password = match policy_check(app, account, raw) {
        Ok(password) => password,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let recent = {
        let db = app.db.get().await?;
        passwords::recent(&db, account.id, policy.history).await?
    };
    for phc in &recent {
        if app.hasher.verify(&password, Some(phc)).await? != Verdict::Mismatch {
            return Ok(Err(Refusal::Reused));
        }
    }
    let phc = app.hasher.hash(&password).await?;
    // Sessions first: if ending them fails, the password is unchanged and a retry does both
    // (the other way round, a retry would be refused as a reused password with the old
    // sessions still alive).
    end_other_sessions(app, account, keep_sid).await?;
    store(app, account, &phc, None, why, requester).await?;
    Ok(Ok(()))
}

/// Writes a password hash with its notice and audit event, in one transaction.
#[tracing::instrument(skip_all, fields(account = %account.id))]
pub async fn store(
    app: &AppState,
    account: &Account,
    phc: &str,
    temporary_expires_at: Option<DateTime<Utc>>,
    why: Why,
    requester: &Requester,
) -> Result<(), ChangeError> {
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let history = app.config.password_policy.history;
    passwords::set(&tx, account.id, phc, temporary_expires_at, history).await?;
    if let Some(to) = Recipient::of(account) {
        let notice = match why {
            Why::Recovery => Notice::PasswordRecovered,
            Why::Enrolment => Notice::Enrolled,
            _ => Notice::PasswordChanged,
        };
        mail::enqueue(&tx, &to, &notice).await?;
    }
    let event = audit::Event {
        kind: "password_changed",
        outcome: "success",
        account_id: Some(account.id),
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail: serde_json::json!({ "reason": why.as_str() }),
    };
    audit::record(&tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the account but `keep_sid`, and revokes every refresh token (and the
/// access tokens of those grants) born outside it.
#[tracing::instrument(skip_all, fields(account = %account.id))]
pub async fn end_other_sessions(
    app: &AppState,
    account: &Account,
    keep_sid: Option<&str>,
) -> Result<(), ChangeError> {
    let idle = app.config.session.idle_secs as f64;
    let live = {
        let db = app.db.get().await?;
        sessions::live_for_account(&db, account.id, idle).await?
    };
    for session in live.iter().filter(|s| Some(s.sid.as_str()) != keep_sid) {
        let ended = session::end(app, &session.sid).await?;
        backchannel::notify(app, ended).await;
    }
    // Refresh tokens of sessions that went idle (or of no session) are revoked too.
    let db = app.db.get().await?;
    let ttl = app.config.tokens.access_token_ttl_secs;
    for family in refresh::revoke_for_account(&db, account.id, keep_sid).await? {
        revoked::revoke_grant(&app.kv, &family.to_string(), ttl).await?;
    }
    Ok(())
}
