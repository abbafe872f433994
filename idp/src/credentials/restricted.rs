//! The restricted state after a login with an expired or temporary password, or by an account
//! that owes a second factor (every agency role, and whoever enrolled one): the user typed a
//! right password, but no SSO session exists — so no relying party can receive a code or an
//! id_token — until the steps are done: the *Questions secrètes* page when fewer than the
//! required questions are answered, and a new password. Expired: questions, then password.
//! Temporary: password, then questions (the seed's order for each). Then the session opens and
//! the authorization request that started the login resumes. A second factor comes first
//! (`/mfa`: the code or a passkey, before anything may change); an agency account without one enrols it last
//! (`/mfa/enrol`). The session records `otp` (a code) or `hwk` (a passkey) beside `pwd`.
//!
//! The state lives in Redis (shared by every node) under the digest of a random id carried by
//! a `__Host-` cookie, for `TTL_SECS`. Every step checks again that the account is neither
//! disabled nor locked and that its password was not changed elsewhere meanwhile. A user who
//! leaves after the password step still owes the questions (`questions_pending`): the next
//! login comes back to them.

use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{CookieJar, SameSite};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Why;
use crate::domain::{SecretToken, authentication};
use crate::oidc::backchannel;
use crate::sso::handoff::{self, Parked};
use crate::sso::session;
use crate::state::AppState;
use crate::store::second_factors::Methods;
use crate::store::{accounts, counters, ephemeral, passwords};
use crate::web::PageError;
use crate::web::cookies;

/// Name of the cookie that carries the restricted state's id.
pub const RESTRICTED_COOKIE: &str = "__Host-idp_restricted";

/// How long the user has to finish the steps before logging in again.
const TTL_SECS: u64 = 1800;

const KIND: &str = "restricted";

/// What the user must do before the session opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Answer the secret questions.
    Questions,
    /// Choose a new password.
    NewPassword,
    /// Give a TOTP code (or a recovery code).
    SecondFactor,
    /// Set up a TOTP authenticator (an agency role without one).
    EnrolSecondFactor,
}

impl Step {
    /// The page of the step.
    pub fn path(self) -> &'static str {
        match self {
            Step::Questions => "/questions",
            Step::NewPassword => "/password/new",
            Step::SecondFactor => "/mfa",
            Step::EnrolSecondFactor => "/mfa/enrol",
        }
    }
}

/// A user signed in with a credential that must change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Restricted {
    /// Who.
    pub account_id: Uuid,
    /// When the account's password was set as this state last saw it: a password changed
    /// elsewhere meanwhile (recovery, help desk) ends the state.
    pub credential_changed_at: DateTime<Utc>,
    /// Why the password must change.
    pub why: RestrictedWhy,
    /// Steps left, in order.
    pub steps: Vec<Step>,
    /// The authorization request the login served, resumed at the end.
    pub request: Option<Parked>,
    /// The id it was parked under: parked again under it at the end, so the first parking
    /// can never be answered a second time.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The second factor given in this state, whose method joins `pwd` in the session's `amr`.
    #[serde(default)]
    pub factor: Option<Factor>,
    /// Wrong codes given in this state; at `MAX_WRONG_CODES` it ends.
    #[serde(default)]
    pub wrong_codes: u32,
}

/// A second factor, as the session's `amr` names it (RFC 8176 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Factor {
    /// A TOTP code or a recovery code (`otp`).
    OneTimeCode,
    /// A passkey: a WebAuthn assertion with user verification (`hwk`).
    Passkey,
}

impl Factor {
    /// Its `amr` value.
    pub fn amr(self) -> &'static str {
        match self {
            Factor::OneTimeCode => authentication::ONE_TIME_CODE,
            Factor::Passkey => authentication::HARDWARE_KEY,
        }
    }
}

/// Wrong second-factor codes after which the state ends (the user signs in again, and every
/// wrong password there counts toward the lockout as usual).
pub const MAX_WRONG_CODES: u32 = 5;

