//! Enrolment by NIP (« Information et inscription », section 4 of the source document): the
//! agency's register of professionals is imported from CSV (`register`), a personal
//! identification number is issued to each and mailed by the print house (`nip`), and the
//! professional registers with it. Issue 10 builds it in that order.

pub mod nip;
pub mod page;
pub mod register;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

/// `/enrol`, `/enrol/welcome`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/enrol", get(page::show).post(page::submit))
        .route("/enrol/welcome", get(page::welcome))
}
