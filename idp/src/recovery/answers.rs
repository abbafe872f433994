//! `/recovery/questions`: the account's challenge, answered. Every answer is checked, always
//! all of them, and a wrong set never says which answer was wrong. A wrong set counts as one
//! failed login toward the account's lockout and as one failed challenge toward the recovery
//! limit; a locked account is answered exactly as a wrong set, without counting.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;

use super::challenge::{self, Challenge};
use super::flow::{self, Held, Stage};
use super::pages::{self, Message, Outcome};
use crate::app::AppState;
use crate::domain::Password;
use crate::i18n::Lang;
use crate::password::Verdict;
use crate::questions::answer::{self, AnswerRefusal};
use crate::store::accounts::{self, Account};
use crate::store::{StoreError, counters, questions, windows};
use crate::web::{Form, PageError, RequestLang, Requester, csrf};

/// `GET /recovery/questions`.
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let held = match flow::at(&app, lang, &jar, Stage::Questions).await? {
        Ok(held) => held,
        Err(response) => return Ok(response),
    };
    let Some(challenge) = challenge::current(&app, held.record.account_id).await? else {
        return expired(&app, lang, jar, &held).await;
    };
    pages::questions(&app, lang, jar, &challenge.questions, Outcome::Blank, &[])
}

/// `POST /recovery/questions`.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    csrf::check(&app, &jar, &headers, field(&pairs, "csrf"))?;
    let held = match flow::at(&app, lang, &jar, Stage::Questions).await? {
        Ok(held) => held,
        Err(response) => return Ok(response),
    };
    let account_id = held.record.account_id;
    let Some(challenge) = challenge::current(&app, account_id).await? else {
        return expired(&app, lang, jar, &held).await;
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
    // Answers are checked like passwords: the same per-IP window across every node.
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    if !windows::allow(&app.kv, "password", requester.ip, limit).await? {
        flow::note(
            &app,
            "throttled",
            Some(account_id),
            &requester,
            serde_json::json!({}),
        )
        .await;
        return Err(PageError::TooMany);
    }
    let account = {
        let db = app.db.get().await.map_err(StoreError::from)?;
        accounts::get(&db, account_id).await?
    };
    let Some(account) = account else {
        return expired(&app, lang, jar, &held).await;
    };
    // Fail closed when Redis cannot say whether the account is locked (503).
    let locked = account.locked_at.is_some()
        || account.disabled_at.is_some()
        || counters::is_locked(&app.kv, account.id).await?;
    let all_right = check_all(&app, &account, &challenge, &answers, locked).await?;
    if locked {
        let detail = serde_json::json!({ "reason": "locked" });
        flow::note(&app, "failed", Some(account.id), &requester, detail).await;
        return pages::questions(&app, lang, jar, &challenge.questions, Outcome::Wrong, &[]);
    }
    if all_right {
        return answered(&app, jar, &held, &account, &requester).await;
    }
    wrong(&app, lang, jar, &held, &account, &challenge, &requester).await
}

/// Verifies every answer — all of them, whatever the first ones gave — against its hash.
/// A locked account is checked against the dummy hash (same work, never a match).
async fn check_all(
    app: &AppState,
    account: &Account,
    challenge: &Challenge,
    answers: &[&str],
    locked: bool,
) -> Result<bool, PageError> {
    let hashes = {
        let db = app.db.get().await.map_err(StoreError::from)?;
        questions::hashes(&db, account.id, &challenge.questions).await?
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
        all_right &= verdict != Verdict::Mismatch;
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
        let db = app.db.get().await.map_err(StoreError::from)?;
        accounts::clear_recovery_failures(&db, account.id).await?;
    }
    counters::clear(&app.kv, account.id).await?;
    challenge::close(app, account.id).await?;
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

/// A wrong set: one failure toward the lockout, one toward the recovery limit; at the limit
/// recovery closes and the user is sent to the assistance centre.
async fn wrong(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    held: &Held,
    account: &Account,
    challenge: &Challenge,
    requester: &Requester,
) -> Result<Response, PageError> {
    crate::login::after_failure(app, account.id, requester.ip).await?;
    let max = app.config.recovery.max_failed_challenges;
    let (standing, closed_now) = {
        let db = app.db.get().await.map_err(StoreError::from)?;
        accounts::record_recovery_failure(&db, account.id, max).await?
    };
    let detail = serde_json::json!({ "reason": "wrong_answers", "failures": standing.failures });
    flow::note(app, "failed", Some(account.id), requester, detail).await;
    if standing.closed_at.is_none() {
        return pages::questions(app, lang, jar, &challenge.questions, Outcome::Wrong, &[]);
    }
    if closed_now {
        let detail = serde_json::json!({ "failures": standing.failures });
        flow::note(app, "closed", Some(account.id), requester, detail).await;
    }
    challenge::close(app, account.id).await?;
    let jar = flow::finish(app, jar, held).await?;
    let page = pages::assistance(app, lang, Some("recovery-closed"));
    Ok((jar, page).into_response())
}

/// The challenge expired under the browser: its recovery ends.
async fn expired(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    held: &Held,
) -> Result<Response, PageError> {
    let jar = flow::finish(app, jar, held).await?;
    let page = pages::message(app, lang, Message::Expired, Stage::Questions.path());
    Ok((jar, page).into_response())
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
