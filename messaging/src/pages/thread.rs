//! `GET /threads/{id}` (a page of the thread; its messages count as read), `POST
//! /threads/{id}/messages` (a reply, or an agent's internal note), and the agents' `take`
//! and `close`. Message bodies are shown as plain text (escaped; a link is text, never an
//! anchor), line breaks kept.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::caller::PageCaller;
use super::multipart::{self, Broken, Form as Parts, MAX_FILES, Part};
use super::render::{self, Frame};
use crate::domain::{Cursor, Side};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::threads::attachments::{self, UploadError};
use crate::threads::manage::{self, Move};
use crate::threads::{ThreadError, reply as replies, show as shown};

/// A message as the page shows it.
#[derive(Debug)]
struct MessageRow {
    note: bool,
    mine: bool,
    author: String,
    on_behalf_of: Option<String>,
    sent: String,
    sent_iso: String,
    body: String,
    read: bool,
    /// Link, name and size of each file.
    attachments: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    lang: Lang,
    frame: Frame,
    id: Uuid,
    csrf: String,
    subject: String,
    category: String,
    state: &'static str,
    professional: String,
    team: String,
    assignee: String,
    agency: bool,
    messages: Vec<MessageRow>,
    next: Option<String>,
    /// A refusal tied to the body.
    error: Option<&'static str>,
    /// A refusal tied to the files.
    files_error: Option<&'static str>,
    files_hint: String,
    /// The reader's saved reply, put back in the form.
    draft_body: String,
    /// When it was saved.
    draft_saved: Option<String>,
}

/// `?cursor=`.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    cursor: Option<String>,
}

