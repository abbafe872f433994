//! `GET /threads/{id}` (a page of the thread; its messages count as read), `POST
//! /threads/{id}/messages` (a reply, or an agent's internal note), and the agents' `take`
//! and `close`. Message bodies are shown as plain text (escaped; a link is text, never an
//! anchor), line breaks kept.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::caller::PageCaller;
use super::render::{self, Frame};
use crate::domain::{Cursor, Side};
use crate::i18n::Lang;
use crate::state::AppState;
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
    error: Option<&'static str>,
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
    error: Option<&'static str>,
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
        error,
    };
    let status = if error.is_some() {
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

/// The reply form.
#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /threads/{id}/messages`.
pub async fn reply(
    State(app): State<AppState>,
    who: PageCaller,
    Path(id): Path<String>,
    form: Result<Form<ReplyForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return render::expired(&who);
    };
    if !who.csrf_ok(&form.csrf) {
        return render::expired(&who);
    }
    let Ok(thread) = Uuid::try_parse(&id) else {
        return render::not_found(&who);
    };
    let lang = who.lang;
    match replies::reply(
        &app,
        &who.caller,
        thread,
        &form.body,
        form.note.is_some(),
        &[],
    )
    .await
    {
        Ok(posted) => Redirect::to(&format!("/threads/{}", posted.thread_id)).into_response(),
        Err(ThreadError::Invalid { reason, .. }) => {
            thread_page(&app, &who, &id, None, Some(lang.t(reason))).await
        }
        Err(ThreadError::Quota { .. }) => {
            let mut r = thread_page(&app, &who, &id, None, Some(lang.t("quota_reached"))).await;
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            r
        }
        Err(ThreadError::QuotaUnavailable(_)) => {
            let mut r = thread_page(&app, &who, &id, None, Some(lang.t("sending_paused"))).await;
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            r
        }
        Err(ThreadError::NotFound) => render::not_found(&who),
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
            thread_page(app, who, id, None, Some(who.lang.t(reason))).await
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
