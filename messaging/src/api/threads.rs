//! `/api/v1/threads…`: the conversation endpoints for relying-party applications that embed
//! messaging. Bodies and answers are typed (and described in the OpenAPI document,
//! `openapi.rs`); every error has the shape of `error.rs`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::bearer::{ApiCaller, ApiLang};
use super::error::{ApiError, ErrorBody};
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

/// A subject category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    /// Its code (what `POST /api/v1/threads` takes).
    code: String,
    /// Its label in the caller's language.
    label: String,
}

/// The catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct Categories {
    categories: Vec<CategoryView>,
}

/// `GET /api/v1/categories`: the subject catalogue.
#[utoipa::path(get, path = "/api/v1/categories", tag = "threads",
    responses((status = 200, description = "The catalogue", body = Categories)))]
pub async fn categories(State(app): State<AppState>, ApiLang(lang): ApiLang) -> Json<Categories> {
    let categories = app
        .config
        .categories
        .iter()
        .map(|c| CategoryView {
            code: c.code.clone(),
            label: c.label(lang.tag()).to_owned(),
        })
        .collect();
    Json(Categories { categories })
}

/// Query of `GET /api/v1/threads`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Agents: `unassigned`, `mine` or `all` (their teams' queues); absent: the inbox.
    queue: Option<String>,
    /// A category code.
    category: Option<String>,
    /// `open`, `awaiting_professional`, `awaiting_agency` or `closed`.
    state: Option<String>,
    /// Last activity at or after (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Last activity before (RFC 3339).
    to: Option<DateTime<Utc>>,
    /// Words of the subject (case-insensitive), at most 200 characters.
    subject: Option<String>,
    /// A professional's `sub` (agents).
    professional: Option<String>,
    /// Only threads with unread messages.
    #[serde(default)]
    unread: bool,
    /// The `next` of the previous page.
    cursor: Option<String>,
}

/// A thread in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadSummary {
    id: Uuid,
    category: String,
    subject: String,
    #[schema(value_type = String, example = "awaiting_agency")]
    state: ThreadState,
    team: String,
    /// The professional's name.
    professional: String,
    /// The agent working it.
    assignee: Option<String>,
    #[schema(value_type = String, example = "professional")]
    opened_by: Side,
    /// The closed thread it follows up.
    refers_to: Option<Uuid>,
    last_message_at: DateTime<Utc>,
    /// Messages the caller has neither written nor read.
    unread: i64,
}

/// A page of threads.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadList {
    /// `professional` (an inbox) or `agency` (a queue).
    #[schema(value_type = String)]
    side: Side,
    threads: Vec<ThreadSummary>,
    /// The cursor of the next page; absent on the last.
    next: Option<String>,
}

/// `GET /api/v1/threads`.
#[utoipa::path(get, path = "/api/v1/threads", tag = "threads", params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page, newest activity first", body = ThreadList),
        (status = 400, description = "malformed_query", body = ErrorBody),
        (status = 401, description = "invalid_token", body = ErrorBody),
        (status = 404, description = "not_found: a queue asked for by someone who is no agent", body = ErrorBody),
    ))]
pub async fn list_threads(
    State(app): State<AppState>,
    who: ApiCaller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ThreadList>, ApiError> {
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
    let threads = page
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
    Ok(Json(ThreadList {
        side: page.side,
        threads,
        next: page.next.map(|c| c.encode()),
    }))
}

/// Body of `POST /api/v1/threads`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    /// A category code (`GET /api/v1/categories`).
    category: String,
    /// The subject line (in clear: name the matter, keep details for the body).
    subject: String,
    /// The first message.
    body: String,
    /// The professional's username: the one staff writes for, or the one an agent writes to.
    professional: Option<String>,
    /// A closed thread this one follows up.
    refers_to: Option<Uuid>,
}

/// Where a message went.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostedView {
    thread_id: Uuid,
    message_id: Uuid,
}

