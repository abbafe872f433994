//! `/api/v1/threads…`: the conversation endpoints for relying-party applications that embed
//! messaging. Bodies and answers are JSON; every error has the shape of `error.rs`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::bearer::{ApiCaller, ApiLang};
use super::error::ApiError;
use super::json::{ApiJson, ApiQuery};
use crate::domain::{Cursor, Side, ThreadState};
use crate::state::AppState;
use crate::store::threads::Filter;
use crate::threads::list::Queue;
use crate::threads::manage::Move;
use crate::threads::open::NewThread;
use crate::threads::{Posted, list, manage, open, reply, show};

/// A thread id in the path; anything that is not one is a thread that does not exist.
fn thread_id(raw: &str, lang: crate::i18n::Lang) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw).map_err(|_| ApiError::not_found(lang))
}

fn cursor(raw: Option<&str>, lang: crate::i18n::Lang) -> Result<Option<Cursor>, ApiError> {
    raw.map(|c| {
        Cursor::decode(c)
            .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "malformed_query", lang))
    })
    .transpose()
}

/// `GET /api/v1/categories`: the subject catalogue.
pub async fn categories(State(app): State<AppState>, ApiLang(lang): ApiLang) -> Response {
    let list: Vec<_> = app
        .config
        .categories
        .iter()
        .map(|c| json!({ "code": c.code, "label": c.label(lang.tag()) }))
        .collect();
    Json(json!({ "categories": list })).into_response()
}

/// Query of `GET /api/v1/threads`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Agents: `unassigned`, `mine` or `all` (their teams' queues); absent: the inbox.
    queue: Option<String>,
    category: Option<String>,
    state: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    subject: Option<String>,
    professional: Option<String>,
    #[serde(default)]
    unread: bool,
    cursor: Option<String>,
}

/// A thread in a list.
#[derive(Debug, Serialize)]
struct ThreadSummary {
    id: Uuid,
    category: String,
    subject: String,
    state: ThreadState,
    team: String,
    professional: String,
    assignee: Option<String>,
    opened_by: Side,
    refers_to: Option<Uuid>,
    last_message_at: DateTime<Utc>,
    unread: i64,
}

/// `GET /api/v1/threads`.
pub async fn list_threads(
    State(app): State<AppState>,
    who: ApiCaller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let lang = who.lang;
    let bad = || ApiError::new(StatusCode::BAD_REQUEST, "malformed_query", lang);
    let queue = match query.queue.as_deref() {
        None => None,
        Some("unassigned") => Some(Queue::Unassigned),
        Some("mine") => Some(Queue::Mine),
        Some("all") => Some(Queue::All),
        Some(_) => return Err(bad()),
    };
    let state = match query.state.as_deref() {
        None => None,
        Some(s) => Some(ThreadState::parse(s).ok_or_else(bad)?),
    };
    if query
        .subject
        .as_ref()
        .is_some_and(|s| s.chars().count() > 200)
    {
        return Err(bad());
    }
    let filter = Filter {
        category: query.category,
        state,
        from: query.from,
        to: query.to,
        subject: query.subject.filter(|s| !s.trim().is_empty()),
        assignee: None,
        professional: query.professional,
        unread_only: query.unread,
    };
    let cursor = cursor(query.cursor.as_deref(), lang)?;
    let page = list::list(&app, &who.caller, queue, filter, cursor.as_ref())
        .await
        .map_err(|e| ApiError::from_thread(e, lang))?;
    let threads: Vec<ThreadSummary> = page
        .threads
        .into_iter()
        .map(|l| ThreadSummary {
            id: l.thread.id,
            category: l.thread.category,
            subject: l.thread.subject,
            state: l.thread.state,
            team: l.thread.team,
            professional: l.thread.professional_name,
            assignee: l.thread.assignee,
            opened_by: l.thread.opened_by,
            refers_to: l.thread.refers_to,
            last_message_at: l.thread.last_message_at,
            unread: l.unread,
        })
        .collect();
    Ok(Json(json!({
        "side": page.side,
        "threads": threads,
        "next": page.next.map(|c| c.encode()),
    }))
    .into_response())
}

/// Body of `POST /api/v1/threads`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    category: String,
    subject: String,
    body: String,
    /// The professional's username: the one staff writes for, or the one an agent writes to.
    professional: Option<String>,
    refers_to: Option<Uuid>,
}

