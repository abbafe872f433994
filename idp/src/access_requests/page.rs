//! `GET|POST /access-request`: the public form. Sent, the request is stored with a
//! confirmation e-mail queued in the same transaction, and the page says what happens next.
//! Each request counts in the per-IP window shared by the nodes; the form never tells whether
//! a professional number is in the register.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use super::form::{self, Problems, Typed};
use crate::assistance::Audience;
use crate::i18n::Lang;
use crate::mail::{self, Notice, Recipient};
use crate::state::AppState;
use crate::store::{access_requests, audit, clients, windows};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// Requests one client address may send per hour.
const REQUESTS_PER_IP_PER_HOUR: u32 = 20;
/// Requests (and so confirmation e-mails) one address may receive per day.
const REQUESTS_PER_ADDRESS_PER_DAY: u32 = 3;

/// A service offered on the form: its id, its name, whether it is ticked.
type Offered = (String, String, bool);

/// A text input of the form.
struct Input {
    field: &'static str,
    label: &'static str,
    hint: Option<&'static str>,
    value: String,
    kind: &'static str,
    autocomplete: &'static str,
}

fn inputs(typed: &Typed) -> Vec<Input> {
    let input = |field, label, hint, value: &str, kind, autocomplete| Input {
        field,
        label,
        hint,
        value: value.to_owned(),
        kind,
        autocomplete,
    };
    vec![
        input(
            "given_name",
            "access-given-name",
            None,
            &typed.given_name,
            "text",
            "given-name",
        ),
        input(
            "family_name",
            "access-family-name",
            None,
            &typed.family_name,
            "text",
            "family-name",
        ),
        input(
            "email",
            "access-email",
            Some("access-email-hint"),
            &typed.email,
            "email",
            "email",
        ),
        input(
            "phone",
            "access-phone",
            Some("access-phone-hint"),
            &typed.phone,
            "tel",
            "tel",
        ),
        input(
            "establishment",
            "access-establishment",
            None,
            &typed.establishment,
            "text",
            "organization",
        ),
    ]
}

#[derive(Template)]
#[template(path = "access_request.html")]
struct RequestPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    typed: Typed,
    inputs: Vec<Input>,
    services: Vec<Offered>,
    problems: page::FieldErrors,
}

#[derive(Template)]
#[template(path = "access_request_sent.html")]
struct SentPage {
    lang: Lang,
    title: String,
    switch_href: String,
    body: String,
}

async fn offered(app: &AppState) -> Result<Vec<(String, String)>, PageError> {
    let db = app.db.get().await?;
    Ok(clients::services(&db)
        .await?
        .into_iter()
        .map(|(id, name, _)| (id, name))
        .collect())
}

async fn form_page(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    typed: Typed,
    problems: Problems,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let services = offered(app)
        .await?
        .into_iter()
        .map(|(id, name)| {
            let ticked = typed.other.contains_key(&format!("service.{id}"));
            (id, name, ticked)
        })
        .collect();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = RequestPage {
        lang,
        title: lang.t("access-title"),
        switch_href: page::switch_href("/access-request", lang),
        csrf,
        inputs: inputs(&typed),
        typed,
        services,
        problems: page::FieldErrors::of(lang, problems),
    };
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /access-request`.
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    form_page(&app, lang, jar, Typed::default(), Problems::new()).await
}

/// `POST /access-request`.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(typed): CheckedForm<Typed>,
) -> Result<Response, PageError> {
    let offered: Vec<String> = offered(&app).await?.into_iter().map(|(id, _)| id).collect();
    let request = match form::check(&typed, &offered, lang.tag()) {
        Ok(request) => request,
        Err(problems) => return form_page(&app, lang, jar, typed, problems).await,
    };
    // Each request e-mails its address: bounded per address and per client address, so the
    // form cannot be used to send the agency's e-mails at will.
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    let ip = requester.ip.to_string();
    let to = request.email.to_lowercase();
    if !windows::allow(&app.kv, "access-request", requester.ip, limit).await?
        || !windows::within(
            &app.kv,
            "access-request-ip-hour",
            &ip,
            3600,
            REQUESTS_PER_IP_PER_HOUR,
        )
        .await?
        || !windows::within(
            &app.kv,
            "access-request-to",
            &to,
            86_400,
            REQUESTS_PER_ADDRESS_PER_DAY,
        )
        .await?
    {
        return Err(PageError::TooMany);
    }
    {
        let mut db = app.db.get().await?;
        let tx = db.transaction().await?;
        let id = access_requests::insert(&tx, &request, Some(requester.ip)).await?;
        let to = Recipient {
            address: request.email.clone(),
            lang,
            name: format!("{} {}", request.given_name, request.family_name),
            audience: Audience::staff(),
        };
        mail::enqueue(&tx, &to, &Notice::AccessRequestReceived).await?;
        audit::record(
            &tx,
            &audit::Event {
                kind: "access_requested",
                outcome: "success",
                account_id: None,
                client_id: None,
                ip: Some(requester.ip),
                user_agent: requester.user_agent.as_deref(),
                detail: serde_json::json!({
                    "request": id, "acts_for": request.acts_for, "services": request.services,
                }),
            },
        )
        .await?;
        tx.commit().await?;
    }
    let page = SentPage {
        lang,
        title: lang.t("access-sent-title"),
        switch_href: page::switch_href("/access-request", lang),
        body: lang.t_args("access-sent-body", &[("email", request.email)]),
    };
    Ok(page::html(StatusCode::OK, &page).into_response())
}
