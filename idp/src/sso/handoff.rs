//! The hand-off between the authorization endpoint and the pages that sign a user in: an
//! authorization request parked in Redis under a random id (`req=` in the login and consent
//! URLs) while the user signs in, changes an expired password or consents, so the flow
//! resumes on whichever node the browser reaches next.
//!
//! The request itself belongs to `oidc` and is opaque here; what the sign-in pages need of it
//! (the `login_hint` to prefill, the `ui_locales` to honour) travels beside it. When the user
//! is signed in, the page sends the browser to [`resume_path`]: `oidc` takes it from there.

use serde::{Deserialize, Serialize};

use crate::domain::SecretToken;
use crate::state::AppState;
use crate::store::{StoreError, pending};

/// What a parked request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// A login (no session, `prompt=login` or `max_age` exceeded): only the session that
    /// login opens may answer it (see [`signed_in`]).
    Login,
    /// The user's consent to a third-party client: only the consent form answers it.
    Consent,
}

/// An authorization request waiting for the user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parked {
    /// What it waits for.
    pub stage: Stage,
    /// The session the login it waited for opened, once it has.
    pub signed_in: Option<String>,
    /// The username to prefill (OIDC Core §3.1.2.1 `login_hint`).
    pub login_hint: Option<String>,
    /// The relying party's preferred languages (`ui_locales`).
    pub ui_locales: Option<String>,
    /// The validated request, as `oidc` wrote it.
    pub request: serde_json::Value,
}

/// Parks a request under a new id, or again under `id`; returns the id.
pub async fn park(app: &AppState, id: Option<&str>, parked: &Parked) -> Result<String, StoreError> {
    let id = match id {
        Some(id) => id.to_owned(),
        None => SecretToken::generate()
            .map_err(|_| StoreError::Corrupt("rng".into()))?
            .expose()
            .to_owned(),
    };
    pending::put(&app.kv, &id, parked).await?;
    Ok(id)
}

/// The request parked under `id`, unless it expired or the id is malformed.
pub async fn get(app: &AppState, id: &str) -> Result<Option<Parked>, StoreError> {
    if !SecretToken::is_well_formed(id) {
        return Ok(None);
    }
    pending::get(&app.kv, id).await
}

/// Records that the login `parked` (read under `id`) waited for is done and opened session
/// `sid`: only that session may resume it. Whether the request was still parked.
pub async fn signed_in(
    app: &AppState,
    id: &str,
    mut parked: Parked,
    sid: &str,
) -> Result<bool, StoreError> {
    parked.signed_in = Some(sid.to_owned());
    // Only while it is still parked: a request answered meanwhile is never brought back.
    pending::replace(&app.kv, id, &parked).await
}

/// Takes a parked request to answer it: of two answers racing (a double submission, a
/// retried resume), exactly one finds it; whether this one did.
pub async fn take(app: &AppState, id: &str) -> Result<bool, StoreError> {
    Ok(pending::take::<Parked>(&app.kv, id).await?.is_some())
}

/// Where a browser goes once signed in, for the authorization endpoint to answer the request.
pub fn resume_path(id: &str) -> String {
    format!("/authorize/resume?req={id}")
}