/// The second-factor step the account owes: the code (or a passkey) when it has a factor, the
/// enrolment when an agency role has none; `None` otherwise.
pub fn second_factor_due(account: &accounts::Account, methods: Methods) -> Option<Step> {
    if methods.any() {
        Some(Step::SecondFactor)
    } else if !account.roles.is_empty() {
        Some(Step::EnrolSecondFactor)
    } else {
        None
    }
}

/// Why a login landed in the restricted state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestrictedWhy {
    /// The password is older than `password_policy.max_age_days`.
    Expired,
    /// The password is a help-desk temporary password.
    Temporary,
    /// The password was changed by one of the above, but the secret questions are still owed.
    QuestionsPending,
    /// A professional just enrolled with their NIP: they choose their password, then their
    /// questions.
    Enrolment,
    /// Nothing but the second factor is due.
    SecondFactor,
}

impl RestrictedWhy {
    /// The reason a password change records.
    pub fn change(self) -> Why {
        match self {
            // (QuestionsPending never reaches the password step.)
            RestrictedWhy::Expired
            | RestrictedWhy::QuestionsPending
            | RestrictedWhy::SecondFactor => Why::Expired,
            RestrictedWhy::Temporary => Why::Temporary,
            RestrictedWhy::Enrolment => Why::Enrolment,
        }
    }
}

/// Enters the restricted state and sends the browser to the first step; `second_factor` is
/// what [`second_factor_due`] says of the account.
#[tracing::instrument(skip_all, fields(account = %account_id))]
pub async fn begin(
    app: &AppState,
    jar: CookieJar,
    account_id: Uuid,
    why: RestrictedWhy,
    second_factor: Option<Step>,
    questions_answered: usize,
    request: Option<(String, Parked)>,
) -> Result<Response, PageError> {
    let questions_missing = questions_answered < app.config.secret_questions.required;
    let mut steps = match (why, questions_missing) {
        (RestrictedWhy::SecondFactor, _) => vec![],
        (RestrictedWhy::QuestionsPending, _) => vec![Step::Questions],
        (RestrictedWhy::Expired, true) => vec![Step::Questions, Step::NewPassword],
        (RestrictedWhy::Temporary | RestrictedWhy::Enrolment, true) => {
            vec![Step::NewPassword, Step::Questions]
        }
        (_, false) => vec![Step::NewPassword],
    };
    match second_factor {
        Some(Step::SecondFactor) => steps.insert(0, Step::SecondFactor),
        Some(other) => steps.push(other),
        None => {}
    }
    let Some(&first) = steps.first() else {
        return Err(PageError::BadRequest("error-request-expired"));
    };
    let credential_changed_at = {
        let db = app.db.get().await?;
        if steps.contains(&Step::Questions) {
            // Owed from now on, even if the user leaves after the password step.
            passwords::set_questions_pending(&db, account_id, true).await?;
        }
        passwords::state(&db, account_id)
            .await?
            .map(|(changed_at, _)| changed_at)
            .ok_or(PageError::BadRequest("error-request-expired"))?
    };
    let (request_id, request) = request.unzip();
    let state = Restricted {
        account_id,
        credential_changed_at,
        why,
        steps,
        request,
        request_id,
        factor: None,
        wrong_codes: 0,
    };
    let id = SecretToken::generate().map_err(PageError::internal)?;
    ephemeral::put(&app.kv, KIND, &id.digest_b64(), &state, TTL_SECS).await?;
    let cookie = cookies::host(RESTRICTED_COOKIE, id.expose().to_owned(), SameSite::Lax);
    // Any SSO session the browser had belongs to someone who just signed in again.
    let jar = match session::current(app, &jar).await? {
        Some(old) => {
            let ended = session::end(app, &old.sid).await?;
            backchannel::notify(app, ended).await;
            session::forget(jar)
        }
        None => jar,
    };
    Ok((jar.add(cookie), Redirect::to(first.path())).into_response())
}