fn posted(status: StatusCode, posted: Posted) -> Response {
    (
        status,
        Json(json!({ "thread_id": posted.thread_id, "message_id": posted.message_id })),
    )
        .into_response()
}

/// `POST /api/v1/threads`: 201 with the thread's and the message's ids.
pub async fn open_thread(
    State(app): State<AppState>,
    who: ApiCaller,
    ApiJson(body): ApiJson<OpenBody>,
) -> Result<Response, ApiError> {
    let new = NewThread {
        category: body.category,
        subject: body.subject,
        body: body.body,
        professional: body.professional,
        refers_to: body.refers_to,
    };
    let done = open::open(&app, &who.caller, new)
        .await
        .map_err(|e| ApiError::from_thread(e, who.lang))?;
    Ok(posted(StatusCode::CREATED, done))
}

/// Query of `GET /api/v1/threads/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    cursor: Option<String>,
}

/// `GET /api/v1/threads/{id}`: the thread and a page of its messages (read from now on).
pub async fn show_thread(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let lang = who.lang;
    let id = thread_id(&id, lang)?;
    let cursor = cursor(query.cursor.as_deref(), lang)?;
    let page = show::show(&app, &who.caller, id, cursor.as_ref())
        .await
        .map_err(|e| ApiError::from_thread(e, lang))?;
    let messages: Vec<_> = page
        .messages
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "note": m.note,
                "author": m.author_name,
                "author_side": m.author_side,
                "mine": m.mine,
                "on_behalf_of": m.on_behalf_of,
                "body": m.body,
                "sent_at": m.sent_at,
                "read_by": m.reads.iter().map(|(sub, at)| json!({ "sub": sub, "at": at })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let t = &page.thread;
    Ok(Json(json!({
        "id": t.id,
        "category": t.category,
        "subject": t.subject,
        "state": t.state,
        "team": t.team,
        "professional": t.professional_name,
        "assignee": t.assignee,
        "opened_by": t.opened_by,
        "refers_to": t.refers_to,
        "side": page.side,
        "messages": messages,
        "next": page.next.map(|c| c.encode()),
    }))
    .into_response())
}

/// Body of `POST /api/v1/threads/{id}/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    body: String,
    /// An internal note (agents only).
    #[serde(default)]
    note: bool,
}

/// `POST /api/v1/threads/{id}/messages`: 201; the answer names the thread that holds the
/// message (a new one when a closed thread was too old to reopen).
pub async fn post_message(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReplyBody>,
) -> Result<Response, ApiError> {
    let id = thread_id(&id, who.lang)?;
    let done = reply::reply(&app, &who.caller, id, &body.body, body.note)
        .await
        .map_err(|e| ApiError::from_thread(e, who.lang))?;
    Ok(posted(StatusCode::CREATED, done))
}

/// Body of `POST /api/v1/threads/{id}/assign`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    agent: String,
}

async fn apply(
    app: &AppState,
    who: &ApiCaller,
    id: &str,
    action: Move,
) -> Result<Response, ApiError> {
    let id = thread_id(id, who.lang)?;
    manage::apply(app, &who.caller, id, action)
        .await
        .map_err(|e| ApiError::from_thread(e, who.lang))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v1/threads/{id}/take`.
pub async fn take(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    apply(&app, &who, &id, Move::Take).await
}

/// `POST /api/v1/threads/{id}/release`.
pub async fn release(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    apply(&app, &who, &id, Move::Release).await
}

/// `POST /api/v1/threads/{id}/close`.
pub async fn close(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    apply(&app, &who, &id, Move::Close).await
}

/// Body of `POST /api/v1/threads/{id}/transfer`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    team: String,
    /// Why (an internal note).
    note: String,
}

/// `POST /api/v1/threads/{id}/transfer`.
pub async fn transfer(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Response, ApiError> {
    let action = Move::Transfer {
        team: body.team,
        note: body.note,
    };
    apply(&app, &who, &id, action).await
}

/// `POST /api/v1/threads/{id}/assign`.
pub async fn assign(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<Response, ApiError> {
    apply(&app, &who, &id, Move::AssignTo(body.agent)).await
}
