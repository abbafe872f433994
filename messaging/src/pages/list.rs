//! `GET /` (the inbox, or the sign-in page) and `GET /queue` (the agents' queues): the
//! threads newest activity first, filtered, one page at a time (keyset).

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::caller::PageCaller;
use super::render::{self, Frame};
use crate::domain::{Cursor, ThreadState};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::threads::Filter;
use crate::threads::list::{self, Queue};

/// The filters of a list page.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    view: Option<String>,
    category: Option<String>,
    state: Option<String>,
    subject: Option<String>,
    unread: Option<String>,
    cursor: Option<String>,
}

/// A row of the table.
#[derive(Debug)]
struct Row {
    id: uuid::Uuid,
    subject: String,
    category: String,
    state: &'static str,
    professional: String,
    last: String,
    last_iso: String,
    unread: i64,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    lang: Lang,
    frame: Frame,
    action: &'static str,
    view: Option<&'static str>,
    queue_tabs: Option<Vec<(String, &'static str, bool)>>,
    categories: Vec<(String, String)>,
    states: Vec<(String, &'static str)>,
    filter_category: String,
    filter_state: String,
    filter_subject: String,
    filter_unread: bool,
    rows: Vec<Row>,
    next: Option<String>,
}

/// `GET /`: the inbox when signed in, else the sign-in page (`PageCaller`'s rejection).
pub async fn inbox(
    axum::extract::State(app): axum::extract::State<AppState>,
    who: PageCaller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    show(&app, &who, None, query).await
}

/// `GET /queue?view=unassigned|mine|all`.
pub async fn queue(
    axum::extract::State(app): axum::extract::State<AppState>,
    who: PageCaller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let view = match query.view.as_deref() {
        Some("mine") => Queue::Mine,
        Some("all") => Queue::All,
        _ => Queue::Unassigned,
    };
    show(&app, &who, Some(view), query).await
}

async fn show(
    app: &AppState,
    who: &PageCaller,
    queue: Option<Queue>,
    query: ListQuery,
) -> Response {
    let lang = who.lang;
    let state = query.state.as_deref().and_then(ThreadState::parse);
    let filter = Filter {
        category: query
            .category
            .clone()
            .filter(|c| app.config.category(c).is_some()),
        state,
        subject: query
            .subject
            .clone()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.chars().take(200).collect()),
        unread_only: query.unread.is_some(),
        ..Filter::default()
    };
    let cursor = query.cursor.as_deref().and_then(Cursor::decode);
    let page = match list::list(app, &who.caller, queue, filter, cursor.as_ref()).await {
        Ok(page) => page,
        Err(crate::threads::ThreadError::NotFound) => return render::not_found(who),
        Err(e) => return render::unavailable(who, &e),
    };
    let (action, view, title) = match queue {
        None => ("/", None, lang.t("inbox-title")),
        Some(q) => ("/queue", Some(view_name(q)), lang.t("queue-title")),
    };
    let here = match view {
        Some(v) => format!("/queue?view={v}"),
        None => "/".to_owned(),
    };
    let queue_tabs = queue.map(|current| {
        [Queue::Unassigned, Queue::Mine, Queue::All]
            .into_iter()
            .map(|q| {
                let label = lang.t(&format!("queue-{}", view_name(q)));
                (format!("/queue?view={}", view_name(q)), label, q == current)
            })
            .collect()
    });
    let rows = page
        .threads
        .iter()
        .map(|l| {
            let (last, last_iso) = render::when(l.thread.last_message_at);
            Row {
                id: l.thread.id,
                subject: l.thread.subject.clone(),
                category: app.config.category(&l.thread.category).map_or_else(
                    || l.thread.category.clone(),
                    |c| c.label(lang.tag()).to_owned(),
                ),
                state: render::state_label(lang, l.thread.state),
                professional: l.thread.professional_name.clone(),
                last,
                last_iso,
                unread: l.unread,
            }
        })
        .collect();
    let next = page.next.map(|c| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        if let Some(v) = view {
            url.append_pair("view", v);
        }
        for (k, v) in [
            ("category", &query.category),
            ("state", &query.state),
            ("subject", &query.subject),
            ("unread", &query.unread),
        ] {
            if let Some(v) = v {
                url.append_pair(k, v);
            }
        }
        url.append_pair("cursor", &c.encode());
        format!("{action}?{}", url.finish())
    });
    let states = [
        ThreadState::Open,
        ThreadState::AwaitingAgency,
        ThreadState::AwaitingProfessional,
        ThreadState::Closed,
    ]
    .into_iter()
    .map(|s| (s.as_str().to_owned(), render::state_label(lang, s)))
    .collect();
    let categories = app
        .config
        .categories
        .iter()
        .map(|c| (c.code.clone(), c.label(lang.tag()).to_owned()))
        .collect();
    let page = ListPage {
        lang,
        frame: Frame::signed_in(who, title, &here, true),
        action,
        view,
        queue_tabs,
        categories,
        states,
        filter_category: query.category.unwrap_or_default(),
        filter_state: query.state.unwrap_or_default(),
        filter_subject: query.subject.unwrap_or_default(),
        filter_unread: query.unread.is_some(),
        rows,
        next,
    };
    render::page(StatusCode::OK, &page)
}

fn view_name(queue: Queue) -> &'static str {
    match queue {
        Queue::Unassigned => "unassigned",
        Queue::Mine => "mine",
        Queue::All => "all",
    }
}