fn posted(posted: Posted) -> Response {
    let view = PostedView {
        thread_id: posted.thread_id,
        message_id: posted.message_id,
    };
    (StatusCode::CREATED, Json(view)).into_response()
}

/// `POST /api/v1/threads`: 201 with the thread's and the message's ids.
#[utoipa::path(post, path = "/api/v1/threads", tag = "threads", request_body = OpenBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Opened", body = PostedView),
        (status = 400, description = "malformed_body", body = ErrorBody),
        (status = 401, description = "invalid_token", body = ErrorBody),
        (status = 413, description = "body_too_large", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (`field` names it)", body = ErrorBody),
        (status = 429, description = "quota_reached (with Retry-After)", body = ErrorBody),
        (status = 503, description = "sending_paused, idp_unavailable or unavailable", body = ErrorBody),
    ))]
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
        team: None,
    };
    let done = open::open(&app, &who.caller, new)
        .await
        .map_err(|e| ApiError::from_thread(e, who.lang))?;
    Ok(posted(done))
}

/// Query of `GET /api/v1/threads/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next` of the previous page.
    cursor: Option<String>,
}

/// Who read a message, when.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadView {
    sub: String,
    at: DateTime<Utc>,
}

/// A message.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    id: Uuid,
    /// An internal note (agency side only).
    note: bool,
    /// The author's name.
    author: String,
    #[schema(value_type = String)]
    author_side: Side,
    /// Whether the caller wrote it.
    mine: bool,
    /// « au nom de … »: the professional a staff member wrote for.
    on_behalf_of: Option<String>,
    body: String,
    sent_at: DateTime<Utc>,
    read_by: Vec<ReadView>,
    /// The files sent with it (download: `GET /api/v1/threads/{id}/attachments/{attachment}`).
    attachments: Vec<AttachmentSummary>,
}

/// A file sent with a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentSummary {
    id: Uuid,
    name: String,
    content_type: String,
    size: i64,
}

/// A thread and a page of its messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadView {
    id: Uuid,
    category: String,
    subject: String,
    #[schema(value_type = String)]
    state: ThreadState,
    team: String,
    professional: String,
    assignee: Option<String>,
    #[schema(value_type = String)]
    opened_by: Side,
    refers_to: Option<Uuid>,
    /// The side the caller sees it from.
    #[schema(value_type = String)]
    side: Side,
    /// Oldest first.
    messages: Vec<MessageView>,
    next: Option<String>,
}

/// `GET /api/v1/threads/{id}`: the thread and a page of its messages (read from now on).
#[utoipa::path(get, path = "/api/v1/threads/{id}", tag = "threads", params(("id" = String, Path), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The thread", body = ThreadView),
        (status = 401, description = "invalid_token", body = ErrorBody),
        (status = 404, description = "not_found: no such thread, or not the caller's", body = ErrorBody),
    ))]
pub async fn show_thread(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<ThreadView>, ApiError> {
    let lang = who.lang;
    let id = thread_id(&id, lang)?;
    let cursor = cursor(query.cursor.as_deref(), lang)?;
    let page = show::show(&app, &who.caller, id, cursor.as_ref())
        .await
        .map_err(|e| ApiError::from_thread(e, lang))?;
    let messages = page
        .messages
        .into_iter()
        .map(|m| MessageView {
            id: m.id,
            note: m.note,
            author: m.author_name,
            author_side: m.author_side,
            mine: m.mine,
            on_behalf_of: m.on_behalf_of,
            body: m.body,
            sent_at: m.sent_at,
            read_by: m
                .reads
                .into_iter()
                .map(|(sub, at)| ReadView { sub, at })
                .collect(),
            attachments: m
                .attachments
                .into_iter()
                .map(|a| AttachmentSummary {
                    id: a.id,
                    name: a.file_name,
                    content_type: a.content_type,
                    size: a.size_bytes,
                })
                .collect(),
        })
        .collect();
    let t = page.thread;
    Ok(Json(ThreadView {
        id: t.id,
        category: t.category,
        subject: t.subject,
        state: t.state,
        team: t.team,
        professional: t.professional_name,
        assignee: t.assignee,
        opened_by: t.opened_by,
        refers_to: t.refers_to,
        side: page.side,
        messages,
        next: page.next.map(|c| c.encode()),
    }))
}

/// Body of `POST /api/v1/threads/{id}/messages`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    body: String,
    /// An internal note (agents only).
    #[serde(default)]
    note: bool,
    /// Attachments the caller uploaded to this thread and has not sent yet.
    #[serde(default)]
    attachments: Vec<Uuid>,
}

