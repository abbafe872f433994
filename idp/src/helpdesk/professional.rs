//! `GET /helpdesk/professionals/{number}`: a professional of the register and where their
//! enrolment stands — enrolled or not, the live NIP's dates and wrong tries, a new letter asked
//! for — never the NIP. `POST …/resend-nip` (« Renvoyer le NIP »): the identity checklist and a
//! reason, then the live NIP is invalidated at once and a new letter is asked for; the next
//! print run (`idp nip issue --all-new`) issues a new NIP to the register's postal address (the
//! source document's NIP comes by mail; no NIP exists in clear outside that run). Each view and
//! action is audited with the agent.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::HelpDeskAgent;
use super::actions::DonePage;
use super::identity::{self, Typed};
use crate::domain::ProfessionalNumber;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::professionals::{self, Standing};
use crate::store::{audit, nips};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

#[derive(Template)]
#[template(path = "helpdesk_professional.html")]
struct ProfessionalPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    number: String,
    facts: Vec<(String, String)>,
    enrolled: bool,
    identity: identity::Form,
    problems: page::FieldErrors,
}

/// `POST /helpdesk/professionals/{number}/resend-nip`.
#[derive(Debug, Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    reason: String,
    /// The checklist's boxes (`check.<id>`), and the token.
    #[serde(flatten)]
    other: HashMap<String, String>,
}

/// The professional of a console URL (`NotFound` for a malformed or unknown number).
async fn target(app: &AppState, number: &str) -> Result<Standing, PageError> {
    let number = ProfessionalNumber::parse(number, false).ok_or(PageError::NotFound)?;
    let db = app.db.get().await?;
    professionals::standing(&db, number.as_str())
        .await?
        .ok_or(PageError::NotFound)
}

fn event<'a>(
    kind: &'static str,
    requester: &'a Requester,
    detail: serde_json::Value,
) -> audit::Event<'a> {
    audit::Event {
        kind,
        outcome: "success",
        account_id: None,
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail,
    }
}

/// `GET /helpdesk/professionals/{number}`.
pub async fn show(
    State(app): State<AppState>,
    agent: HelpDeskAgent,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    let standing = target(&app, &number).await?;
    let detail = serde_json::json!({
        "agent": agent.user.account.id.to_string(),
        "professional": standing.professional.number,
    });
    audit::note(&app.db, &event("helpdesk_view", &requester, detail)).await;
    render(
        &app,
        lang,
        jar,
        &standing,
        &Typed::default(),
        Vec::new(),
        StatusCode::OK,
    )
}

fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    standing: &Standing,
    typed: &Typed,
    problems: Vec<(&'static str, &'static str)>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let p = &standing.professional;
    let date = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d").to_string();
    let mut facts = vec![
        (
            lang.t("helpdesk-col-name"),
            format!("{} {}", p.given_name, p.family_name),
        ),
        (lang.t("helpdesk-fact-profession"), p.profession.clone()),
        (
            lang.t("helpdesk-fact-postal-address"),
            format!("{}, {} {} {}", p.address, p.city, p.province, p.postal_code),
        ),
        (
            lang.t("helpdesk-fact-enrolled"),
            standing
                .enrolled_at
                .map_or_else(|| lang.t("helpdesk-no"), date),
        ),
    ];
    let nip = match standing.live_nip {
        Some((issued, expires, tries)) => lang.t_args(
            "helpdesk-nip-live",
            &[
                ("issued", date(issued)),
                ("expires", date(expires)),
                ("tries", tries.to_string()),
                ("max", app.config.enrolment.nip_max_tries.to_string()),
            ],
        ),
        None => lang.t("helpdesk-nip-none"),
    };
    facts.push((lang.t("helpdesk-fact-nip"), nip));
    facts.push((
        lang.t("helpdesk-fact-nip-requested"),
        standing
            .nip_requested_at
            .map_or_else(|| lang.t("helpdesk-no"), date),
    ));
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let path = format!("/helpdesk/professionals/{}", p.number);
    let page = ProfessionalPage {
        lang,
        title: lang.t_args(
            "helpdesk-professional-title",
            &[("number", p.number.clone())],
        ),
        switch_href: page::switch_href(&path, lang),
        csrf,
        number: p.number.clone(),
        facts,
        enrolled: standing.enrolled_at.is_some(),
        identity: identity::Form::of(lang, &app.config.helpdesk, typed),
        problems: page::FieldErrors::of(lang, problems),
    };
    Ok((jar, page::html(status, &page)).into_response())
}

/// `POST /helpdesk/professionals/{number}/resend-nip`.
pub async fn resend_nip(
    State(app): State<AppState>,
    agent: HelpDeskAgent,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    Path(number): Path<String>,
    CheckedForm(form): CheckedForm<ResendForm>,
) -> Result<Response, PageError> {
    let standing = target(&app, &number).await?;
    let number = standing.professional.number.clone();
    let rules = &app.config.helpdesk;
    let typed = Typed::read(rules, &form.other, form.reason, "resend_nip".into());
    let problems = typed.problems(rules);
    if !problems.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&app, lang, jar, &standing, &typed, problems, status);
    }
    let mut detail = typed.detail(&agent.user.account);
    detail["professional"] = number.clone().into();
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    // Enrolled meanwhile: a NIP serves no more.
    if !professionals::request_nip(&tx, &number).await? {
        return Err(PageError::BadRequest("helpdesk-error-enrolled"));
    }
    detail["invalidated"] = (nips::invalidate_live(&tx, &number).await? > 0).into();
    audit::record(&tx, &event("helpdesk_action", &requester, detail)).await?;
    tx.commit().await?;
    let page = DonePage {
        lang,
        title: lang.t("helpdesk-done-title"),
        switch_href: page::switch_href(&format!("/helpdesk/professionals/{number}"), lang),
        back: Some((
            format!("/helpdesk/professionals/{number}"),
            lang.t_args("helpdesk-professional-title", &[("number", number.clone())]),
        )),
        message: lang.t("helpdesk-action-resend-nip-done"),
        temporary: None,
    };
    Ok(page::html(StatusCode::OK, &page).into_response())
}
