//! The `SignedIn` extractor: the browser's live SSO session and its account. A page for
//! signed-in users takes it as an argument and never runs without one: the browser goes to
//! the login page instead. A page that shows something either way takes `Option<SignedIn>`.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;

use super::session;
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::sessions::Session;
use crate::web::PageError;

/// The signed-in user of this browser.
#[derive(Debug)]
pub struct SignedIn {
    /// The live SSO session.
    pub session: Session,
    /// Its account.
    pub account: Account,
}

/// Why a page for signed-in users did not run.
#[derive(Debug)]
pub enum NotSignedIn {
    /// No live session (or its account is gone): the login page.
    Login,
    /// The session could not be read: the translated error page.
    Failed(PageError),
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        match self {
            NotSignedIn::Login => Redirect::to("/login").into_response(),
            NotSignedIn::Failed(e) => e.into_response(),
        }
    }
}

impl SignedIn {
    /// The browser's signed-in user, if any (an account that disappeared is no user).
    async fn of(parts: &Parts, app: &AppState) -> Result<Option<Self>, PageError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(session) = session::current(app, &jar).await? else {
            return Ok(None);
        };
        let db = app.db.get().await?;
        Ok(accounts::get(&db, session.account_id)
            .await?
            .map(|account| SignedIn { session, account }))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = NotSignedIn;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, NotSignedIn> {
        match Self::of(parts, app).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(NotSignedIn::Login),
            Err(e) => Err(NotSignedIn::Failed(e)),
        }
    }
}

impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Option<Self>, PageError> {
        Self::of(parts, app).await
    }
}
