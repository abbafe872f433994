//! One browser's way through a recovery: a record in Redis (shared by every node) under a
//! random id carried by the `__Host-idp_recovery` cookie, saying whose recovery it is and
//! which step comes next. The record is kept under the digest of the id, so the store alone
//! never holds a usable cookie. Also: who may recover at all, and the audit trail.

use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{CookieJar, SameSite};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::pages::{self, Message};
use crate::assistance::Audience;
use crate::config::EmailProof;
use crate::domain::SecretToken;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::{audit, ephemeral, questions};
use crate::web::cookies;
use crate::web::{PageError, Requester};

/// Name of the cookie that carries a browser's recovery.
pub const RECOVERY_COOKIE: &str = "__Host-idp_recovery";

const KIND: &str = "recovery";

/// How long one browser's recovery waits for its next step. Shorter than the account's
/// challenge (`recovery.challenge_ttl_secs`, days): a browser that lingers starts again and is
/// asked the same questions; a right answer opens the new-password step for this long only.
pub const STEP_TTL_SECS: u64 = 900;

/// The next step of a recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Answer the secret questions.
    Questions,
    /// Choose a new password (the questions were answered right).
    NewPassword,
}

impl Stage {
    /// The page of the step.
    pub fn path(self) -> &'static str {
        match self {
            Stage::Questions => "/recovery/questions",
            Stage::NewPassword => "/recovery/password",
        }
    }
}

/// What Redis keeps for one browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    /// Whose password is being recovered (a decoy's id for a name that is no account).
    pub account_id: Uuid,
    /// The next step.
    pub stage: Stage,
    /// Set when the name was no account: decoy questions, always refused (`decoy.rs`).
    #[serde(default)]
    pub decoy: bool,
    /// Whose help lines the pages show: what the typed name tells (`assistance.rs`).
    #[serde(default)]
    pub audience: Audience,
}

impl Record {
    /// The account, for the audit trail (none for a decoy).
    pub fn account(&self) -> Option<Uuid> {
        (!self.decoy).then_some(self.account_id)
    }
}

/// A browser's recovery, found from its cookie.
#[derive(Debug)]
pub struct Held {
    /// The record's key (digest of the cookie's id).
    key: String,
    /// The record.
    pub record: Record,
}

/// What the cookie led to.
#[derive(Debug)]
pub enum Found {
    /// No cookie: the browser never started (or finished).
    Nothing,
    /// A malformed cookie, or one whose record expired or never existed.
    Invalid,
    /// A recovery under way.
    Held(Held),
}

/// Starts this browser's recovery at the questions: record, cookie, redirect. `decoy` for a
/// name that is no account (`account_id` is then the decoy's).
pub async fn begin(
    app: &AppState,
    jar: CookieJar,
    account_id: Uuid,
    decoy: bool,
    audience: Audience,
) -> Result<Response, PageError> {
    let id = SecretToken::generate().map_err(PageError::internal)?;
    let record = Record {
        account_id,
        stage: Stage::Questions,
        decoy,
        audience,
    };
    ephemeral::put(&app.kv, KIND, &id.digest_b64(), &record, STEP_TTL_SECS).await?;
    let cookie = cookies::host(RECOVERY_COOKIE, id.expose().to_owned(), SameSite::Lax);
    Ok((jar.add(cookie), Redirect::to(Stage::Questions.path())).into_response())
}

/// This browser's recovery.
pub async fn find(app: &AppState, jar: &CookieJar) -> Result<Found, PageError> {
    let Some(cookie) = jar.get(RECOVERY_COOKIE) else {
        return Ok(Found::Nothing);
    };
    if !SecretToken::is_well_formed(cookie.value()) {
        return Ok(Found::Invalid);
    }
    let key = SecretToken::presented(cookie.value()).digest_b64();
    let record: Option<Record> = ephemeral::get(&app.kv, KIND, &key).await?;
    Ok(match record {
        Some(record) => Found::Held(Held { key, record }),
        None => Found::Invalid,
    })
}

/// The browser's recovery when it is at `stage`; otherwise the response to give: a browser
/// that never started goes to the start, one at another step to that step, and a tampered or
/// expired cookie gets a clear page (400) inviting it to start again.
pub async fn at(
    app: &AppState,
    lang: Lang,
    jar: &CookieJar,
    stage: Stage,
) -> Result<Result<Held, Response>, PageError> {
    Ok(match find(app, jar).await? {
        Found::Nothing => Err(Redirect::to("/recovery").into_response()),
        Found::Invalid => {
            let jar = forget(jar.clone());
            let page = pages::message(app, lang, Message::Expired, stage.path());
            Err((jar, page).into_response())
        }
        Found::Held(held) if held.record.stage != stage => {
            Err(Redirect::to(held.record.stage.path()).into_response())
        }
        Found::Held(held) => Ok(held),
    })
}

/// Moves the browser's recovery to `stage`.
pub async fn advance(app: &AppState, held: &Held, stage: Stage) -> Result<(), PageError> {
    let record = Record {
        stage,
        ..held.record.clone()
    };
    ephemeral::put(&app.kv, KIND, &held.key, &record, STEP_TTL_SECS).await?;
    Ok(())
}

