//! `/recovery/questions`: the account's challenge, answered. Every answer is checked, always
//! all of them, and a wrong set never says which answer was wrong. A wrong set counts as one
//! failed login toward the account's lockout and as one failed challenge toward the recovery
//! limit; a locked account is answered exactly as a wrong set and counts toward the recovery
//! limit only. A decoy (`decoy.rs`) is checked the same way, against the dummy hash, and
//! always refused. One set is checked at a time per account (`flight.rs`), and none once
//! recovery is closed.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use uuid::Uuid;

use super::challenge::{self, Challenge};
use super::decoy;
use super::flight;
use super::flow::{self, Held, Stage};
use super::pages::{self, Message, Outcome};
use crate::domain::Password;
use crate::i18n::Lang;
use crate::mail::{self, Notice, Recipient};
use crate::password::Verdict;
use crate::questions::answer::{self, AnswerRefusal};
use crate::state::AppState;
use crate::store::accounts::{self, Account, RecoveryStanding};
use crate::store::{audit, counters, questions, windows};
use crate::web::{CheckedForm, PageError, RequestLang, Requester};

/// `GET /recovery/questions`.
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let held = match flow::at(&app, lang, &jar, Stage::Questions).await? {
        Ok(held) => held,
        Err(response) => return Ok(response),
    };
    let Some(challenge) = challenge::current(&app, held.record.account_id).await? else {
        return ended(&app, lang, jar, &held, &requester).await;
    };
    pages::questions(&app, lang, jar, &challenge.questions, Outcome::Blank, &[])
}

/// `POST /recovery/questions`.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(pairs): CheckedForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let held = match flow::at(&app, lang, &jar, Stage::Questions).await? {
        Ok(held) => held,
        Err(response) => return Ok(response),
    };
    let account_id = held.record.account_id;
    let Some(challenge) = challenge::current(&app, account_id).await? else {
        return ended(&app, lang, jar, &held, &requester).await;
    };
    let answers: Vec<&str> = (1..=challenge.questions.len())
        .map(|n| field(&pairs, &format!("answer_{n}")).unwrap_or_default())
        .collect();
    // An empty field is a form to complete, not a wrong answer: nothing is checked or counted.
    let missing: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| answer::normalise(a) == Err(AnswerRefusal::Missing))
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        let q = &challenge.questions;
        return pages::questions(&app, lang, jar, q, Outcome::Missing, &missing);
    }
    // One check at a time per account, across every node: answers posted in parallel wait
    // their turn (429) instead of all being checked before the first failure is counted.
    // Fail closed when Redis cannot say (503).
    let Some(flight) = flight::take(&app, account_id).await? else {
        let detail = serde_json::json!({ "reason": "check_under_way" });
        let account = held.record.account();
        flow::note(&app, "throttled", account, &requester, detail).await;
        return Err(PageError::TooMany);
    };
    let submitted = Submitted {
        held: &held,
        challenge: &challenge,
        answers: &answers,
        requester: &requester,
    };
    let response = check(&app, lang, jar, submitted).await;
    // Only once the outcome is recorded may the next check of the account start.
    flight.land(&app).await;
    response
}

/// A complete set of answers, and whose they are.
#[derive(Debug, Clone, Copy)]
struct Submitted<'a> {
    held: &'a Held,
    challenge: &'a Challenge,
    answers: &'a [&'a str],
    requester: &'a Requester,
}

/// Checks and records a set of answers, holding the account's flight.
async fn check(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    submitted: Submitted<'_>,
) -> Result<Response, PageError> {
    let Submitted {
        held,
        challenge,
        answers,
        requester,
    } = submitted;
    let account_id = held.record.account_id;
    // Recovery closed since this browser started (failed challenges elsewhere), or the set
    // checked before this one ended the challenge: nothing is checked or counted.
    let current = challenge::current(app, account_id).await?;
    if current.as_ref() != Some(challenge) || flow::closed(app, &held.record).await? {
        return ended(app, lang, jar, held, requester).await;
    }
    // Answers are checked like passwords: the same per-IP window across every node.
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    if !windows::allow(&app.kv, "password", requester.ip, limit).await? {
        let detail = serde_json::json!({});
        flow::note(app, "throttled", held.record.account(), requester, detail).await;
        return Err(PageError::TooMany);
    }
    // A decoy walks the same statements as an account: its id is simply no account's.
    let account = {
        let db = app.db.get().await?;
        accounts::get(&db, account_id).await?
    };
    if account.is_none() && !held.record.decoy {
        return ended(app, lang, jar, held, requester).await;
    }
    // Fail closed when Redis cannot say whether the account is locked (503).
    let locked = account
        .as_ref()
        .is_some_and(|a| a.locked_at.is_some() || a.disabled_at.is_some())
        || counters::is_locked(&app.kv, account_id).await?;
    let all_right = check_all(app, account_id, challenge, answers, locked).await?;
    match account {
        Some(account) if all_right && !locked => {
            answered(app, jar, held, &account, requester).await
        }
        account => {
            let wrong_set = WrongSet {
                held,
                challenge,
                account: account.as_ref(),
                locked,
                requester,
            };
            wrong(app, lang, jar, wrong_set).await
        }
    }
}