/// `POST /api/v1/threads/{id}/messages`: 201; the answer names the thread that holds the
/// message (a new one when a closed thread was too old to reopen).
#[utoipa::path(post, path = "/api/v1/threads/{id}/messages", tag = "threads", params(("id" = String, Path)),
    request_body = ReplyBody, security(("bearer" = [])),
    responses(
        (status = 201, description = "Sent", body = PostedView),
        (status = 400, description = "malformed_body", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody),
        (status = 429, description = "quota_reached (with Retry-After)", body = ErrorBody),
        (status = 503, description = "sending_paused", body = ErrorBody),
    ))]
pub async fn post_message(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReplyBody>,
) -> Result<Response, ApiError> {
    let id = thread_id(&id, who.lang)?;
    let done = reply::reply(
        &app,
        &who.caller,
        id,
        &body.body,
        body.note,
        &body.attachments,
    )
    .await
    .map_err(|e| ApiError::from_thread(e, who.lang))?;
    Ok(posted(done))
}

/// Body of `POST /api/v1/threads/{id}/assign`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The agent's username.
    agent: String,
}

/// Body of `POST /api/v1/threads/{id}/transfer`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// The team's code.
    team: String,
    /// Why (an internal note).
    note: String,
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

/// `POST /api/v1/threads/{id}/take`: assign to myself (agents).
#[utoipa::path(post, path = "/api/v1/threads/{id}/take", tag = "queues", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204, description = "Done"), (status = 404, description = "not_found", body = ErrorBody)))]
pub async fn take(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    apply(&app, &who, &id, Move::Take).await
}

/// `POST /api/v1/threads/{id}/release`: back to the unassigned queue (agents).
#[utoipa::path(post, path = "/api/v1/threads/{id}/release", tag = "queues", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204, description = "Done"), (status = 404, description = "not_found", body = ErrorBody)))]
pub async fn release(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    apply(&app, &who, &id, Move::Release).await
}

/// `POST /api/v1/threads/{id}/close` (agents).
#[utoipa::path(post, path = "/api/v1/threads/{id}/close", tag = "queues", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204, description = "Done"), (status = 404, description = "not_found", body = ErrorBody)))]
pub async fn close(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    apply(&app, &who, &id, Move::Close).await
}

/// `POST /api/v1/threads/{id}/assign`: to another agent of the team (supervisors).
#[utoipa::path(post, path = "/api/v1/threads/{id}/assign", tag = "queues", params(("id" = String, Path)),
    request_body = AssignBody, security(("bearer" = [])),
    responses((status = 204, description = "Done"), (status = 404, description = "not_found", body = ErrorBody),
        (status = 422, description = "supervisors_only or not_in_team", body = ErrorBody)))]
pub async fn assign(
    State(app): State<AppState>,
    who: ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<Response, ApiError> {
    apply(&app, &who, &id, Move::AssignTo(body.agent)).await
}

/// `POST /api/v1/threads/{id}/transfer`: to another team's queue, with an internal note.
#[utoipa::path(post, path = "/api/v1/threads/{id}/transfer", tag = "queues", params(("id" = String, Path)),
    request_body = TransferBody, security(("bearer" = [])),
    responses((status = 204, description = "Done"), (status = 404, description = "not_found", body = ErrorBody),
        (status = 422, description = "unknown_team or required", body = ErrorBody)))]
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
