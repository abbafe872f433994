//! `POST /helpdesk/accounts/{id}/act`: one action on one account, after the agent ticked at
//! least `helpdesk.min_checks` of the identity checks and chose a reason code. A form missing
//! either is shown again with its problems at their fields and nothing changes. The action and
//! what backed it are audited (`helpdesk_action`, with the agent); actions that the command
//! line also offers record their own event as well, with the same detail.
//!
//! The console never acts on an agent's own account nor on an account holding an agency role
//! (those go to the security team): 403.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::HelpDeskAgent;
use super::account::{self, target};
use super::identity::Typed;
use crate::admin::{temp_password, users};
use crate::i18n::Lang;
use crate::mail::{self, Notice, Recipient};
use crate::oidc::backchannel;
use crate::sso::session;
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::second_factors::{self, Methods};
use crate::store::{audit, sessions};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, page};

/// What an agent can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Lift every lock and reopen the recovery.
    Unlock,
    /// A system-generated temporary password, read to the caller.
    TemporaryPassword,
    /// The username e-mailed to the address on file.
    SendUsername,
    /// No sign-in until enabled; every session ends.
    Disable,
    /// Sign-in allowed again.
    Enable,
    /// Every session ends (and its tokens).
    EndSessions,
    /// The authenticator and recovery codes forgotten: the next sign-in sets up a new one.
    ResetSecondFactor,
}

impl Action {
    const ALL: [Action; 7] = [
        Action::Unlock,
        Action::TemporaryPassword,
        Action::SendUsername,
        Action::Disable,
        Action::Enable,
        Action::EndSessions,
        Action::ResetSecondFactor,
    ];

    /// Its form value.
    pub fn id(self) -> &'static str {
        match self {
            Action::Unlock => "unlock",
            Action::TemporaryPassword => "temporary_password",
            Action::SendUsername => "send_username",
            Action::Disable => "disable",
            Action::Enable => "enable",
            Action::EndSessions => "end_sessions",
            Action::ResetSecondFactor => "reset_second_factor",
        }
    }

    /// Its label's message key.
    pub fn label_key(self) -> &'static str {
        match self {
            Action::Unlock => "helpdesk-action-unlock",
            Action::TemporaryPassword => "helpdesk-action-temporary-password",
            Action::SendUsername => "helpdesk-action-send-username",
            Action::Disable => "helpdesk-action-disable",
            Action::Enable => "helpdesk-action-enable",
            Action::EndSessions => "helpdesk-action-end-sessions",
            Action::ResetSecondFactor => "helpdesk-action-reset-second-factor",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id() == value)
    }

    /// The actions that make sense for `account` now.
    pub fn offered(account: &Account, methods: Methods) -> Vec<Action> {
        Self::ALL
            .into_iter()
            .filter(|a| match a {
                Action::SendUsername => account.email.is_some(),
                Action::Disable => account.disabled_at.is_none(),
                Action::Enable => account.disabled_at.is_some(),
                Action::ResetSecondFactor => methods.any(),
                _ => true,
            })
            .collect()
    }
}

/// The form.
#[derive(Debug, Deserialize)]
pub struct ActForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    /// The checklist's boxes (`check.<id>`), and the token.
    #[serde(flatten)]
    other: HashMap<String, String>,
}

/// What an action did (every help-desk action ends here).
#[derive(Template)]
#[template(path = "helpdesk_done.html")]
pub(super) struct DonePage {
    pub lang: Lang,
    pub title: String,
    pub switch_href: String,
    /// Back to what was acted on: (href, label).
    pub back: Option<(String, String)>,
    pub message: String,
    /// A temporary password to read to the caller, and when it expires.
    pub temporary: Option<(String, String)>,
}

