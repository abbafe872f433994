//! `/account/username` (« Changer de nom d'utilisateur »): the user names an e-mail address of
//! their choice to sign in with; their `IP…`/`CE…` username stays valid (the seed, section 3).
//! The address becomes a login name only once its owner follows the single-use link e-mailed to
//! it (`alias.rs`). The current password is asked first: the address also becomes the account's
//! e-mail, where notices and recovery links go (ASVS 7.5.1).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use serde::Deserialize;

use super::{message, record};
use crate::domain::SecretToken;
use crate::domain::{AddressError, EmailAddress};
use crate::i18n::Lang;
use crate::mail::{self, Notice, Recipient};
use crate::sso::SignedIn;
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::email_proofs::{self, Purpose};
use crate::store::windows;
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// Verification e-mails one account may have sent per window: enough to fix a typo, too few
/// to use the idp to flood someone's mailbox.
const MAILS_PER_WINDOW: u32 = 5;

/// The window, in seconds.
const WINDOW_SECS: u64 = 3600;

const ACTION: &str = "/account/username";

/// Where a request that e-mailed a link sends the browser.
const SENT: &str = "/account/username/sent";

/// The page.
#[derive(Template)]
#[template(path = "account_username.html")]
struct UsernamePage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    names: String,
    hint: String,
    email: String,
    email_error: Option<String>,
    current_error: Option<String>,
    errors: Vec<(&'static str, String)>,
}

/// The form.
#[derive(Debug, Deserialize)]
pub struct UsernameForm {
    email: Option<String>,
    current_password: Option<String>,
}

/// What was wrong with a submitted form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Problem {
    Address(AddressError),
    AlreadyYours,
    Taken,
    TooMany,
    CurrentPassword,
}

impl Problem {
    fn key(self) -> &'static str {
        match self {
            Problem::Address(AddressError::Empty) => "account-username-error-missing",
            Problem::Address(AddressError::TooLong) => "account-username-error-too-long",
            Problem::Address(AddressError::Malformed) => "account-username-error-malformed",
            Problem::AlreadyYours => "account-username-error-yours",
            Problem::Taken => "account-username-error-taken",
            Problem::TooMany => "account-username-error-too-many",
            Problem::CurrentPassword => "password-current-wrong",
        }
    }
}

/// `GET /account/username`.
pub async fn show(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    render(&app, lang, jar, &user.account, "", None).await
}

/// `POST /account/username`: checks the address and the current password, then e-mails the
/// single-use link to the new address and says so.
pub async fn submit(
    State(app): State<AppState>,
    SignedIn { account, .. }: SignedIn,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(input): CheckedForm<UsernameForm>,
) -> Result<Response, PageError> {
    let raw = input.email.unwrap_or_default();
    // Shown back only when it could be an address; never more than fits the field.
    let shown: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(254)
        .collect();
    let address = match EmailAddress::parse(&raw) {
        Ok(address) => address,
        Err(e) => {
            let problem = Some(Problem::Address(e));
            return render(&app, lang, jar, &account, &shown, problem).await;
        }
    };
    let current = input.current_password.unwrap_or_default();
    if !crate::login::reverify(&app, &account, &current, &requester).await? {
        let problem = Some(Problem::CurrentPassword);
        return render(&app, lang, jar, &account, &shown, problem).await;
    }
    if let Some(problem) = unavailable(&app, &account, &address).await? {
        let reason = match problem {
            Problem::AlreadyYours => "already_yours",
            _ => "taken",
        };
        let detail = serde_json::json!({ "reason": reason, "address": address.as_ref() });
        super::note(
            &app,
            "username_change_requested",
            "refused",
            Some(account.id),
            &requester,
            detail,
        )
        .await;
        return render(&app, lang, jar, &account, &shown, Some(problem)).await;
    }
    if !within_mail_limit(&app, &account).await? {
        let problem = Some(Problem::TooMany);
        return render(&app, lang, jar, &account, &shown, problem).await;
    }
    send_link(&app, &account, &address, &requester).await?;
    // Post/redirect/get: a reload of the next page sends nothing again.
    Ok(Redirect::to(SENT).into_response())
}

/// `GET /account/username/sent`: « Consultez vos courriels », naming the address the account's
/// latest link went to; without a link waiting, back to the form.
pub async fn sent(
    State(app): State<AppState>,
    user: SignedIn,
    RequestLang(lang): RequestLang,
) -> Result<Response, PageError> {
    let pending = {
        let db = app.db.get().await?;
        email_proofs::pending(&db, user.account.id, Purpose::Alias).await?
    };
    let Some(address) = pending else {
        return Ok(Redirect::to(ACTION).into_response());
    };
    let ttl = app.config.mail.proof_ttl_secs;
    let paragraphs = vec![
        lang.t_args("account-username-sent", &[("email", address)]),
        lang.t_args("account-username-sent-ttl", &[("duration", duration(ttl))]),
        lang.t("account-username-sent-spam"),
    ];
    let links = vec![("/account", lang.t("account-back"))];
    Ok(message(
        lang,
        StatusCode::OK,
        "account-username-sent-title",
        paragraphs,
        links,
        SENT,
    ))
}

