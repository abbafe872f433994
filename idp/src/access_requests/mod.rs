//! Access requests (issue 10): administrative staff of a clinic and SELAT users ask for a staff
//! (`CE…`) account acting for professionals, at some services, through a public form. A
//! request waits for the professional it names or an agency agent to approve or refuse it
//! (to come); the requester gets a confirmation page and e-mail.

mod form;
mod page;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

/// `/access-request`.
pub fn router() -> Router<AppState> {
    Router::new().route("/access-request", get(page::show).post(page::submit))
}