/// `POST /helpdesk/accounts/{id}/act`.
pub async fn act(
    State(app): State<AppState>,
    agent: HelpDeskAgent,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    Path(id): Path<String>,
    CheckedForm(form): CheckedForm<ActForm>,
) -> Result<Response, PageError> {
    let account = target(&app, &id).await?;
    if account.id == agent.user.account.id || !account.roles.is_empty() {
        return Err(PageError::Forbidden);
    }
    let methods = second_factors::methods(&app.db.get().await?, account.id).await?;
    let action =
        Action::parse(&form.action).filter(|a| Action::offered(&account, methods).contains(a));
    let typed = Typed::read(&app.config.helpdesk, &form.other, form.reason, form.action);
    let mut problems = typed.problems(&app.config.helpdesk);
    if action.is_none() {
        problems.push(("action", "helpdesk-error-action"));
    }
    let Some(action) = action.filter(|_| problems.is_empty()) else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return account::render(&app, lang, jar, &account, typed, problems, status).await;
    };
    let detail = typed.detail(&agent.user.account);
    let temporary = perform(&app, action, &account, &detail).await?;
    let event = audit::Event {
        kind: "helpdesk_action",
        outcome: "success",
        account_id: Some(account.id),
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail,
    };
    audit::record(&app.db.get().await?, &event).await?;
    let page = DonePage {
        lang,
        title: lang.t("helpdesk-done-title"),
        switch_href: page::switch_href(&format!("/helpdesk/accounts/{}", account.id), lang),
        back: Some((
            format!("/helpdesk/accounts/{}", account.id),
            format!(
                "{} {}",
                lang.t("helpdesk-back-to-account"),
                account.username
            ),
        )),
        message: lang.t(&format!("{}-done", action.label_key())),
        temporary: temporary.map(|issued| {
            (
                issued.password,
                issued.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            )
        }),
    };
    Ok(page::html(StatusCode::OK, &page).into_response())
}

/// Does it; the temporary password when one was issued.
async fn perform(
    app: &AppState,
    action: Action,
    account: &Account,
    detail: &serde_json::Value,
) -> Result<Option<temp_password::Issued>, PageError> {
    let admin = |e: users::AddUserError| match e {
        users::AddUserError::Store(e) => PageError::from(e),
        other => PageError::internal(other.to_string()),
    };
    match action {
        Action::Unlock => {
            let db = app.db.get().await?;
            users::unlock_account(&db, &app.kv, account, detail.clone())
                .await
                .map_err(admin)?;
        }
        Action::TemporaryPassword => {
            let mut db = app.db.get().await?;
            let tx = db.transaction().await?;
            let policy = &app.config.password_policy;
            let issued =
                temp_password::issue_for(&tx, &app.hasher, policy, account.id, detail.clone())
                    .await
                    .map_err(admin)?;
            tx.commit().await?;
            return Ok(Some(issued));
        }
        Action::SendUsername => {
            let Some(to) = Recipient::of(account) else {
                return Err(PageError::BadRequest("helpdesk-error-action"));
            };
            let db = app.db.get().await?;
            let notice = Notice::UsernameReminder {
                username: account.username.clone(),
            };
            mail::enqueue(&db, &to, &notice).await?;
        }
        Action::Disable | Action::Enable => {
            let db = app.db.get().await?;
            accounts::set_disabled(&db, account.id, action == Action::Disable).await?;
            drop(db);
            if action == Action::Disable {
                end_sessions(app, account).await?;
            }
        }
        Action::EndSessions => end_sessions(app, account).await?,
        Action::ResetSecondFactor => {
            // The authenticator, the passkeys and the codes go together, or none.
            let mut db = app.db.get().await?;
            let tx = db.transaction().await?;
            second_factors::reset(&tx, account.id, true).await?;
            tx.commit().await?;
            drop(db);
            end_sessions(app, account).await?;
        }
    }
    Ok(None)
}

/// Ends every live session of the account (their tokens revoked, the relying parties told).
async fn end_sessions(app: &AppState, account: &Account) -> Result<(), PageError> {
    let live = {
        let db = app.db.get().await?;
        // Every session not yet ended, however long idle.
        sessions::live_for_account(&db, account.id, 1.0e9).await?
    };
    for s in live {
        let ended = session::end(app, &s.sid).await?;
        backchannel::notify(app, ended).await;
    }
    Ok(())
}
