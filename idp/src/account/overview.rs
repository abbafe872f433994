//! The online-services home page (`/`): the user's first and last name and the *Paramètres du
//! compte* menu on the left, the services they can open on the right (single sign-on). And the
//! menu as its own page (`/account`), where each settings page comes back with its confirmation.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;

use super::{MenuItem, menu};
use crate::domain::Role;
use crate::i18n::Lang;
use crate::sso::SignedIn;
use crate::state::AppState;
use crate::store::clients;
use crate::web::{PageError, RequestLang, page, query_param};

/// The home page.
#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    lang: Lang,
    title: String,
    switch_href: String,
    given_name: String,
    family_name: String,
    menu: Vec<MenuItem>,
    services: Vec<(String, String)>,
    /// The agency consoles the user's roles open.
    consoles: Vec<(String, String)>,
}

/// The *Paramètres du compte* page.
#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    lang: Lang,
    title: String,
    switch_href: String,
    given_name: String,
    family_name: String,
    menu: Vec<MenuItem>,
    done: Option<String>,
}

/// `GET /`: who is signed in, the menu, and the services they can open.
pub async fn home(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    uri: Uri,
) -> Result<Response, PageError> {
    let db = app.db.get().await?;
    // The services a user can open: signed in through the code flow, with a home URL.
    let services = clients::services(&db)
        .await?
        .into_iter()
        .map(|(_, name, home)| (name, home))
        .collect();
    let page = HomePage {
        lang,
        title: lang.t("home-title"),
        switch_href: page::switch_href(&uri.to_string(), lang),
        given_name: user.account.given_name,
        family_name: user.account.family_name,
        consoles: [
            (Role::HelpdeskAgent, "helpdesk-title", "/helpdesk"),
            (Role::SecurityOfficer, "security-console", "/security"),
        ]
        .into_iter()
        .filter(|(role, _, _)| user.account.roles.contains(role))
        .map(|(_, key, href)| (lang.t(key), href.to_owned()))
        .collect(),
        menu: menu(lang),
        services,
    };
    Ok(page::html(StatusCode::OK, &page))
}

/// `GET /account`: the menu, with the confirmation of the change just made (`?done=`, one of a
/// fixed set; anything else shows nothing).
pub async fn show(
    user: SignedIn,
    RequestLang(lang): RequestLang,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let done = query_param(query.as_deref(), "done")
        .and_then(|v| done_key(&v))
        .map(|key| lang.t(key));
    let page = AccountPage {
        lang,
        title: lang.t("account-title"),
        switch_href: page::switch_href(&uri.to_string(), lang),
        given_name: user.account.given_name,
        family_name: user.account.family_name,
        menu: menu(lang),
        done,
    };
    Ok(page::html(StatusCode::OK, &page))
}

/// The confirmation shown for `?done=…`.
fn done_key(done: &str) -> Option<&'static str> {
    match done {
        "password" => Some("account-done-password"),
        "questions" => Some("account-done-questions"),
        "username" => Some("account-done-username"),
        "sessions" => Some("account-done-sessions"),
        "second-factor" => Some("account-done-second-factor"),
        "passkeys" => Some("account-done-passkeys"),
        _ => None,
    }
}
