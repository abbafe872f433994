//! The gate of the agency consoles (help desk, security): the [`Console`] extractor lets a
//! request through only for a signed-in account holding the console's role, whose session was
//! opened with a second factor (`amr` has `otp`) and has not sat idle longer than
//! `consoles.idle_secs` — shorter than other sessions; an idle one ends here. Anyone else gets
//! 403 and nothing changes.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;

use crate::domain::{Role, authentication};
use crate::oidc::backchannel;
use crate::sso::SignedIn;
use crate::sso::session;
use crate::state::AppState;
use crate::web::PageError;

/// The role a console requires.
pub trait ConsoleRole {
    /// It.
    const ROLE: Role;
}

/// The help-desk console.
#[derive(Debug)]
pub struct HelpDesk;

impl ConsoleRole for HelpDesk {
    const ROLE: Role = Role::HelpdeskAgent;
}

/// The security console.
#[derive(Debug)]
pub struct Security;

impl ConsoleRole for Security {
    const ROLE: Role = Role::SecurityOfficer;
}

/// A request at the console of `R`.
#[derive(Debug)]
pub struct Console<R> {
    /// Who.
    pub user: SignedIn,
    role: PhantomData<R>,
}

impl<R: ConsoleRole + Send + Sync> FromRequestParts<AppState> for Console<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let user = SignedIn::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        if !user.account.roles.contains(&R::ROLE) {
            return Err(PageError::Forbidden.into_response());
        }
        // A role granted after this session opened without a second factor: sign in again.
        if !authentication::is_multi_factor(&user.session.amr) {
            return Err(PageError::Forbidden.into_response());
        }
        let idle = (Utc::now() - user.session.last_seen_at).num_seconds();
        if idle > i64::try_from(app.config.consoles.idle_secs).unwrap_or(i64::MAX) {
            let ended = session::end(app, &user.session.sid)
                .await
                .map_err(|e| PageError::from(e).into_response())?;
            backchannel::notify(app, ended).await;
            return Err(Redirect::to("/login").into_response());
        }
        Ok(Self {
            user,
            role: PhantomData,
        })
    }
}
