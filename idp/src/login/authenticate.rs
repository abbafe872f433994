//! Checking a username and password. Unknown user, wrong password, disabled and locked
//! accounts all fail the same way, after the same work (ASVS 6.3.8): the message, status and
//! timing of the page tell nothing about which it was.

use std::net::IpAddr;

use crate::app::AppState;
use crate::domain::{LoginName, Password};
use crate::password::Verdict;
use crate::store::accounts::{self, Account};
use crate::store::counters::AfterFailure;
use crate::store::{audit, counters, windows};
use crate::web::PageError;

/// Why a login did not succeed; only the log and the audit trail see the difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The form was incomplete.
    Incomplete,
    /// Unknown name, wrong password, disabled or locked account.
    Refused,
}

/// Checks credentials; on success the failure counter is cleared and the hash upgraded when
/// the cost parameters changed.
pub async fn authenticate(
    app: &AppState,
    name: &str,
    password: &str,
    ip: IpAddr,
) -> Result<Result<Account, Failure>, PageError> {
    let (Ok(name), Ok(password)) = (LoginName::parse(name), Password::parse(password)) else {
        return Ok(Err(Failure::Incomplete));
    };
    // Per-IP password checks across every node (tower-governor only sees this process).
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    if !windows::allow(&app.kv, "password", ip, limit).await? {
        record(app, "throttled", None, ip, "ip_window").await;
        return Err(PageError::TooMany);
    }
    let found = {
        let db = app.db.get().await.map_err(crate::store::StoreError::from)?;
        accounts::find_by_login_name(&db, &name.folded()).await?
    };
    // A help-desk lock (Postgres) or a temporary lock (Redis). Fail closed when Redis is
    // unreachable: the lock cannot be checked (PageError 503).
    let locked = match &found {
        Some(found) if found.account.locked_at.is_some() => true,
        Some(found) => counters::is_locked(&app.kv, found.account.id).await?,
        None => false,
    };
    let phc = found
        .as_ref()
        .filter(|_| !locked)
        .and_then(|f| f.phc.as_deref());
    let verdict = app.hasher.verify(&password, phc).await?;
    let Some(found) = found else {
        record(app, "failure", None, ip, "unknown_name").await;
        crate::metrics::login("failure");
        return Ok(Err(Failure::Refused));
    };
    let account = found.account;
    let refused = |reason: &'static str| (reason, verdict);
    let outcome = match verdict {
        _ if locked => Err(refused("locked")),
        _ if account.disabled_at.is_some() => Err(refused("disabled")),
        Verdict::Mismatch => Err(refused("wrong_password")),
        Verdict::Match | Verdict::MatchNeedsRehash => Ok(verdict),
    };
    match outcome {
        Err((reason, _)) => {
            // A refused attempt on a locked account is not counted again: the lock stands.
            if reason != "locked" {
                after_failure(app, account.id, ip).await?;
            }
            record(app, "failure", Some(account.id), ip, reason).await;
            crate::metrics::login(if reason == "locked" {
                "locked"
            } else {
                "failure"
            });
            Ok(Err(Failure::Refused))
        }
        Ok(verdict) => {
            counters::clear(&app.kv, account.id).await?;
            if verdict == Verdict::MatchNeedsRehash {
                let phc = app.hasher.hash(&password).await?;
                let db = app.db.get().await.map_err(crate::store::StoreError::from)?;
                accounts::rehash_password(&db, account.id, &phc).await?;
            }
            record(app, "success", Some(account.id), ip, "password").await;
            crate::metrics::login("success");
            Ok(Ok(account))
        }
    }
}

/// Counts a failure; a lock it triggers is audited, and past `max_temporary_locks` the account
/// is locked in Postgres until the help desk unlocks it (it survives a Redis restart).
async fn after_failure(app: &AppState, account: uuid::Uuid, ip: IpAddr) -> Result<(), PageError> {
    match counters::record_failure(&app.kv, account, &app.config.lockout).await? {
        AfterFailure::Counted => {}
        AfterFailure::LockedFor(secs) => {
            record(
                app,
                "locked",
                Some(account),
                ip,
                &format!("temporary_{secs}s"),
            )
            .await;
        }
        AfterFailure::HelpDeskLock => {
            let db = app.db.get().await.map_err(crate::store::StoreError::from)?;
            accounts::lock_for_help_desk(&db, account).await?;
            record(app, "locked", Some(account), ip, "until_help_desk").await;
        }
    }
    Ok(())
}

/// Audit a login event; an audit failure is logged, never shown.
async fn record(
    app: &AppState,
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
        detail: serde_json::json!({ "reason": reason }),
    };
    let result = match app.db.get().await {
        Ok(db) => audit::record(&db, &event).await,
        Err(e) => Err(e.into()),
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "audit event not recorded");
    }
}