/// Verifies every answer — all of them, whatever the first ones gave — against its hash.
/// A locked account, and a decoy (no hashes), are checked against the dummy hash: the same
/// work, never a match.
#[tracing::instrument(skip_all, fields(account = %account_id))]
async fn check_all(
    app: &AppState,
    account_id: Uuid,
    challenge: &Challenge,
    answers: &[&str],
    locked: bool,
) -> Result<bool, PageError> {
    let hashes = {
        let db = app.db.get().await?;
        questions::hashes(&db, account_id, &challenge.questions).await?
    };
    let mut all_right = true;
    for (question, raw) in challenge.questions.iter().zip(answers) {
        let input = answer::normalise(raw)
            .ok()
            .and_then(|a| answer::hash_input(question, &a));
        let usable = input.is_some();
        let input = match input {
            Some(input) => input,
            // Too long to be any stored answer: still one hash's work, never a match.
            None => Password::parse("-").map_err(|_| PageError::internal("dummy answer"))?,
        };
        let phc = hashes
            .iter()
            .find(|(q, _)| q == question)
            .map(|(_, phc)| phc.as_str())
            .filter(|_| !locked && usable);
        let verdict = app.hasher.verify(&input, phc).await?;
        all_right &= verdict != Verdict::Mismatch && phc.is_some();
    }
    Ok(all_right)
}

/// All right: the counters are cleared, the challenge ends, and the browser moves on to the
/// new password.
async fn answered(
    app: &AppState,
    jar: CookieJar,
    held: &Held,
    account: &Account,
    requester: &Requester,
) -> Result<Response, PageError> {
    {
        let db = app.db.get().await?;
        accounts::clear_recovery_failures(&db, account.id).await?;
    }
    counters::clear(&app.kv, account.id).await?;
    challenge::close(&app.kv, account.id).await?;
    flow::advance(app, held, Stage::NewPassword).await?;
    flow::note(
        app,
        "answered",
        Some(account.id),
        requester,
        serde_json::json!({}),
    )
    .await;
    Ok((jar, Redirect::to(Stage::NewPassword.path())).into_response())
}

/// A set that was refused, and whose.
#[derive(Debug, Clone, Copy)]
struct WrongSet<'a> {
    held: &'a Held,
    challenge: &'a Challenge,
    /// `None` for a decoy.
    account: Option<&'a Account>,
    /// Refused because the account is locked (or disabled), whatever was typed.
    locked: bool,
    requester: &'a Requester,
}

/// A wrong set: one failure toward the recovery limit, and toward the lockout unless the
/// account is locked already (a lock's failures count toward nothing). At the limit recovery
/// closes, the owner is told by e-mail (in the same transaction as the closing), and the user
/// is sent to the assistance centre. A decoy counts and closes the same way, in Redis.
async fn wrong(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    set: WrongSet<'_>,
) -> Result<Response, PageError> {
    let WrongSet {
        held,
        challenge,
        account,
        locked,
        requester,
    } = set;
    let closed = match account {
        Some(account) => {
            if !locked {
                crate::login::after_failure(app, account.id, requester).await?;
            }
            let (standing, closed_now) = record_failure(app, account, locked, requester).await?;
            tracing::info!(event = "recovery", outcome = "failed", account = %account.id, closed_now);
            standing.closed_at.is_some()
        }
        None => {
            let closed = decoy::record_failure(app, held.record.account_id).await?;
            let detail = serde_json::json!({ "reason": "no_account" });
            flow::note(app, "failed", None, requester, detail).await;
            closed
        }
    };
    if !closed {
        return pages::questions(app, lang, jar, &challenge.questions, Outcome::Wrong, &[]);
    }
    challenge::close(&app.kv, held.record.account_id).await?;
    let jar = flow::finish(app, jar, held).await?;
    let page = pages::assistance(app, lang, &held.record.audience, Some("recovery-closed"));
    Ok((jar, page).into_response())
}

/// Counts the failed challenge and audits it; when it closes recovery, the closing is audited
/// and the owner told (when the account has an address), all in one transaction.
async fn record_failure(
    app: &AppState,
    account: &Account,
    locked: bool,
    requester: &Requester,
) -> Result<(RecoveryStanding, bool), PageError> {
    let max = app.config.recovery.max_failed_challenges;
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let (standing, closed_now) = accounts::record_recovery_failure(&tx, account.id, max).await?;
    let event = |outcome, detail| flow::event(outcome, Some(account.id), requester, detail);
    let reason = if locked { "locked" } else { "wrong_answers" };
    let detail = serde_json::json!({ "reason": reason, "failures": standing.failures });
    audit::record(&tx, &event("failed", detail)).await?;
    if closed_now {
        let detail = serde_json::json!({ "failures": standing.failures });
        audit::record(&tx, &event("closed", detail)).await?;
        if let Some(to) = Recipient::of(account) {
            mail::enqueue(&tx, &to, &Notice::RecoveryClosed).await?;
        }
    }
    tx.commit().await?;
    Ok((standing, closed_now))
}

/// The challenge is gone from under the browser, and its recovery ends: closed by failed
/// challenges (the assistance page, nothing checked), or expired or answered elsewhere (start
/// again).
async fn ended(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    held: &Held,
    requester: &Requester,
) -> Result<Response, PageError> {
    let jar = flow::finish(app, jar, held).await?;
    if flow::closed(app, &held.record).await? {
        let detail = serde_json::json!({ "reason": "closed" });
        flow::note(app, "refused", held.record.account(), requester, detail).await;
        let page = pages::assistance(app, lang, &held.record.audience, None);
        return Ok((jar, page).into_response());
    }
    let page = pages::message(app, lang, Message::Expired, Stage::Questions.path());
    Ok((jar, page).into_response())
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