async fn thread_page(
    app: &AppState,
    who: &PageCaller,
    raw_id: &str,
    cursor: Option<&str>,
    refusal: Option<(&'static str, &'static str)>,
) -> Response {
    let Ok(id) = Uuid::try_parse(raw_id) else {
        return render::not_found(who);
    };
    let lang = who.lang;
    let cursor = cursor.and_then(Cursor::decode);
    let page = match shown::show(app, &who.caller, id, cursor.as_ref()).await {
        Ok(page) => page,
        Err(ThreadError::NotFound) => return render::not_found(who),
        Err(e) => return render::unavailable(who, &e),
    };
    let t = &page.thread;
    let messages = page
        .messages
        .iter()
        .map(|m| {
            let (sent, sent_iso) = render::when(m.sent_at);
            MessageRow {
                note: m.note,
                mine: m.mine,
                author: m.author_name.clone(),
                on_behalf_of: m.on_behalf_of.clone(),
                sent,
                sent_iso,
                body: m.body.clone(),
                read: !m.reads.is_empty(),
                attachments: m
                    .attachments
                    .iter()
                    .map(|a| {
                        (
                            format!("/threads/{id}/attachments/{}", a.id),
                            a.file_name.clone(),
                            render::size(lang, a.size_bytes),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let here = format!("/threads/{id}");
    let template = ThreadPage {
        lang,
        frame: Frame::signed_in(who, &t.subject, &here, true),
        id,
        csrf: who.csrf.clone(),
        subject: t.subject.clone(),
        category: app
            .config
            .category(&t.category)
            .map_or_else(|| t.category.clone(), |c| c.label(lang.tag()).to_owned()),
        state: render::state_label(lang, t.state),
        professional: t.professional_name.clone(),
        team: t.team.clone(),
        assignee: t
            .assignee
            .clone()
            .unwrap_or_else(|| lang.t("thread-unassigned").to_owned()),
        agency: page.side == Side::Agency,
        messages,
        next: page
            .next
            .map(|c| format!("/threads/{id}?cursor={}", c.encode())),
        error: refusal.filter(|(f, _)| *f != "files").map(|(_, m)| m),
        files_error: refusal.filter(|(f, _)| *f == "files").map(|(_, m)| m),
        files_hint: render::files_hint(lang, app.config.attachments.max_bytes),
        draft_body: page
            .draft
            .as_ref()
            .map(|d| d.text.body.clone())
            .unwrap_or_default(),
        draft_saved: page.draft.as_ref().map(|d| render::when(d.updated_at).0),
    };
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render::page(status, &template)
}

/// `GET /threads/{id}`.
pub async fn show(
    State(app): State<AppState>,
    who: PageCaller,
    Path(id): Path<String>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let cursor = query.ok().and_then(|q| q.0.cursor);
    thread_page(&app, &who, &id, cursor.as_deref(), None).await
}

/// `POST /threads/{id}/messages` (`multipart/form-data`: the token, the body, the note
/// box, then the files, each uploaded into the thread as it arrives and sent with the reply).
pub async fn reply(
    State(app): State<AppState>,
    who: PageCaller,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let Ok(thread) = Uuid::try_parse(&id) else {
        return render::not_found(&who);
    };
    let lang = who.lang;
    let Ok(mut parts) = Parts::read(request, app.config.threads.body_max_chars).await else {
        return render::expired(&who);
    };
    let (mut csrf, mut body, mut note) = (String::new(), String::new(), false);
    let mut files = Vec::new();
    let refused: Option<Result<(&'static str, &'static str, u16), ThreadError>> = loop {
        let part = match parts.next().await {
            Ok(Some(part)) => part,
            Ok(None) => break None,
            Err(Broken) => {
                attachments::withdraw(&app, &who.caller, thread, &files).await;
                return render::expired(&who);
            }
        };
        match part {
            Part::Text(name, value) => match name.as_str() {
                "csrf" => csrf = value,
                "body" => body = value,
                "note" => note = true,
                _ => {}
            },
            Part::NoFile => {}
            Part::File(name, content) => {
                if !who.csrf_ok(&csrf) {
                    attachments::withdraw(&app, &who.caller, thread, &files).await;
                    return render::expired(&who);
                }
                if files.len() >= MAX_FILES {
                    break Some(Ok(("files", "too_many_files", 422)));
                }
                match attachments::upload(
                    &app,
                    &who.caller,
                    thread,
                    &name,
                    multipart::content(content),
                )
                .await
                {
                    Ok(a) => files.push(a.id),
                    Err(e) => {
                        break Some(multipart::upload_refusal(e).map(|(k, s)| ("files", k, s)));
                    }
                }
            }
        }
    };
    if !who.csrf_ok(&csrf) {
        attachments::withdraw(&app, &who.caller, thread, &files).await;
        return render::expired(&who);
    }
    let outcome = match refused {
        Some(refusal) => refusal,
        None => match replies::reply(&app, &who.caller, thread, &body, note, &files).await {
            Ok(posted) => {
                return Redirect::to(&format!("/threads/{}", posted.thread_id)).into_response();
            }
            Err(ThreadError::Invalid { reason, .. }) => Ok(("body", reason, 422)),
            Err(ThreadError::Quota { .. }) => Ok(("body", "quota_reached", 429)),
            Err(ThreadError::QuotaUnavailable(_)) => Ok(("body", "sending_paused", 503)),
            Err(e) => Err(e),
        },
    };
    attachments::withdraw(&app, &who.caller, thread, &files).await;
    match outcome {
        Ok((field, key, status)) => {
            let mut r = thread_page(&app, &who, &id, None, Some((field, lang.t(key)))).await;
            if r.status() == StatusCode::UNPROCESSABLE_ENTITY {
                *r.status_mut() =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            }
            r
        }
        Err(ThreadError::NotFound) => render::not_found(&who),
        Err(e) => render::unavailable(&who, &e),
    }
}

/// `GET /threads/{id}/attachments/{attachment}`: a file of the thread, as a download.
pub async fn download(
    State(app): State<AppState>,
    who: PageCaller,
    Path((id, attachment)): Path<(String, String)>,
) -> Response {
    let (Ok(thread), Ok(attachment)) = (Uuid::try_parse(&id), Uuid::try_parse(&attachment)) else {
        return render::not_found(&who);
    };
    match attachments::download(&app, &who.caller, thread, attachment).await {
        Ok(download) => download.into_response(),
        Err(UploadError::Thread(ThreadError::NotFound)) => render::not_found(&who),
        Err(e) => render::unavailable(&who, &e),
    }
}

/// A form with only its token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

async fn apply(
    app: &AppState,
    who: &PageCaller,
    id: &str,
    form: Result<Form<TokenForm>, FormRejection>,
    action: Move,
) -> Response {
    match form {
        Ok(Form(form)) if who.csrf_ok(&form.csrf) => {}
        _ => return render::expired(who),
    }
    let Ok(thread) = Uuid::try_parse(id) else {
        return render::not_found(who);
    };
    match manage::apply(app, &who.caller, thread, action).await {
        Ok(()) => Redirect::to(&format!("/threads/{thread}")).into_response(),
        Err(ThreadError::NotFound) => render::not_found(who),
        Err(ThreadError::Invalid { reason, .. }) => {
            thread_page(app, who, id, None, Some(("body", who.lang.t(reason)))).await
        }
        Err(e) => render::unavailable(who, &e),
    }
}

/// `POST /threads/{id}/take`.
pub async fn take(
    State(app): State<AppState>,
    who: PageCaller,
    Path(id): Path<String>,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    apply(&app, &who, &id, form, Move::Take).await
}

/// `POST /threads/{id}/close`.
pub async fn close(
    State(app): State<AppState>,
    who: PageCaller,
    Path(id): Path<String>,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    apply(&app, &who, &id, form, Move::Close).await
}
