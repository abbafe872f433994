//! `GET /helpdesk/accounts/{id}`: where one account stands — names, type, address on file,
//! locks, recovery, second factor — and the action form: the identity checklist, the reason
//! code, the action. Nothing secret is ever shown. Each view is audited (who looked at whom).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use uuid::Uuid;

use super::HelpDeskAgent;
use super::actions::Action;
use super::identity::{self, Typed};
use super::search::{Found, standing_key};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::{audit, counters, second_factors};
use crate::web::{PageError, RequestLang, Requester, csrf, page};

#[derive(Template)]
#[template(path = "helpdesk_account.html")]
struct AccountPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    account: Found,
    email: String,
    facts: Vec<(String, String)>,
    identity: identity::Form,
    actions: Vec<(&'static str, String, bool)>,
    problems: page::FieldErrors,
}

/// The account of a console URL (`NotFound` for a malformed or unknown id).
pub(super) async fn target(app: &AppState, id: &str) -> Result<Account, PageError> {
    let id = Uuid::parse_str(id).map_err(|_| PageError::NotFound)?;
    let db = app.db.get().await?;
    accounts::get(&db, id).await?.ok_or(PageError::NotFound)
}

/// `GET /helpdesk/accounts/{id}`.
pub async fn show(
    State(app): State<AppState>,
    agent: HelpDeskAgent,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let account = target(&app, &id).await?;
    let event = audit::Event {
        kind: "helpdesk_view",
        outcome: "success",
        account_id: Some(account.id),
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail: serde_json::json!({ "agent": agent.user.account.id.to_string() }),
    };
    audit::note(&app.db, &event).await;
    render(
        &app,
        lang,
        jar,
        &account,
        Typed::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Renders the page, with the action form's problems when there are some.
pub(super) async fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    account: &Account,
    typed: Typed,
    problems: Vec<(&'static str, &'static str)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (temporarily_locked, recovery, codes_left, methods) = {
        let db = app.db.get().await?;
        (
            counters::is_locked(&app.kv, account.id).await?,
            accounts::recovery_standing(&db, account.id).await?,
            second_factors::recovery_codes_left(&db, account.id).await?,
            second_factors::methods(&db, account.id).await?,
        )
    };
    let yes_no = |b: bool| lang.t(if b { "helpdesk-yes" } else { "helpdesk-no" });
    let mut facts = vec![
        (
            lang.t("helpdesk-fact-standing"),
            lang.t(standing_key(account)),
        ),
        (
            lang.t("helpdesk-fact-temporary-lock"),
            yes_no(temporarily_locked),
        ),
        (
            lang.t("helpdesk-fact-recovery-closed"),
            yes_no(recovery.is_some_and(|r| r.closed_at.is_some())),
        ),
        (lang.t("helpdesk-fact-second-factor"), yes_no(methods.totp)),
        (
            lang.t("helpdesk-fact-passkeys"),
            methods.passkeys.to_string(),
        ),
    ];
    if methods.any() {
        facts.push((lang.t("helpdesk-fact-codes-left"), codes_left.to_string()));
    }
    if !account.roles.is_empty() {
        let roles: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
        facts.push((lang.t("helpdesk-fact-roles"), roles.join(", ")));
    }
    let identity = identity::Form::of(lang, &app.config.helpdesk, &typed);
    let actions = Action::offered(account, methods)
        .into_iter()
        .map(|a| (a.id(), lang.t(a.label_key()), typed.action == a.id()))
        .collect();
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let found = Found::of(lang, account);
    let page = AccountPage {
        lang,
        title: lang.t_args(
            "helpdesk-account-title",
            &[("username", found.username.clone())],
        ),
        switch_href: page::switch_href(&format!("/helpdesk/accounts/{}", account.id), lang),
        csrf,
        email: match (&account.email, account.email_verified) {
            (Some(e), true) => format!("{e} ({})", lang.t("helpdesk-email-verified")),
            (Some(e), false) => e.clone(),
            (None, _) => lang.t("helpdesk-none"),
        },
        account: found,
        facts,
        identity,
        actions,
        problems: page::FieldErrors::of(lang, problems),
    };
    Ok((jar, page::html(status, &page)).into_response())
}
