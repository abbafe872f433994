//! The restricted state after a login with an expired or temporary password: the user proved
//! who they are, but no SSO session exists — so no relying party can receive a code or an
//! id_token — until the steps are done: the *Questions secrètes* page when fewer than the
//! required questions are answered, and a new password. Expired: questions, then password.
//! Temporary: password, then questions (the seed's order for each). Then the session opens and
//! the authorization request that started the login resumes.
//!
//! The state lives in Redis (shared by every node) under a random id carried by a `__Host-`
//! cookie, for `TTL_SECS`.

use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Why;
use crate::app::AppState;
use crate::domain::SecretToken;
use crate::login::session;
use crate::oidc::authorize::{self, Pending};
use crate::store::{ephemeral, pending};
use crate::web::PageError;

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
}

impl Step {
    /// The page of the step.
    pub fn path(self) -> &'static str {
        match self {
            Step::Questions => "/questions",
            Step::NewPassword => "/password/new",
        }
    }
}

/// A user signed in with a credential that must change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Restricted {
    /// Who.
    pub account_id: Uuid,
    /// Why the password must change.
    pub why: RestrictedWhy,
    /// Steps left, in order.
    pub steps: Vec<Step>,
    /// The authorization request the login served, resumed at the end.
    pub request: Option<Pending>,
}

/// Why a login landed in the restricted state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestrictedWhy {
    /// The password is older than `password_policy.max_age_days`.
    Expired,
    /// The password is a help-desk temporary password.
    Temporary,
}

impl RestrictedWhy {
    /// The reason a password change records.
    pub fn change(self) -> Why {
        match self {
            RestrictedWhy::Expired => Why::Expired,
            RestrictedWhy::Temporary => Why::Temporary,
        }
    }
}

/// Enters the restricted state and sends the browser to the first step.
pub async fn begin(
    app: &AppState,
    jar: CookieJar,
    account_id: Uuid,
    why: RestrictedWhy,
    questions_answered: usize,
    request: Option<Pending>,
) -> Result<Response, PageError> {
    let questions_missing = questions_answered < app.config.secret_questions.required;
    let steps = match (why, questions_missing) {
        (RestrictedWhy::Expired, true) => vec![Step::Questions, Step::NewPassword],
        (RestrictedWhy::Temporary, true) => vec![Step::NewPassword, Step::Questions],
        (_, false) => vec![Step::NewPassword],
    };
    let first = steps[0];
    let state = Restricted {
        account_id,
        why,
        steps,
        request,
    };
    let id = SecretToken::generate().map_err(PageError::internal)?;
    ephemeral::put(&app.kv, KIND, id.expose(), &state, TTL_SECS).await?;
    let cookie = Cookie::build((RESTRICTED_COOKIE, id.expose().to_owned()))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    // Any SSO session the browser had belongs to someone who just signed in again.
    let jar = match session::current(app, &jar).await? {
        Some(old) => {
            session::end(app, &old.sid).await?;
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
    let id = cookie.value();
    if !authorize::is_parked_id(id) {
        return Ok(None);
    }
    let state: Option<Restricted> = ephemeral::get(&app.kv, KIND, id).await?;
    Ok(state
        .filter(|s| s.steps.first() == Some(&step))
        .map(|s| (id.to_owned(), s)))
}

/// Marks the current step done: on to the next one, or — when none is left — open the SSO
/// session and resume the authorization request (or go home).
pub async fn step_done(
    app: &AppState,
    jar: CookieJar,
    id: &str,
    mut state: Restricted,
) -> Result<Response, PageError> {
    state.steps.remove(0);
    if let Some(next) = state.steps.first() {
        ephemeral::put(&app.kv, KIND, id, &state, TTL_SECS).await?;
        return Ok((jar, Redirect::to(next.path())).into_response());
    }
    ephemeral::delete(&app.kv, KIND, id).await?;
    let jar = jar.remove(
        Cookie::build(RESTRICTED_COOKIE)
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Lax),
    );
    let (jar, session) = session::open(app, jar, state.account_id).await?;
    let Some(request) = state.request else {
        return Ok((jar, Redirect::to("/")).into_response());
    };
    let parked = SecretToken::generate().map_err(PageError::internal)?;
    pending::put(&app.kv, parked.expose(), &request).await?;
    let response = authorize::resume(app, &session, parked.expose()).await?;
    Ok((jar, response).into_response())
}
