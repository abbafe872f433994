//! `GET /helpdesk/access-requests`: the access requests still pending, oldest first, and
//! `GET|POST /helpdesk/access-requests/{id}`: one request, approved or refused by an agent for
//! the agency (the source document: « la Régie approuve la demande »), with a reason code.
//!
//! Approved: the staff account opens as when a named professional approves
//! (`delegations::approval`): its username is shown to the agent, who gives it to the requester,
//! and the temporary password goes to the requester's own address; each named professional who
//! has an account and has not decided yet grants the delegation (recorded as decided by the
//! agent, so their own page stops asking). Refused: the request is closed and the requester
//! told. Audited with the agent either way.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use uuid::Uuid;

use super::HelpDeskAgent;
use super::actions::DonePage;
use super::identity::{self, Typed};
use crate::delegations::approval::{self, Temporary};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::access_requests::{self, Stored};
use crate::store::audit;
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// Requests listed at most.
const LIMIT: i64 = 100;

/// A request as listed and shown.
struct Shown {
    id: String,
    name: String,
    email: String,
    phone: String,
    establishment: String,
    acts_for: String,
    services: String,
    sent: String,
}

impl Shown {
    fn of(s: &Stored) -> Self {
        let r = &s.request;
        Self {
            id: s.id.to_string(),
            name: format!("{} {}", r.given_name, r.family_name),
            email: r.email.clone(),
            phone: r.phone.clone(),
            establishment: r.establishment.clone(),
            acts_for: r.acts_for.join(", "),
            services: r.services.join(", "),
            sent: s.created_at.format("%Y-%m-%d").to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "helpdesk_access_requests.html")]
struct ListPage {
    lang: Lang,
    title: String,
    switch_href: String,
    requests: Vec<Shown>,
}

#[derive(Template)]
#[template(path = "helpdesk_access_request.html")]
struct RequestPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    request: Shown,
    identity: identity::Form,
    decision: String,
    problems: page::FieldErrors,
}

/// `POST /helpdesk/access-requests/{id}`.
#[derive(Debug, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    /// The token.
    #[serde(flatten)]
    other: HashMap<String, String>,
}

/// `GET /helpdesk/access-requests`.
pub async fn list(
    State(app): State<AppState>,
    _agent: HelpDeskAgent,
    RequestLang(lang): RequestLang,
) -> Result<Response, PageError> {
    let pending = access_requests::pending(&app.db.get().await?, LIMIT).await?;
    let page = ListPage {
        lang,
        title: lang.t("helpdesk-requests-title"),
        switch_href: page::switch_href("/helpdesk/access-requests", lang),
        requests: pending.iter().map(Shown::of).collect(),
    };
    Ok(page::html(StatusCode::OK, &page).into_response())
}

/// The pending request of a console URL (`NotFound` for a malformed, unknown or decided one).
async fn target(app: &AppState, id: &str) -> Result<Stored, PageError> {
    let id = Uuid::parse_str(id).map_err(|_| PageError::NotFound)?;
    access_requests::get(&app.db.get().await?, id)
        .await?
        .filter(|r| r.state == "pending")
        .ok_or(PageError::NotFound)
}

fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    request: &Stored,
    typed: (&Typed, &str),
    problems: Vec<(&'static str, &'static str)>,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let shown = Shown::of(request);
    let page = RequestPage {
        lang,
        title: lang.t_args("helpdesk-request-title", &[("name", shown.name.clone())]),
        switch_href: page::switch_href(&format!("/helpdesk/access-requests/{}", shown.id), lang),
        csrf,
        request: shown,
        identity: identity::Form::of(lang, &app.config.helpdesk, typed.0),
        decision: typed.1.to_owned(),
        problems: page::FieldErrors::of(lang, problems),
    };
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /helpdesk/access-requests/{id}`.
pub async fn show(
    State(app): State<AppState>,
    _agent: HelpDeskAgent,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let request = target(&app, &id).await?;
    render(
        &app,
        lang,
        jar,
        &request,
        (&Typed::default(), ""),
        Vec::new(),
    )
}

/// `POST /helpdesk/access-requests/{id}`.
pub async fn decide(
    State(app): State<AppState>,
    agent: HelpDeskAgent,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    Path(id): Path<String>,
    CheckedForm(form): CheckedForm<DecideForm>,
) -> Result<Response, PageError> {
    let request = target(&app, &id).await?;
    let rules = &app.config.helpdesk;
    let action = match form.decision.as_str() {
        "approve" => "approve_access_request",
        "refuse" => "refuse_access_request",
        _ => "",
    };
    let typed = Typed::read(rules, &form.other, form.reason, action.into());
    // The requester is no account holder: the checklist does not apply, the reason does.
    let mut problems: Vec<_> = typed
        .problems(rules)
        .into_iter()
        .filter(|(field, _)| *field != "checks")
        .collect();
    if action.is_empty() {
        problems.push(("decision", "helpdesk-error-decision"));
    }
    if !problems.is_empty() {
        return render(
            &app,
            lang,
            jar,
            &request,
            (&typed, &form.decision),
            problems,
        );
    }
    let mut detail = typed.detail(&agent.user.account);
    detail["request"] = request.id.to_string().into();
    let approving = form.decision == "approve";
    let temporary = if approving {
        Some(Temporary::generate(&app).await?)
    } else {
        None
    };
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    // Locked, and still pending: two agents (or an agent and a professional) decide once.
    let request = access_requests::lock(&tx, request.id)
        .await?
        .filter(|r| r.state == "pending")
        .ok_or(PageError::BadRequest("delegations-error-decided"))?;
    let (message, account) = match temporary {
        Some(temporary) => {
            let prefix = &app.config.usernames.professional_prefix;
            let named = access_requests::undecided_accounts(&tx, request.id, prefix).await?;
            let grantors: Vec<Uuid> = named.iter().map(|(_, a)| *a).collect();
            let approved = approval::approve(&tx, &app, &request, &grantors, temporary).await?;
            for (number, _) in &named {
                let by = agent.user.account.id;
                access_requests::decide(&tx, request.id, number, by, true).await?;
            }
            let username = approved.opened.clone().unwrap_or_default();
            detail["account_opened"] = approved.opened.into();
            detail["granted_by"] = named
                .iter()
                .map(|(n, _)| n.clone())
                .collect::<Vec<_>>()
                .into();
            detail["services"] = approved.services.into();
            let message = lang.t_args(
                "delegations-done-approved",
                &[
                    (
                        "name",
                        format!(
                            "{} {}",
                            request.request.given_name, request.request.family_name
                        ),
                    ),
                    ("username", username),
                    ("email", request.request.email.clone()),
                ],
            );
            (message, Some(approved.staff))
        }
        None => {
            access_requests::refuse(&tx, request.id).await?;
            approval::tell_refused(&tx, &request).await?;
            (lang.t("helpdesk-request-refused"), None)
        }
    };
    let event = audit::Event {
        kind: "helpdesk_action",
        outcome: "success",
        account_id: account,
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail,
    };
    audit::record(&tx, &event).await?;
    tx.commit().await?;
    let page = DonePage {
        lang,
        title: lang.t("helpdesk-done-title"),
        switch_href: page::switch_href("/helpdesk/access-requests", lang),
        back: Some((
            "/helpdesk/access-requests".to_owned(),
            lang.t("helpdesk-requests-title"),
        )),
        message,
        temporary: None,
    };
    Ok(page::html(StatusCode::OK, &page).into_response())
}