/// Why `address` cannot become this account's login name: it already is, or another account
/// signs in with it. (Checked again, by the unique key, when the link is followed.)
async fn unavailable(
    app: &AppState,
    account: &Account,
    address: &EmailAddress,
) -> Result<Option<Problem>, PageError> {
    let db = app.db.get().await?;
    let folded = address.folded();
    let holder = accounts::find_by_login_name(&db, &folded).await?;
    Ok(match holder {
        Some(found) if found.account.id == account.id => Some(Problem::AlreadyYours),
        Some(_) => Some(Problem::Taken),
        None => None,
    })
}

/// Counts one verification e-mail for the account; whether it is within the limit.
async fn within_mail_limit(app: &AppState, account: &Account) -> Result<bool, PageError> {
    let id = account.id.to_string();
    Ok(windows::within(&app.kv, "alias-mail", &id, WINDOW_SECS, MAILS_PER_WINDOW).await?)
}

/// The proof (by digest), the e-mail to the new address and the audit event, in one
/// transaction. The link is built from the configured public URL, never from the request's
/// `Host` or `X-Forwarded-Host`.
#[tracing::instrument(skip_all, fields(account = %account.id))]
async fn send_link(
    app: &AppState,
    account: &Account,
    address: &EmailAddress,
    requester: &Requester,
) -> Result<(), PageError> {
    let token = SecretToken::generate().map_err(PageError::internal)?;
    let ttl = i64::try_from(app.config.mail.proof_ttl_secs).unwrap_or(i64::MAX);
    let expires_at = Utc::now() + chrono::Duration::seconds(ttl.min(86_400 * 30));
    let link = format!(
        "{}/account/username/verify?token={}",
        app.issuer,
        token.expose()
    );
    let to = Recipient::at(account, address.as_ref().to_owned());
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    email_proofs::insert(
        &tx,
        &token.digest(),
        account.id,
        Purpose::Alias,
        address.as_ref(),
        expires_at,
    )
    .await?;
    mail::enqueue(&tx, &to, &Notice::VerifyAlias { link }).await?;
    let detail = serde_json::json!({ "address": address.as_ref() });
    record(
        &tx,
        "username_change_requested",
        "success",
        account.id,
        requester,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The page, blank or with the problem of a submitted form (400, 429 when over the limit).
async fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    account: &Account,
    email: &str,
    problem: Option<Problem>,
) -> Result<Response, PageError> {
    let names = {
        let db = app.db.get().await?;
        accounts::names(&db, account.id).await?
    };
    let alias = names.into_iter().find(|n| n.contains('@'));
    let names = match alias {
        Some(alias) => lang.t_args(
            "account-username-current-both",
            &[("username", account.username.clone()), ("alias", alias)],
        ),
        None => lang.t_args(
            "account-username-current",
            &[("username", account.username.clone())],
        ),
    };
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let message = problem.map(|p| lang.t(p.key()));
    let (email_error, current_error) = match problem {
        Some(Problem::CurrentPassword) => (None, message),
        _ => (message, None),
    };
    let mut errors = Vec::new();
    if let Some(e) = &email_error {
        errors.push(("email", e.clone()));
    }
    if let Some(e) = &current_error {
        errors.push(("current_password", e.clone()));
    }
    let status = match problem {
        None => StatusCode::OK,
        Some(Problem::TooMany) => StatusCode::TOO_MANY_REQUESTS,
        Some(_) => StatusCode::BAD_REQUEST,
    };
    let page = UsernamePage {
        lang,
        title: lang.t("account-username-title"),
        switch_href: page::switch_href(ACTION, lang),
        csrf,
        names,
        hint: lang.t_args(
            "account-username-email-hint",
            &[("username", account.username.clone())],
        ),
        email: email.to_owned(),
        email_error,
        current_error,
        errors,
    };
    Ok((jar, page::html(status, &page)).into_response())
}

/// A link's life as people say it: `24 h`, `1 h 30 min`, `10 min`.
fn duration(secs: u64) -> String {
    let minutes = secs.div_ceil(60);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn a_links_life_reads_in_hours_and_minutes() {
        assert_eq!(duration(86_400), "24 h");
        assert_eq!(duration(5_400), "1 h 30 min");
        assert_eq!(duration(600), "10 min");
        assert_eq!(duration(1), "1 min");
    }
}
