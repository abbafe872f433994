//! *Paramètres du compte* (the seed, section 3): the online-services home page with the user's
//! name and the menu on the left (`overview.rs`), and the pages the menu leads to — a new
//! username, an e-mail alias proven by a single-use link (`username.rs`, `alias.rs`); a new
//! password (`password.rs`, on the shared form of `credentials::form`); the secret questions
//! (`questions/`, at `/account/questions`); the active sessions (`sessions.rs`).
//!
//! Every change asks for the current password (ASVS 6.2.3, 7.5.1), is audited with who, what,
//! when, address and user agent, and is reported by e-mail without any secret.

mod alias;
mod overview;
mod password;
mod sessions;
mod username;

use axum::Router;
use axum::routing::{get, post};

use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::{StoreError, audit};
use crate::web::Requester;

pub use crate::domain::{AddressError, EmailAddress};

/// `/` (the home page) and `/account…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::home))
        .route("/account", get(overview::show))
        .route(
            "/account/password",
            get(password::show).post(password::submit),
        )
        .route(
            "/account/username",
            get(username::show).post(username::submit),
        )
        .route("/account/username/sent", get(username::sent))
        .route(
            "/account/username/verify",
            get(alias::show).post(alias::verify),
        )
        .route("/account/username/verified", get(alias::show_confirmed))
        .route("/account/sessions", get(sessions::show))
        .route("/account/sessions/end", post(sessions::end_one))
        .route("/account/sessions/end-others", post(sessions::end_others))
}

/// One entry of the *Paramètres du compte* menu.
#[derive(Debug)]
struct MenuItem {
    href: &'static str,
    label: String,
}

/// The *Paramètres du compte* menu, in the seed's order, then signing out.
fn menu(lang: Lang) -> Vec<MenuItem> {
    [
        ("/account/username", "account-menu-username"),
        ("/account/password", "account-menu-password"),
        ("/account/questions", "account-menu-questions"),
        ("/account/sessions", "account-menu-sessions"),
        ("/account/second-factor", "account-menu-second-factor"),
        ("/account/passkeys", "account-menu-passkeys"),
        ("/account/delegations", "account-menu-delegations"),
        ("/logout", "account-menu-logout"),
    ]
    .into_iter()
    .map(|(href, key)| MenuItem {
        href,
        label: lang.t(key),
    })
    .collect()
}

/// Appends an account-settings event to the audit trail in the caller's transaction or
/// connection.
async fn record(
    client: &impl crate::store::GenericClient,
    kind: &str,
    outcome: &str,
    account: uuid::Uuid,
    requester: &Requester,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    audit::record(
        client,
        &event(kind, outcome, Some(account), requester, detail),
    )
    .await
}

/// Appends an event outside any transaction (the action it records already happened, or was
/// refused); a failure is logged, never shown.
async fn note(
    app: &AppState,
    kind: &str,
    outcome: &str,
    account: Option<uuid::Uuid>,
    requester: &Requester,
    detail: serde_json::Value,
) {
    tracing::info!(event = kind, outcome, account = ?account, ip = %requester.ip);
    audit::note(&app.db, &event(kind, outcome, account, requester, detail)).await;
}

fn event<'a>(
    kind: &'a str,
    outcome: &'a str,
    account: Option<uuid::Uuid>,
    requester: &'a Requester,
    detail: serde_json::Value,
) -> audit::Event<'a> {
    audit::Event {
        kind,
        outcome,
        account_id: account,
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail,
    }
}

/// A short page: a title, a few paragraphs (an alert when something went wrong), links on.
#[derive(askama::Template)]
#[template(path = "account_message.html")]
struct MessagePage {
    lang: Lang,
    title: String,
    switch_href: String,
    alert: bool,
    paragraphs: Vec<String>,
    links: Vec<(&'static str, String)>,
}

/// Renders a short page; `status` ≥ 400 makes it an alert.
fn message(
    lang: Lang,
    status: axum::http::StatusCode,
    title_key: &str,
    paragraphs: Vec<String>,
    links: Vec<(&'static str, String)>,
    switch: &str,
) -> axum::response::Response {
    let page = MessagePage {
        lang,
        title: lang.t(title_key),
        switch_href: crate::web::page::switch_href(switch, lang),
        alert: status.is_client_error() || status.is_server_error(),
        paragraphs,
        links,
    };
    crate::web::page::html(status, &page)
}
