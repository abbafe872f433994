//! `GET /threads/new` and `POST /threads`: compose a message in a category (routed to that
//! category's team) — for oneself, for a professional one acts for (staff), or to a
//! professional (agents). A refused form comes back with what was typed and each error tied
//! to its field.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::caller::PageCaller;
use super::render::{self, Frame};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::threads::open::{self, NewThread};
use crate::threads::{ThreadError, access};

/// The compose form.
#[derive(Debug, Default, Deserialize)]
pub struct ComposeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    professional: String,
}

#[derive(Template)]
#[template(path = "compose.html")]
struct Compose {
    lang: Lang,
    frame: Frame,
    csrf: String,
    agent: bool,
    acts_for: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    category: String,
    subject: String,
    body: String,
    professional: String,
    errors: Vec<(&'static str, &'static str)>,
}

impl Compose {
    fn error_for(&self, field: &str) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| *m)
    }
}

async fn compose_page(
    app: &AppState,
    who: &PageCaller,
    form: ComposeForm,
    errors: Vec<(&'static str, &'static str)>,
) -> Response {
    let lang = who.lang;
    let agent = match app.db.get().await {
        Ok(db) => access::agent_teams(&db, &who.caller)
            .await
            .is_ok_and(|t| !t.is_empty()),
        Err(_) => false,
    };
    let page = Compose {
        lang,
        frame: Frame::signed_in(who, lang.t("compose-title"), "/threads/new", false),
        csrf: who.csrf.clone(),
        agent,
        acts_for: who
            .caller
            .acts_for
            .iter()
            .map(|a| (a.username.clone(), a.name.clone()))
            .collect(),
        categories: app
            .config
            .categories
            .iter()
            .map(|c| (c.code.clone(), c.label(lang.tag()).to_owned()))
            .collect(),
        category: form.category,
        subject: form.subject,
        body: form.body,
        professional: form.professional,
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render::page(status, &page)
}

/// `GET /threads/new`.
pub async fn form(State(app): State<AppState>, who: PageCaller) -> Response {
    compose_page(&app, &who, ComposeForm::default(), Vec::new()).await
}

/// `POST /threads`.
pub async fn send(
    State(app): State<AppState>,
    who: PageCaller,
    form: Result<Form<ComposeForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return render::expired(&who);
    };
    if !who.csrf_ok(&form.csrf) {
        return render::expired(&who);
    }
    let professional = Some(form.professional.trim().to_owned()).filter(|p| !p.is_empty());
    let new = NewThread {
        category: form.category.clone(),
        subject: form.subject.clone(),
        body: form.body.clone(),
        professional,
        refers_to: None,
        team: None,
    };
    match open::open(&app, &who.caller, new).await {
        Ok(posted) => Redirect::to(&format!("/threads/{}", posted.thread_id)).into_response(),
        Err(ThreadError::Invalid { field, reason }) => {
            compose_page(&app, &who, form, vec![(field, who.lang.t(reason))]).await
        }
        Err(ThreadError::Quota { .. }) => {
            let mut response = compose_page(
                &app,
                &who,
                form,
                vec![("body", who.lang.t("quota_reached"))],
            )
            .await;
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            response
        }
        Err(ThreadError::QuotaUnavailable(_)) => {
            let mut response = compose_page(
                &app,
                &who,
                form,
                vec![("body", who.lang.t("sending_paused"))],
            )
            .await;
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
        }
        Err(ThreadError::NotFound) => render::not_found(&who),
        Err(e) => render::unavailable(&who, &e),
    }
}
