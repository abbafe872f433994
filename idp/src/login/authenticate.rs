//! Checking a username and password. Unknown user, wrong password, disabled and locked
//! accounts all fail the same way, after the same work (ASVS 6.3.8): the message, status and
//! timing of the page tell nothing about which it was.

use std::net::IpAddr;

use chrono::Utc;

use crate::credentials::restricted::RestrictedWhy;
use crate::domain::{LoginName, Password};
use crate::mail::{self, Notice, Recipient};
use crate::password::HashError;
use crate::password::Verdict;
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::counters::AfterFailure;
use crate::store::{StoreError, audit, counters, passwords, questions, windows};
use crate::web::{PageError, Requester};

/// Why a login did not succeed; only the log and the audit trail see the difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The form was incomplete.
    Incomplete,
    /// Unknown name, wrong password, disabled or locked account.
    Refused,
}

/// A user who proved who they are.
#[derive(Debug)]
pub struct Authenticated {
    /// The account.
    pub account: Account,
    /// Set when the password is expired or temporary: no session until it is changed.
    pub must_change: Option<RestrictedWhy>,
}

/// Why a password could not be checked at all (a wrong password is an answer, not an error).
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Too many password checks from this address across every node.
    #[error("too many password checks from this address")]
    TooMany,
    /// Postgres or Redis failed (a lock that cannot be read fails closed).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The hashing pool is saturated or failed.
    #[error(transparent)]
    Hash(#[from] HashError),
}

crate::store::via_store_error!(LoginError);

impl From<LoginError> for PageError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::TooMany => PageError::TooMany,
            LoginError::Store(e) => e.into(),
            LoginError::Hash(e) => e.into(),
        }
    }
}

/// Checks credentials; on success the failure counter is cleared and the hash upgraded when
/// the cost parameters changed. An expired temporary password fails like a wrong one; a valid
/// one is spent by this login (single use).
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    app: &AppState,
    name: &str,
    password: &str,
    requester: &Requester,
) -> Result<Result<Authenticated, Failure>, LoginError> {
    let ip = requester.ip;
    let ua = requester.user_agent.as_deref();
    let (Ok(name), Ok(password)) = (LoginName::parse(name), Password::parse(password)) else {
        return Ok(Err(Failure::Incomplete));
    };
    // Per-IP password checks across every node (tower-governor only sees this process).
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    if !windows::allow(&app.kv, "password", ip, limit).await? {
        record(app, ua, "throttled", None, ip, "ip_window").await;
        return Err(LoginError::TooMany);
    }
    let found = {
        let db = app.db.get().await?;
        accounts::find_by_login_name(&db, &name.folded()).await?
    };
    // An unknown name is checked and counted under its pseudonym: the same Redis round trips
    // as an account (ASVS 6.3.8), and its counter never touches anyone's.
    let subject = found
        .as_ref()
        .map_or_else(|| app.pseudonyms.id(&name.folded()), |f| f.account.id);
    // A help-desk lock (Postgres) or a temporary lock (Redis). Fail closed when Redis is
    // unreachable: the lock cannot be checked (a 503 page).
    let temporary_lock = counters::is_locked(&app.kv, subject).await?;
    let locked = temporary_lock
        || found
            .as_ref()
            .is_some_and(|f| f.account.locked_at.is_some());
    let phc = found
        .as_ref()
        .filter(|_| !locked)
        .and_then(|f| f.phc.as_deref());
    let verdict = app.hasher.verify(&password, phc).await?;
    let Some(found) = found else {
        counters::record_failure(&app.kv, subject, &app.config.lockout).await?;
        record(app, ua, "failure", None, ip, "unknown_name").await;
        crate::metrics::login("failure");
        return Ok(Err(Failure::Refused));
    };
    let account = found.account;
    let now = Utc::now();
    let temporary_spent = found.temporary_expires_at.is_some_and(|t| t <= now);
    let refused = |reason: &'static str| (reason, verdict);
    let outcome = match verdict {
        _ if locked => Err(refused("locked")),
        _ if account.disabled_at.is_some() => Err(refused("disabled")),
        Verdict::Mismatch => Err(refused("wrong_password")),
        _ if temporary_spent => Err(refused("temporary_password_spent")),
        Verdict::Match | Verdict::MatchNeedsRehash => Ok(verdict),
    };
    match outcome {
        Err((reason, _)) => {
            // A locked account's lock stands as it is, and a disabled account cannot be
            // locked: neither attempt counts toward a lock (the audit trail records both),
            // though each makes the round trip a counted failure makes.
            if matches!(reason, "locked" | "disabled") {
                counters::is_locked(&app.kv, account.id).await?;
            } else {
                after_failure(app, account.id, requester).await?;
            }
            record(app, ua, "failure", Some(account.id), ip, reason).await;
            // One outcome for every refusal: the label never tells a locked account from a
            // wrong password, should the metrics ever be read by an outsider.
            crate::metrics::login("failure");
            Ok(Err(Failure::Refused))
        }
        Ok(verdict) => {
            let must_change = if found.temporary_expires_at.is_some() {
                let db = app.db.get().await?;
                if !passwords::spend_temporary(&db, account.id).await? {
                    let reason = "temporary_password_spent";
                    record(app, ua, "failure", Some(account.id), ip, reason).await;
                    return Ok(Err(Failure::Refused));
                }
                Some(RestrictedWhy::Temporary)
            } else {
                let max_age = i64::from(app.config.password_policy.max_age_days);
                let expired = max_age > 0
                    && found
                        .changed_at
                        .is_some_and(|at| now - at > chrono::Duration::days(max_age));
                if expired {
                    Some(RestrictedWhy::Expired)
                } else if found.questions_pending {
                    Some(RestrictedWhy::QuestionsPending)
                } else {
                    None
                }
            };
            counters::clear(&app.kv, account.id).await?;
            if verdict == Verdict::MatchNeedsRehash && must_change.is_none() {
                let phc = app.hasher.hash(&password).await?;
                let db = app.db.get().await?;
                passwords::rehash(&db, account.id, &phc).await?;
            }
            let reason = match must_change {
                None => "password",
                Some(RestrictedWhy::Expired) => "password_expired",
                Some(RestrictedWhy::Temporary) => "temporary_password",
                Some(RestrictedWhy::QuestionsPending) => "questions_pending",
                // (The password check never decides these two.)
                Some(RestrictedWhy::Enrolment) => "enrolment",
                Some(RestrictedWhy::SecondFactor) => "second_factor",
            };
            record(app, ua, "success", Some(account.id), ip, reason).await;
            crate::metrics::login("success");
            Ok(Ok(Authenticated {
                account,
                must_change,
            }))
        }
    }
}

