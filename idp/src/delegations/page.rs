//! `GET /account/delegations`: for a professional, the access requests waiting for their
//! decision, the delegations they gave (each with a button to revoke it) and the form to give
//! one; for a staff account, whom it acts for. After an approval the page shows the username
//! of the account it opened, to pass on to its holder (the password went to their address).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use uuid::Uuid;

use super::number_of;
use crate::i18n::Lang;
use crate::sso::SignedIn;
use crate::state::AppState;
use crate::store::{access_requests, accounts, clients, delegations};
use crate::web::{PageError, RequestLang, csrf, page, query_param};

/// What the grant form was sent with, given back when something is wrong.
#[derive(Debug, Default, Clone)]
pub struct Typed {
    /// The staff username typed.
    pub staff: String,
    /// The service chosen (empty: every service).
    pub service: String,
}

/// What is wrong with the grant form.
#[derive(Debug, Clone, Copy)]
pub enum Problem {
    /// No active staff account by that name.
    Staff,
    /// Not a service offered.
    Service,
}

/// What the page shows besides the lists.
#[derive(Debug)]
pub enum Shown {
    /// The lists only, or the outcome of the last action (`?done=`, `?approved=`).
    Plain(Option<String>),
    /// The grant form refused.
    Problem(Problem, Typed),
}

/// A request waiting for the professional's decision.
struct Waiting {
    id: Uuid,
    name: String,
    email: String,
    phone: String,
    establishment: String,
    services: String,
    sent: String,
}

/// A delegation given (or, for staff, held).
struct Row {
    id: Uuid,
    who: String,
    service: String,
    since: String,
}

/// The page.
#[derive(Template)]
#[template(path = "account_delegations.html")]
struct DelegationsPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    professional: bool,
    done: Option<String>,
    waiting: Vec<Waiting>,
    rows: Vec<Row>,
    services: Vec<(String, String)>,
    typed: Typed,
    problems: page::FieldErrors,
}

/// `GET /account/delegations`.
pub async fn show(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = query.as_deref();
    let done = match query_param(query, "approved").and_then(|v| Uuid::parse_str(&v).ok()) {
        Some(id) => approved(&app, &user, lang, id).await?,
        None => query_param(query, "done")
            .and_then(|v| done_key(&v))
            .map(|key| lang.t(key)),
    };
    render(&app, &user, lang, jar, Shown::Plain(done)).await
}

/// The confirmation of an approval this professional made: the username to pass on.
async fn approved(
    app: &AppState,
    user: &SignedIn,
    lang: Lang,
    id: Uuid,
) -> Result<Option<String>, PageError> {
    let Some(number) = number_of(&app.config.usernames, &user.account) else {
        return Ok(None);
    };
    let db = app.db.get().await?;
    if access_requests::decision(&db, id, number.as_str())
        .await?
        .as_deref()
        != Some("approved")
    {
        return Ok(None);
    }
    let Some(request) = access_requests::get(&db, id).await? else {
        return Ok(None);
    };
    let Some(account) = request.account_id else {
        return Ok(None);
    };
    let Some(staff) = accounts::get(&db, account).await? else {
        return Ok(None);
    };
    let r = &request.request;
    Ok(Some(lang.t_args(
        "delegations-done-approved",
        &[
            ("name", format!("{} {}", r.given_name, r.family_name)),
            ("username", staff.username),
            ("email", r.email.clone()),
        ],
    )))
}

/// The confirmation shown for `?done=…` (one of a fixed set; anything else shows nothing).
fn done_key(done: &str) -> Option<&'static str> {
    match done {
        "refused" => Some("delegations-done-refused"),
        "granted" => Some("delegations-done-granted"),
        "unchanged" => Some("delegations-done-unchanged"),
        "revoked" => Some("delegations-done-revoked"),
        _ => None,
    }
}

/// Renders the page (200, or 422 with the grant form's problem).
pub async fn render(
    app: &AppState,
    user: &SignedIn,
    lang: Lang,
    jar: CookieJar,
    shown: Shown,
) -> Result<Response, PageError> {
    let number = number_of(&app.config.usernames, &user.account);
    let db = app.db.get().await?;
    let services: Vec<(String, String)> = clients::services(&db)
        .await?
        .into_iter()
        .map(|(id, name, _)| (id, name))
        .collect();
    let service_name = |id: &Option<String>| match id {
        None => lang.t("delegations-every-service"),
        Some(id) => services
            .iter()
            .find(|(s, _)| s == id)
            .map_or_else(|| id.clone(), |(_, name)| name.clone()),
    };
    let day = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d").to_string();
    let waiting = match &number {
        Some(number) => access_requests::awaiting(&db, number.as_str())
            .await?
            .into_iter()
            .map(|s| Waiting {
                id: s.id,
                name: format!("{} {}", s.request.given_name, s.request.family_name),
                services: s
                    .request
                    .services
                    .iter()
                    .map(|id| service_name(&Some(id.clone())))
                    .collect::<Vec<_>>()
                    .join(", "),
                email: s.request.email,
                phone: s.request.phone,
                establishment: s.request.establishment,
                sent: day(s.created_at),
            })
            .collect(),
        None => Vec::new(),
    };
    let rows = delegations::active(&db, user.account.id, number.is_none())
        .await?
        .into_iter()
        .map(|d| Row {
            id: d.id,
            who: format!("{} ({})", d.staff_name, d.staff),
            service: service_name(&d.service),
            since: day(d.granted_at),
        })
        .collect();
    let (done, typed, problem, status) = match shown {
        Shown::Plain(done) => (done, Typed::default(), None, StatusCode::OK),
        Shown::Problem(problem, typed) => {
            let (field, key) = match problem {
                Problem::Staff => ("staff", "delegations-error-staff"),
                Problem::Service => ("service", "delegations-error-service"),
            };
            let problem = Some((field, lang.t(key)));
            (None, typed, problem, StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = DelegationsPage {
        lang,
        title: lang.t("delegations-title"),
        switch_href: page::switch_href("/account/delegations", lang),
        csrf,
        professional: number.is_some(),
        done,
        waiting,
        rows,
        services,
        typed,
        problems: page::FieldErrors::worded(problem.into_iter().collect()),
    };
    Ok((jar, page::html(status, &page)).into_response())
}
