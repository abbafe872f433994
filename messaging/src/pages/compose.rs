//! `GET /threads/new` and `POST /threads`: compose a message in a category (routed to that
//! category's team) — for oneself, for a professional one acts for (staff), or to a
//! professional (agents). A refused form comes back with what was typed and each error tied
//! to its field. Files chosen with the message are sealed as they arrive and sent with it.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::caller::PageCaller;
use super::multipart::{self, Broken, Form, MAX_FILES, Part};
use super::render::{self, Frame};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::threads::drafts;
use crate::threads::open::{self, NewThread, Pending};
use crate::threads::{ThreadError, access};

/// The compose form.
#[derive(Debug, Default)]
pub struct ComposeForm {
    csrf: String,
    category: String,
    subject: String,
    body: String,
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
    files_hint: String,
    files_error: Option<&'static str>,
    /// When the draft shown was saved.
    draft_saved: Option<String>,
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
    compose_page_with(app, who, form, errors, None).await
}

async fn compose_page_with(
    app: &AppState,
    who: &PageCaller,
    form: ComposeForm,
    errors: Vec<(&'static str, &'static str)>,
    draft_saved: Option<String>,
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
        files_error: errors.iter().find(|(f, _)| *f == "files").map(|(_, m)| *m),
        errors,
        files_hint: render::files_hint(lang, app.config.attachments.max_bytes),
        draft_saved,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render::page(status, &page)
}

/// `GET /threads/new`: blank, or the caller's draft of a new thread.
pub async fn form(State(app): State<AppState>, who: PageCaller) -> Response {
    let draft = match drafts::load(&app, &who.caller, None).await {
        Ok(draft) => draft,
        Err(e) => return render::unavailable(&who, &e),
    };
    let Some(draft) = draft else {
        return compose_page(&app, &who, ComposeForm::default(), Vec::new()).await;
    };
    let form = ComposeForm {
        csrf: String::new(),
        category: draft.text.category,
        subject: draft.text.subject,
        body: draft.text.body,
        professional: draft.text.professional,
    };
    let saved = render::when(draft.updated_at).0;
    compose_page_with(&app, &who, form, Vec::new(), Some(saved)).await
}

/// `POST /threads` (`multipart/form-data`: the fields, then the files, sealed as they
/// arrive and sent with the first message).
pub async fn send(State(app): State<AppState>, who: PageCaller, request: Request) -> Response {
    let Ok(mut parts) = Form::read(request, app.config.threads.body_max_chars).await else {
        return render::expired(&who);
    };
    let mut form = ComposeForm::default();
    let mut pending: Option<Pending> = None;
    let refused = loop {
        let part = match parts.next().await {
            Ok(Some(part)) => part,
            Ok(None) => break None,
            Err(Broken) => break Some(Refusal::Expired),
        };
        match part {
            Part::Text(name, value) => match name.as_str() {
                "csrf" => form.csrf = value,
                "category" => form.category = value,
                "subject" => form.subject = value,
                "body" => form.body = value,
                "professional" => form.professional = value,
                _ => {}
            },
            Part::NoFile => {}
            Part::File(name, content) => {
                if !who.csrf_ok(&form.csrf) {
                    break Some(Refusal::Expired);
                }
                let files = match pending.as_mut() {
                    Some(files) => files,
                    None => {
                        if let Err(e) = open::may_open(&app, &who.caller, &new_thread(&form)).await
                        {
                            break Some(Refusal::Thread(e));
                        }
                        match Pending::new() {
                            Ok(p) => pending.insert(p),
                            Err(e) => break Some(Refusal::Thread(e)),
                        }
                    }
                };
                if files.files() >= MAX_FILES {
                    break Some(Refusal::Files("too_many_files", 422));
                }
                if let Err(e) = files
                    .attach(&app, &who.caller, &name, multipart::content(content))
                    .await
                {
                    break Some(match multipart::upload_refusal(e) {
                        Ok((key, status)) => Refusal::Files(key, status),
                        Err(e) => Refusal::Thread(e),
                    });
                }
            }
        }
    };
    if let Some(refused) = refused {
        if let Some(files) = pending {
            files.discard(&app).await;
        }
        return refuse(&app, &who, form, refused).await;
    }
    if !who.csrf_ok(&form.csrf) {
        if let Some(files) = pending {
            files.discard(&app).await;
        }
        return render::expired(&who);
    }
    let new = new_thread(&form);
    let opened = match pending {
        Some(files) => open::open_pending(&app, &who.caller, new, files).await,
        None => open::open(&app, &who.caller, new).await,
    };
    match opened {
        Ok(posted) => Redirect::to(&format!("/threads/{}", posted.thread_id)).into_response(),
        Err(e) => refuse(&app, &who, form, Refusal::Thread(e)).await,
    }
}

fn new_thread(form: &ComposeForm) -> NewThread {
    NewThread {
        category: form.category.clone(),
        subject: form.subject.clone(),
        body: form.body.clone(),
        professional: Some(form.professional.trim().to_owned()).filter(|p| !p.is_empty()),
        refers_to: None,
        team: None,
    }
}

/// Why the form comes back.
enum Refusal {
    /// Not a form of this session.
    Expired,
    /// A file was refused: the message key and the status.
    Files(&'static str, u16),
    /// The thread rules.
    Thread(ThreadError),
}

async fn refuse(app: &AppState, who: &PageCaller, form: ComposeForm, why: Refusal) -> Response {
    let (field, key, status) = match why {
        Refusal::Expired => return render::expired(who),
        Refusal::Files(key, status) => ("files", key, status),
        Refusal::Thread(ThreadError::Invalid { field, reason }) => (field, reason, 422),
        Refusal::Thread(ThreadError::Quota { .. }) => ("body", "quota_reached", 429),
        Refusal::Thread(ThreadError::QuotaUnavailable(_)) => ("body", "sending_paused", 503),
        Refusal::Thread(ThreadError::NotFound) => return render::not_found(who),
        Refusal::Thread(e) => return render::unavailable(who, &e),
    };
    let mut response = compose_page(app, who, form, vec![(field, who.lang.t(key))]).await;
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    response
}