/// Checks the password of a signed-in user before a sensitive change (ASVS 6.2.3): a wrong
/// one counts toward the account's lockout like a failed login, and a locked account is
/// refused whatever is typed.
#[tracing::instrument(skip_all, fields(account = %account.id))]
pub async fn reverify(
    app: &AppState,
    account: &Account,
    raw: &str,
    requester: &Requester,
) -> Result<bool, LoginError> {
    let ip = requester.ip;
    let Ok(password) = Password::parse(raw) else {
        return Ok(false);
    };
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    if !windows::allow(&app.kv, "password", ip, limit).await? {
        return Err(LoginError::TooMany);
    }
    let (phc, help_desk_lock) = {
        let db = app.db.get().await?;
        let fresh = accounts::get(&db, account.id).await?;
        let phc = passwords::current(&db, account.id).await?;
        (phc, fresh.is_none_or(|a| a.locked_at.is_some()))
    };
    let locked = help_desk_lock || counters::is_locked(&app.kv, account.id).await?;
    let phc = phc.filter(|_| !locked);
    let verdict = app.hasher.verify(&password, phc.as_deref()).await?;
    if verdict != Verdict::Mismatch {
        counters::clear(&app.kv, account.id).await?;
        return Ok(true);
    }
    if !locked {
        after_failure(app, account.id, requester).await?;
    }
    let ua = requester.user_agent.as_deref();
    record(app, ua, "failure", Some(account.id), ip, "current_password").await;
    Ok(false)
}

/// Counts a failure; a lock it triggers is audited and e-mailed — once per lock, however many
/// attempts race it (`counters`) — and past `max_temporary_locks` the account is locked in
/// Postgres until the help desk unlocks it (it survives a Redis restart). Wrong recovery
/// answers count here too: all of an account's names and every check of its secrets share
/// this one counter. A failure that lands on a lock counts toward nothing.
pub async fn after_failure(
    app: &AppState,
    account: uuid::Uuid,
    requester: &Requester,
) -> Result<(), LoginError> {
    let (ip, ua) = (requester.ip, requester.user_agent.as_deref());
    match counters::record_failure(&app.kv, account, &app.config.lockout).await? {
        AfterFailure::Counted | AfterFailure::AlreadyLocked => {}
        AfterFailure::LockedFor(secs) => {
            let reason = format!("temporary_{secs}s");
            record(app, ua, "locked", Some(account), ip, &reason).await;
            notify_lock(app, account, false).await?;
        }
        AfterFailure::HelpDeskLock => {
            let db = app.db.get().await?;
            if accounts::lock_for_help_desk(&db, account).await? {
                record(app, ua, "locked", Some(account), ip, "until_help_desk").await;
                notify_lock(app, account, true).await?;
            }
        }
    }
    Ok(())
}

/// Tells the owner their account was locked (when it has an address): with their own help
/// lines, and pointed at « Mot de passe oublié? » only when it can help them (their secret
/// questions are set).
async fn notify_lock(
    app: &AppState,
    account: uuid::Uuid,
    until_help_desk: bool,
) -> Result<(), LoginError> {
    let db = app.db.get().await?;
    let Some(to) = accounts::get(&db, account)
        .await?
        .as_ref()
        .and_then(Recipient::of)
    else {
        return Ok(());
    };
    // As recovery decides it (`recovery::flow::assess`): enough questions still in the
    // catalogue, and recovery not closed.
    let catalogue = &app.config.secret_questions;
    let answered = questions::answered(&db, account)
        .await?
        .iter()
        .filter(|q| catalogue.find(q).is_some())
        .count();
    let open = accounts::recovery_standing(&db, account)
        .await?
        .is_some_and(|s| s.closed_at.is_none());
    let notice = Notice::AccountLocked {
        until_help_desk,
        recover_online: open && answered >= catalogue.asked,
    };
    mail::enqueue(&db, &to, &notice).await?;
    Ok(())
}

/// Audits a login event (with the browser's user agent when known); an audit failure is
/// logged, never shown.
async fn record(
    app: &AppState,
    user_agent: Option<&str>,
    outcome: &str,
    account_id: Option<uuid::Uuid>,
    ip: IpAddr,
    reason: &str,
) {
    tracing::info!(event = "login", outcome, account = ?account_id, %ip, reason);
    let event = audit::Event {
        kind: "login",
        outcome,
        account_id,
        client_id: None,
        ip: Some(ip),
        user_agent,
        detail: serde_json::json!({ "reason": reason }),
    };
    audit::note(&app.db, &event).await;
}
