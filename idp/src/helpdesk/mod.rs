//! The help-desk console (issue 10, the assistance centre of the source document): an agent
//! finds the caller's account or, for a professional not enrolled yet, their entry in the
//! register (`search.rs`), sees where it stands — never a password, an answer, a NIP or a
//! secret — (`account.rs`, `professional.rs`), records how the caller's identity was
//! established and why (`identity.rs`), then acts (`actions.rs`): unlock, a temporary password
//! read to the caller (generated, shown once), the username e-mailed, disable or enable, end
//! every session, reset the second factor; re-send the NIP (`professional.rs`: the live one
//! cancelled, a new letter at the next print run); send the access-request form
//! (`access_form.rs`); approve or refuse a pending access request for the agency
//! (`access_requests.rs`, the approval shared with the professionals' own in
//! `delegations::approval`). Each action is audited with the agent, the facts verified and the
//! reason code.
//!
//! Every console route takes the [`HelpDeskAgent`] extractor (`crate::console`): a signed-in
//! account holding the `helpdesk-agent` role whose session was opened with a second factor,
//! not idle longer than `consoles.idle_secs`; anyone else gets 403 and nothing changes. The
//! forms carry the CSRF token like every other form.

mod access_form;
mod access_requests;
mod account;
mod actions;
mod identity;
mod professional;
mod search;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// `/helpdesk…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/helpdesk", get(search::show))
        .route("/helpdesk/accounts/{id}", get(account::show))
        .route("/helpdesk/accounts/{id}/act", post(actions::act))
        .route(
            "/helpdesk/access-form",
            get(access_form::show).post(access_form::send),
        )
        .route("/helpdesk/access-requests", get(access_requests::list))
        .route(
            "/helpdesk/access-requests/{id}",
            get(access_requests::show).post(access_requests::decide),
        )
        .route("/helpdesk/professionals/{number}", get(professional::show))
        .route(
            "/helpdesk/professionals/{number}/resend-nip",
            post(professional::resend_nip),
        )
}

/// A help-desk agent at the console (`console.rs`: the role, a second factor, not idle).
pub type HelpDeskAgent = crate::console::Console<crate::console::HelpDesk>;

/// The label of an identity check or a reason code (its id when no message names it).
fn label(lang: crate::i18n::Lang, prefix: &str, id: &str) -> String {
    let key = format!("{prefix}-{}", id.replace('_', "-"));
    let text = lang.t(&key);
    if text == key { id.to_owned() } else { text }
}