/// The restricted state of this browser, when it is at `step`.
pub async fn at(
    app: &AppState,
    jar: &CookieJar,
    step: Step,
) -> Result<Option<(String, Restricted)>, PageError> {
    let Some(cookie) = jar.get(RESTRICTED_COOKIE) else {
        return Ok(None);
    };
    if !SecretToken::is_well_formed(cookie.value()) {
        return Ok(None);
    }
    // Kept under the digest of the cookie's id: Redis alone holds no usable cookie.
    let key = SecretToken::presented(cookie.value()).digest_b64();
    let Some(state) = ephemeral::get::<Restricted>(&app.kv, KIND, &key).await? else {
        return Ok(None);
    };
    if state.steps.first() != Some(&step) {
        return Ok(None);
    }
    if !still_valid(app, &state).await? {
        ephemeral::delete(&app.kv, KIND, &key).await?;
        return Ok(None);
    }
    Ok(Some((key, state)))
}

/// Whether the account may still finish: not disabled, not locked (help desk or temporary
/// lock), and its password not changed by someone else since the login (a recovery, a new
/// temporary password).
async fn still_valid(app: &AppState, state: &Restricted) -> Result<bool, PageError> {
    let db = app.db.get().await?;
    let Some(account) = accounts::get(&db, state.account_id).await? else {
        return Ok(false);
    };
    if account.disabled_at.is_some() || account.locked_at.is_some() {
        return Ok(false);
    }
    let unchanged = passwords::state(&db, state.account_id)
        .await?
        .is_some_and(|(changed_at, _)| changed_at == state.credential_changed_at);
    Ok(unchanged && !counters::is_locked(&app.kv, state.account_id).await?)
}

/// Saves the state as it is (a wrong code counted), at the same step.
pub async fn save(app: &AppState, id: &str, state: &Restricted) -> Result<(), PageError> {
    ephemeral::put(&app.kv, KIND, id, state, TTL_SECS).await?;
    Ok(())
}

/// Ends the state: the browser must sign in again.
pub async fn abandon(app: &AppState, jar: CookieJar, id: &str) -> Result<CookieJar, PageError> {
    ephemeral::delete(&app.kv, KIND, id).await?;
    Ok(cookies::remove(jar, RESTRICTED_COOKIE))
}

/// Marks the current step done: on to the next one, or — when none is left — open the SSO
/// session and resume the authorization request (or go home).
#[tracing::instrument(skip_all)]
pub async fn step_done(
    app: &AppState,
    jar: CookieJar,
    id: &str,
    mut state: Restricted,
) -> Result<Response, PageError> {
    state.steps.remove(0);
    // The step may have changed the password itself: the state follows it.
    {
        let db = app.db.get().await?;
        if let Some((changed_at, _)) = passwords::state(&db, state.account_id).await? {
            state.credential_changed_at = changed_at;
        }
    }
    if let Some(next) = state.steps.first() {
        ephemeral::put(&app.kv, KIND, id, &state, TTL_SECS).await?;
        return Ok((jar, Redirect::to(next.path())).into_response());
    }
    ephemeral::delete(&app.kv, KIND, id).await?;
    let jar = cookies::remove(jar, RESTRICTED_COOKIE);
    let amr: Vec<&str> = std::iter::once(authentication::PASSWORD)
        .chain(state.factor.map(Factor::amr))
        .collect();
    let (jar, session, ended) = session::open(app, jar, state.account_id, &amr).await?;
    backchannel::notify(app, ended).await;
    let Some(request) = state.request else {
        return Ok((jar, Redirect::to("/")).into_response());
    };
    // Parked again under its id (it may have expired meanwhile), answered by this session.
    let parked = Parked {
        signed_in: Some(session.sid.clone()),
        ..request
    };
    let id = handoff::park(app, state.request_id.as_deref(), &parked).await?;
    Ok((jar, Redirect::to(&handoff::resume_path(&id))).into_response())
}
