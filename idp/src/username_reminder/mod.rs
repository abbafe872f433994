//! « Nom d'utilisateur oublié? » (issue 10): a person gives their e-mail address and, for every
//! active account whose address is proven (`email_verified`), the username is e-mailed there.
//! The answer page is the same whether or not the address is known, so the form tells nobody
//! who has an account; sends are bounded per client address (minute window shared by the nodes,
//! and per hour) and per address (per day), so it cannot be used to flood a mailbox.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::domain::EmailAddress;
use crate::i18n::Lang;
use crate::mail::{self, Notice, Recipient};
use crate::state::AppState;
use crate::store::{accounts, audit, windows};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// Reminders one client address may ask for per hour.
const PER_IP_PER_HOUR: u32 = 20;
/// Reminders one e-mail address may receive per day.
const PER_ADDRESS_PER_DAY: u32 = 3;

/// `/username/forgot`.
pub fn router() -> Router<AppState> {
    Router::new().route("/username/forgot", get(show).post(submit))
}

/// The form.
#[derive(Template)]
#[template(path = "username_forgot.html")]
struct FormPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    email: String,
    error: Option<String>,
}

/// The answer, the same for every address.
#[derive(Template)]
#[template(path = "username_sent.html")]
struct SentPage {
    lang: Lang,
    title: String,
    switch_href: String,
    body: String,
}

/// `POST /username/forgot`.
#[derive(Debug, Deserialize)]
pub struct ReminderForm {
    #[serde(default)]
    email: String,
}

fn form(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    email: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = FormPage {
        lang,
        title: lang.t("username-forgot-title"),
        switch_href: page::switch_href("/username/forgot", lang),
        csrf,
        email: email.to_owned(),
        error: error.map(|key| lang.t(key)),
    };
    let status = page::form_status(error.is_some());
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /username/forgot`.
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    form(&app, lang, jar, "", None)
}

/// `POST /username/forgot`.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(typed): CheckedForm<ReminderForm>,
) -> Result<Response, PageError> {
    let typed_email = typed.email.trim();
    let address: EmailAddress = match EmailAddress::parse(typed_email) {
        Ok(address) => address,
        Err(_) if typed_email.is_empty() => {
            return form(&app, lang, jar, "", Some("username-forgot-error-missing"));
        }
        // Malformed: said plainly; echoed only when it is printable and short.
        Err(_) => {
            let echo = if typed_email.len() <= 254 && crate::domain::has_no_controls(typed_email) {
                typed_email
            } else {
                ""
            };
            return form(
                &app,
                lang,
                jar,
                echo,
                Some("username-forgot-error-malformed"),
            );
        }
    };
    let folded = address.as_ref().to_lowercase();
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    let ip = requester.ip.to_string();
    if !windows::allow(&app.kv, "username-reminder", requester.ip, limit).await?
        || !windows::within(
            &app.kv,
            "username-reminder-ip-hour",
            &ip,
            3600,
            PER_IP_PER_HOUR,
        )
        .await?
        || !windows::within(
            &app.kv,
            "username-reminder-to",
            &folded,
            86_400,
            PER_ADDRESS_PER_DAY,
        )
        .await?
    {
        return Err(PageError::TooMany);
    }
    let sent = {
        let mut db = app.db.get().await?;
        let tx = db.transaction().await?;
        let holders = accounts::with_proven_email(&tx, &folded).await?;
        for account in &holders {
            let to = Recipient::at(account, address.as_ref().to_owned());
            let notice = Notice::UsernameReminder {
                username: account.username.clone(),
            };
            mail::enqueue(&tx, &to, &notice).await?;
        }
        let event = audit::Event {
            kind: "username_reminder",
            outcome: if holders.is_empty() {
                "unknown_address"
            } else {
                "sent"
            },
            account_id: holders.first().map(|a| a.id),
            client_id: None,
            ip: Some(requester.ip),
            user_agent: requester.user_agent.as_deref(),
            detail: serde_json::json!({ "accounts": holders.len() }),
        };
        audit::record(&tx, &event).await?;
        tx.commit().await?;
        holders.len()
    };
    tracing::info!(event = "username_reminder", accounts = sent);
    let page = SentPage {
        lang,
        title: lang.t("username-sent-title"),
        switch_href: page::switch_href("/username/forgot", lang),
        body: lang.t_args(
            "username-sent-body",
            &[("email", address.as_ref().to_owned())],
        ),
    };
    Ok(page::html(StatusCode::OK, &page).into_response())
}