/// Ends the browser's recovery: the record is deleted and the cookie removed.
pub async fn finish(app: &AppState, jar: CookieJar, held: &Held) -> Result<CookieJar, PageError> {
    ephemeral::delete(&app.kv, KIND, &held.key).await?;
    Ok(forget(jar))
}

/// Removes the cookie (when the browser has one).
pub fn forget(jar: CookieJar) -> CookieJar {
    if jar.get(RECOVERY_COOKIE).is_none() {
        return jar;
    }
    cookies::remove(jar, RECOVERY_COOKIE)
}

/// Whether no recovery link went to the account in the last `secs` (and marks one now).
pub async fn first_mail_in(app: &AppState, account: Uuid, secs: u64) -> Result<bool, PageError> {
    let id = account.to_string();
    Ok(ephemeral::put_new(&app.kv, "recovery-mail", &id, &1, secs).await?)
}

/// Whether recovery is closed for the browser's account (too many failed challenges, until
/// the help desk reopens it), or the account is gone; for a decoy, whether as many wrong sets
/// were given. Asked again at every step: a browser that got past the questions goes no
/// further once recovery closed behind it.
pub async fn closed(app: &AppState, record: &Record) -> Result<bool, PageError> {
    if record.decoy {
        return Ok(super::decoy::closed(app, record.account_id).await?);
    }
    let db = app.db.get().await?;
    let standing = accounts::recovery_standing(&db, record.account_id).await?;
    Ok(standing.is_none_or(|s| s.closed_at.is_some()))
}

/// What a recovery may do for the account behind a name.
#[derive(Debug)]
pub enum Eligibility {
    /// Ask questions, picked among these (answered, still in the catalogue).
    Questions(Account, Vec<String>),
    /// E-mail a single-use link first (policy `recovery.email_proof`).
    Link(Account, String),
    /// A link is required first and the account has no verified address: the page says to
    /// check one's e-mail like for any other name, and nothing is sent.
    Withheld(Uuid, &'static str),
    /// Not online: the assistance page. The reason goes to the audit trail only.
    Refused(Option<Uuid>, &'static str),
    /// No account that can recover (an unknown name, a disabled account): answered as if it
    /// were one, with decoy questions, when the user typed a name.
    Unknown(Option<Uuid>, &'static str),
}

/// Decides what a recovery may do for `found`. The same statements run whether the account
/// exists or not, so an unknown name costs what a known one does. `proven` is set once the
/// e-mailed link was followed (the policy is then met).
pub async fn assess(
    app: &AppState,
    found: Option<Account>,
    proven: bool,
) -> Result<Eligibility, PageError> {
    let id = found.as_ref().map_or(Uuid::nil(), |a| a.id);
    let (answered, standing) = {
        let db = app.db.get().await?;
        let answered = questions::answered(&db, id).await?;
        (answered, accounts::recovery_standing(&db, id).await?)
    };
    let catalogue = &app.config.secret_questions;
    let answered: Vec<String> = answered
        .into_iter()
        .filter(|q| catalogue.find(q).is_some())
        .collect();
    let Some(account) = found else {
        return Ok(Eligibility::Unknown(None, "unknown_name"));
    };
    let refused = |reason| Eligibility::Refused(Some(id), reason);
    if account.disabled_at.is_some() {
        return Ok(Eligibility::Unknown(Some(id), "disabled"));
    }
    if standing.is_none_or(|s| s.closed_at.is_some()) {
        return Ok(refused("closed"));
    }
    if answered.len() < catalogue.asked {
        return Ok(refused("no_questions"));
    }
    let verified = account
        .email
        .clone()
        .filter(|_| account.email_verified && !proven);
    Ok(match (app.config.recovery.email_proof, verified) {
        (EmailProof::Off, _) => Eligibility::Questions(account, answered),
        (_, Some(email)) => Eligibility::Link(account, email),
        (EmailProof::WhenAvailable, None) => Eligibility::Questions(account, answered),
        (EmailProof::Required, None) if proven => Eligibility::Questions(account, answered),
        (EmailProof::Required, None) => Eligibility::Withheld(id, "no_verified_email"),
    })
}

/// Records a recovery event (never a secret: no answer, no password, no token).
pub async fn note(
    app: &AppState,
    outcome: &str,
    account_id: Option<Uuid>,
    requester: &Requester,
    detail: serde_json::Value,
) {
    tracing::info!(event = "recovery", outcome, account = ?account_id, ip = %requester.ip);
    let event = event(outcome, account_id, requester, detail);
    audit::note(&app.db, &event).await;
}

/// A recovery event, for a caller that records it in its own transaction.
pub fn event<'a>(
    outcome: &'a str,
    account_id: Option<Uuid>,
    requester: &'a Requester,
    detail: serde_json::Value,
) -> audit::Event<'a> {
    audit::Event {
        kind: "recovery",
        outcome,
        account_id,
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail,
    }
}
