//! « Délégations » (issue 10): who acts for a professional, from their own settings.
//!
//! - The access requests that name the professional wait here for their decision
//!   (`decide.rs`). The first approval opens the requester's staff (`CE…`) account
//!   (`staff_account.rs`) and splits its credentials as the agency does: the username is shown
//!   to the approver, who passes it on; a temporary password goes to the requester's own
//!   address, to be changed at first sign-in with the secret questions. Each approval gives the
//!   approver's delegation at the services the request asked for. A request is refused, and its
//!   requester told, once every named professional with an account refused it and none approved.
//! - The professional sees the delegations they gave, grants one to a staff username (at one
//!   service or all) and revokes any (`grant.rs`). Tokens read delegations when they are issued,
//!   so a change reaches new tokens at once and refreshed ones at their next refresh.
//! - A staff account sees whom it acts for (read-only).
//!
//! What an approval does is `approval.rs`, shared with the help desk, which approves or refuses
//! pending requests for the agency (`helpdesk/access_requests.rs`).
//!
//! Every decision and change is audited with who made it, from where.

pub mod approval;
mod decide;
mod grant;
mod page;
mod staff_account;

use axum::Router;
use axum::routing::{get, post};

use crate::config::UsernamesConfig;
use crate::domain::ProfessionalNumber;
use crate::state::AppState;
use crate::store::accounts::Account;
use crate::store::{GenericClient, StoreError, audit};
use crate::web::{PageError, Requester};

/// `/account/delegations…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/delegations", get(page::show))
        .route("/account/delegations/approve", post(decide::approve))
        .route("/account/delegations/refuse", post(decide::refuse))
        .route("/account/delegations/grant", post(grant::grant))
        .route("/account/delegations/revoke", post(grant::revoke))
}

/// The professional number of a professional's account (its username past the prefix);
/// `None` for staff.
fn number_of(usernames: &UsernamesConfig, account: &Account) -> Option<ProfessionalNumber> {
    if account.account_type != "professional" {
        return None;
    }
    let prefix = &usernames.professional_prefix;
    let digits = account
        .username
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .and_then(|_| account.username.get(prefix.len()..))?;
    ProfessionalNumber::parse(digits, false)
}

/// The signed-in professional's number, or the refusal a staff account gets.
fn professional(app: &AppState, account: &Account) -> Result<ProfessionalNumber, PageError> {
    number_of(&app.config.usernames, account)
        .ok_or(PageError::BadRequest("delegations-error-not-professional"))
}

/// Appends an event in the caller's transaction: `account` is the staff account concerned,
/// `detail` says who did it and what.
async fn record(
    db: &impl GenericClient,
    kind: &str,
    account: uuid::Uuid,
    requester: &Requester,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let event = audit::Event {
        kind,
        outcome: "success",
        account_id: Some(account),
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail,
    };
    audit::record(db, &event).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(username: &str, account_type: &str) -> Account {
        Account {
            id: uuid::Uuid::nil(),
            username: username.into(),
            given_name: "Marie".into(),
            family_name: "Tremblay".into(),
            email: None,
            email_verified: false,
            profession: None,
            account_type: account_type.into(),
            locale: "fr-CA".into(),
            disabled_at: None,
            locked_at: None,
            roles: vec![],
            delegations: vec![],
        }
    }

    #[test]
    fn a_professional_number_is_read_from_the_username_only_for_professionals() {
        let usernames = UsernamesConfig {
            professional_prefix: "IP".into(),
            staff_prefix: "CE".into(),
            max_length: 20,
        };
        let number = |u, t| number_of(&usernames, &account(u, t)).map(|n| n.as_str().to_owned());
        assert_eq!(number("IP12345", "professional").as_deref(), Some("12345"));
        assert_eq!(number("ip12345", "professional").as_deref(), Some("12345"));
        assert_eq!(number("CE12345", "staff"), None);
        assert_eq!(number("IP12345", "staff"), None);
        assert_eq!(number("IPabc", "professional"), None);
        assert_eq!(
            number("É", "professional"),
            None,
            "no panic on a short name"
        );
    }
}
