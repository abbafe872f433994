//! `GET|POST /helpdesk/access-form` (« Envoyer le formulaire de demande d'accès »): the source
//! document's help desk re-sends the access form to clinic staff and SELAT users, who have no
//! account yet. The agent types the caller's name and address and a reason; the form's link
//! goes out by e-mail, audited with the agent (the address kept in the audit, as the request
//! itself would keep it).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::HelpDeskAgent;
use super::actions::DonePage;
use super::identity::{self, Typed};
use crate::assistance::Audience;
use crate::domain::{EmailAddress, MAX_EMAIL_BYTES, has_no_controls};
use crate::i18n::Lang;
use crate::mail::{self, Notice, Recipient};
use crate::state::AppState;
use crate::store::audit;
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// The page's path.
const PATH: &str = "/helpdesk/access-form";
/// Longest name accepted.
const MAX_NAME_CHARS: usize = 200;

#[derive(Template)]
#[template(path = "helpdesk_access_form.html")]
struct FormPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    name: String,
    email: String,
    identity: identity::Form,
    problems: page::FieldErrors,
}

/// `POST /helpdesk/access-form`.
#[derive(Debug, Deserialize)]
pub struct SendForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    reason: String,
    /// The token (the checklist is not asked: the caller has no account to protect).
    #[serde(flatten)]
    other: HashMap<String, String>,
}

fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    typed: (&str, &str, &Typed),
    problems: Vec<(&'static str, &'static str)>,
) -> Result<Response, PageError> {
    let (name, email, identity) = typed;
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        lang,
        title: lang.t("helpdesk-access-form"),
        switch_href: page::switch_href(PATH, lang),
        csrf,
        name: name.chars().take(MAX_NAME_CHARS).collect(),
        email: email.chars().take(MAX_EMAIL_BYTES).collect(),
        identity: identity::Form::of(lang, &app.config.helpdesk, identity),
        problems: page::FieldErrors::of(lang, problems),
    };
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /helpdesk/access-form`.
pub async fn show(
    State(app): State<AppState>,
    _agent: HelpDeskAgent,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    render(&app, lang, jar, ("", "", &Typed::default()), Vec::new())
}

/// `POST /helpdesk/access-form`.
pub async fn send(
    State(app): State<AppState>,
    agent: HelpDeskAgent,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<SendForm>,
) -> Result<Response, PageError> {
    let rules = &app.config.helpdesk;
    let typed = Typed::read(rules, &form.other, form.reason, "send_access_form".into());
    let mut problems: Vec<_> = typed
        .problems(rules)
        .into_iter()
        .filter(|(field, _)| *field != "checks")
        .collect();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || !has_no_controls(name) {
        problems.push(("name", "helpdesk-error-name"));
    }
    let address = EmailAddress::parse(form.email.trim()).ok();
    if address.is_none() {
        problems.push(("email", "helpdesk-error-email"));
    }
    let Some(address) = address.filter(|_| problems.is_empty()) else {
        return render(&app, lang, jar, (&form.name, &form.email, &typed), problems);
    };
    let to = Recipient {
        address: address.folded(),
        lang,
        name: name.to_owned(),
        audience: Audience::staff(),
    };
    let link = format!("{}/access-request", app.issuer);
    let mut detail = typed.detail(&agent.user.account);
    detail["to"] = address.folded().into();
    let event = audit::Event {
        kind: "helpdesk_action",
        outcome: "success",
        account_id: None,
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail,
    };
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    mail::enqueue(&tx, &to, &Notice::AccessForm { link }).await?;
    audit::record(&tx, &event).await?;
    tx.commit().await?;
    let page = DonePage {
        lang,
        title: lang.t("helpdesk-done-title"),
        switch_href: page::switch_href(PATH, lang),
        back: None,
        message: lang.t("helpdesk-access-form-done"),
        temporary: None,
    };
    Ok(page::html(StatusCode::OK, &page).into_response())
}
