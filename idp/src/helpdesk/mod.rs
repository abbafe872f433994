//! The help-desk console (issue 10, the assistance centre of the source document): an agent
//! finds the caller's account (`search.rs`), sees where it stands — never a password, an
//! answer, a NIP or a secret — (`account.rs`), records how the caller's identity was
//! established and why, then acts (`actions.rs`): unlock, a temporary password read to the
//! caller (generated, shown once), the username e-mailed, disable or enable, end every
//! session, reset the second factor. Each action is audited with the agent, the facts verified
//! and the reason code.
//!
//! Every console route takes the [`HelpDeskAgent`] extractor: a signed-in account holding the
//! `helpdesk-agent` role whose session was opened with a second factor, not idle longer than
//! `helpdesk.idle_secs`; anyone else gets 403 and nothing changes. The forms carry the CSRF
//! token like every other form.

mod account;
mod actions;
mod search;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;

use crate::domain::{Role, authentication};
use crate::oidc::backchannel;
use crate::sso::SignedIn;
use crate::sso::session;
use crate::state::AppState;
use crate::web::PageError;

/// `/helpdesk…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/helpdesk", get(search::show))
        .route("/helpdesk/accounts/{id}", get(account::show))
        .route("/helpdesk/accounts/{id}/act", post(actions::act))
}

/// A help-desk agent at the console.
#[derive(Debug)]
pub struct HelpDeskAgent {
    /// Who.
    pub user: SignedIn,
}

impl FromRequestParts<AppState> for HelpDeskAgent {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let user = SignedIn::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        if !user.account.roles.contains(&Role::HelpdeskAgent) {
            return Err(PageError::Forbidden.into_response());
        }
        // A role granted after this session opened without a second factor: sign in again.
        if !user
            .session
            .amr
            .iter()
            .any(|m| m == authentication::ONE_TIME_CODE)
        {
            return Err(PageError::Forbidden.into_response());
        }
        // Staff sessions time out sooner: idle too long, the session ends here.
        let idle = (Utc::now() - user.session.last_seen_at).num_seconds();
        if idle > i64::try_from(app.config.helpdesk.idle_secs).unwrap_or(i64::MAX) {
            let ended = session::end(app, &user.session.sid)
                .await
                .map_err(|e| PageError::from(e).into_response())?;
            backchannel::notify(app, ended).await;
            return Err(Redirect::to("/login").into_response());
        }
        Ok(Self { user })
    }
}

/// The label of an identity check or a reason code (its id when no message names it).
fn label(lang: crate::i18n::Lang, prefix: &str, id: &str) -> String {
    let key = format!("{prefix}-{}", id.replace('_', "-"));
    let text = lang.t(&key);
    if text == key { id.to_owned() } else { text }
}
