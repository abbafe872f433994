//! `/account/sessions` (« Sessions actives »): the account's live SSO sessions — when each was
//! opened and last used, this one marked — and a way to end any other one, or all of them
//! (ASVS 7.5.2). Ending a session revokes its tokens and tells the relying parties through
//! back-channel logout (`sso::session::end`, then `oidc::backchannel::notify`). Only the account's own sessions can be ended.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::note;
use crate::i18n::Lang;
use crate::oidc::backchannel;
use crate::sso::SignedIn;
use crate::sso::session;
use crate::state::AppState;
use crate::store::sessions;
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// One session as listed.
#[derive(Debug)]
struct Row {
    sid: String,
    current: bool,
    opened: String,
    opened_at: String,
    seen: String,
    seen_at: String,
}

/// The page.
#[derive(Template)]
#[template(path = "account_sessions.html")]
struct SessionsPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    rows: Vec<Row>,
    others: usize,
}

/// `POST /account/sessions/end`.
#[derive(Debug, Deserialize)]
pub struct EndForm {
    sid: Option<String>,
}

/// `POST /account/sessions/end-others`.
#[derive(Debug, Deserialize)]
pub struct EndOthersForm {}

/// `GET /account/sessions`.
pub async fn show(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let now = Utc::now();
    let rows: Vec<Row> = live(&app, &user)
        .await?
        .into_iter()
        .map(|s| Row {
            current: s.sid == user.session.sid,
            opened: ago(lang, now, s.created_at),
            opened_at: s.created_at.to_rfc3339(),
            seen: ago(lang, now, s.last_seen_at),
            seen_at: s.last_seen_at.to_rfc3339(),
            sid: s.sid,
        })
        .collect();
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = SessionsPage {
        lang,
        title: lang.t("account-sessions-title"),
        switch_href: page::switch_href("/account/sessions", lang),
        csrf,
        others: rows.iter().filter(|r| !r.current).count(),
        rows,
    };
    Ok((jar, page::html(StatusCode::OK, &page)).into_response())
}

/// `POST /account/sessions/end`: ends one other session of this account. A session of another
/// account, or a made-up id, is refused the same way (400) and nothing ends.
pub async fn end_one(
    State(app): State<AppState>,
    user: SignedIn,
    requester: Requester,
    CheckedForm(input): CheckedForm<EndForm>,
) -> Result<Response, PageError> {
    let Some(sid) = input.sid.filter(|s| is_sid(s)) else {
        return Err(PageError::BadRequest("account-sessions-error-unknown"));
    };
    if sid == user.session.sid {
        return Err(PageError::BadRequest("account-sessions-error-current"));
    }
    let owner = {
        let db = app.db.get().await?;
        sessions::account_of(&db, &sid).await?
    };
    if owner != Some(user.account.id) {
        let detail = serde_json::json!({ "sid": sid, "reason": "not_this_account" });
        let id = Some(user.account.id);
        note(&app, "session_ended", "refused", id, &requester, detail).await;
        return Err(PageError::BadRequest("account-sessions-error-unknown"));
    }
    end(&app, &user, &sid, "one", &requester).await?;
    Ok(Redirect::to("/account?done=sessions").into_response())
}

/// `POST /account/sessions/end-others`: ends every session of this account but this one.
pub async fn end_others(
    State(app): State<AppState>,
    user: SignedIn,
    requester: Requester,
    CheckedForm(EndOthersForm {}): CheckedForm<EndOthersForm>,
) -> Result<Response, PageError> {
    for other in live(&app, &user).await? {
        if other.sid != user.session.sid {
            end(&app, &user, &other.sid, "others", &requester).await?;
        }
    }
    Ok(Redirect::to("/account?done=sessions").into_response())
}

/// The account's live sessions, newest first.
async fn live(app: &AppState, user: &SignedIn) -> Result<Vec<sessions::Listed>, PageError> {
    let db = app.db.get().await?;
    let idle = app.config.session.idle_secs as f64;
    Ok(sessions::live_for_account(&db, user.account.id, idle).await?)
}

/// Ends one session and records who ended it from where.
#[tracing::instrument(skip_all)]
async fn end(
    app: &AppState,
    user: &SignedIn,
    sid: &str,
    scope: &str,
    requester: &Requester,
) -> Result<(), PageError> {
    let ended = session::end(app, sid).await?;
    backchannel::notify(app, ended).await;
    let detail = serde_json::json!({
        "sid": sid,
        "scope": scope,
        "from_sid": user.session.sid,
    });
    note(
        app,
        "session_ended",
        "success",
        Some(user.account.id),
        requester,
        detail,
    )
    .await;
    Ok(())
}

/// A session id as `sso::session::open` makes them: 22 base64url characters.
fn is_sid(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// How long ago, as people say it (sessions last hours, not days).
fn ago(lang: Lang, now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let minutes = (now - then).num_minutes().max(0);
    match (minutes / 60, minutes % 60) {
        (0, 0) => lang.t("account-sessions-just-now"),
        (0, m) => lang.t_args("account-sessions-minutes-ago", &[("m", m.to_string())]),
        (h, m) => lang.t_args(
            "account-sessions-hours-ago",
            &[("h", h.to_string()), ("m", m.to_string())],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_checked_before_any_lookup() {
        assert!(is_sid("abcdefghijklmnopqrstu_"));
        assert!(!is_sid("abcdefghijklmnopqrstu"), "too short");
        assert!(!is_sid("abcdefghijklmnopqrstu' "), "not base64url");
        assert!(!is_sid(&"a".repeat(4000)), "oversized");
    }

    #[test]
    fn times_read_as_minutes_or_hours_ago() {
        let now = Utc::now();
        let at = |mins: i64| now - chrono::Duration::minutes(mins);
        assert_eq!(ago(Lang::Fr, now, now), "à l'instant");
        assert_eq!(ago(Lang::Fr, now, at(5)), "il y a 5 min");
        assert_eq!(ago(Lang::Fr, now, at(125)), "il y a 2 h 5 min");
        assert_eq!(ago(Lang::En, now, at(5)), "5 min ago");
    }
}
