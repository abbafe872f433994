//! `/account/username/verify`: the link e-mailed by `username.rs`. Opening it (a GET, which
//! mail scanners and link previews also do) only shows a button; pressing it (a POST) proves
//! the address belongs to the account's owner, and the address then becomes a login name beside
//! the `IP…`/`CE…` username, and the account's e-mail. The link may be opened on another device,
//! so no session is needed: the proof is bound to its account. It works once, before it
//! expires; only the latest link of an account works.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};

use super::{message, note, record};
use crate::domain::SecretToken;
use crate::i18n::Lang;
use crate::mail::{self, Notice, Recipient};
use crate::state::AppState;
use crate::store::accounts;
use crate::store::email_proofs::{self, Purpose};
use crate::store::{Conflict, ephemeral};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page, query_param};

/// Where the link leads.
const PATH: &str = "/account/username/verify";

/// Where a confirmed link's POST sends the browser (post/redirect/get).
const CONFIRMED_PATH: &str = "/account/username/verified";

/// How long the outcome of a confirmation can be shown again (a reload), in seconds.
const CONFIRMED_TTL_SECS: u64 = 600;

/// The kind of the short-lived record that carries a confirmation to its page.
const CONFIRMED_KIND: &str = "alias-confirmed";

/// The language link of the outcome pages leads home: the token is spent, never carried along.
const SWITCH: &str = "/";

/// What following a link did.
#[derive(Debug)]
enum Outcome {
    /// The address is now a login name.
    Confirmed(Confirmed),
    /// Unknown, spent, superseded or expired, or the account is disabled.
    Refused,
    /// Another account took the address since the link was sent.
    Taken,
}

/// A confirmation, carried from the POST that spent the link to the page that shows it.
#[derive(Debug, Serialize, Deserialize)]
struct Confirmed {
    username: String,
    alias: String,
    replaced: Option<String>,
}

/// The button that spends the link.
#[derive(Debug, Deserialize)]
pub struct VerifyForm {
    token: Option<String>,
}

/// The page with the button.
#[derive(Template)]
#[template(path = "account_verify.html")]
struct VerifyPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    message: String,
    token: String,
}

/// `GET /account/username/verify?token=…`: a page with one button that posts the token.
/// Nothing is looked up or spent — a mail scanner or a link preview opening the link leaves it
/// usable, and the page is the same for any well-formed token (only a malformed one is
/// refused).
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let token = query_param(query.as_deref(), "token");
    let Some(token) = token.filter(|t| SecretToken::is_well_formed(t)) else {
        return Ok(malformed(&app, lang, &requester).await);
    };
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = VerifyPage {
        lang,
        title: lang.t("account-alias-confirm-title"),
        // The language link keeps the token: this page spends nothing.
        switch_href: page::switch_href(&format!("{PATH}?token={token}"), lang),
        csrf,
        message: lang.t("account-alias-confirm"),
        token,
    };
    Ok((jar, page::html(StatusCode::OK, &page)).into_response())
}

/// `POST /account/username/verify`: spends the proof.
pub async fn verify(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    CheckedForm(form): CheckedForm<VerifyForm>,
) -> Result<Response, PageError> {
    let Some(token) = form.token.filter(|t| SecretToken::is_well_formed(t)) else {
        return Ok(malformed(&app, lang, &requester).await);
    };
    let outcome = confirm(&app, &SecretToken::presented(&token), &requester).await?;
    Ok(match outcome {
        // Post/redirect/get: the outcome waits under a random id for the page that shows it,
        // so a reload shows it again and never posts the spent link a second time.
        Outcome::Confirmed(confirmed) => {
            let id = SecretToken::generate().map_err(PageError::internal)?;
            let key = id.digest_b64();
            ephemeral::put(
                &app.kv,
                CONFIRMED_KIND,
                &key,
                &confirmed,
                CONFIRMED_TTL_SECS,
            )
            .await?;
            let to = format!("{CONFIRMED_PATH}?c={}", id.expose());
            Redirect::to(&to).into_response()
        }
        Outcome::Refused => refused(lang, "account-alias-link-refused"),
        Outcome::Taken => message(
            lang,
            StatusCode::CONFLICT,
            "account-alias-refused-title",
            vec![lang.t("account-alias-taken")],
            vec![("/account/username", lang.t("account-alias-try-again"))],
            SWITCH,
        ),
    })
}

/// `GET /account/username/verified?c=…`: the confirmation of a link just followed; an unknown
/// or expired one leads to the settings.
pub async fn show_confirmed(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let id = query_param(query.as_deref(), "c");
    let Some(id) = id.filter(|id| SecretToken::is_well_formed(id)) else {
        return Ok(Redirect::to("/account").into_response());
    };
    let key = SecretToken::presented(&id).digest_b64();
    let found: Option<Confirmed> = ephemeral::get(&app.kv, CONFIRMED_KIND, &key).await?;
    Ok(match found {
        Some(done) => confirmed(lang, done, &format!("{CONFIRMED_PATH}?c={id}")),
        None => Redirect::to("/account").into_response(),
    })
}

/// A link cut short or mangled on its way: refused, and audited.
async fn malformed(app: &AppState, lang: Lang, requester: &Requester) -> Response {
    let detail = serde_json::json!({ "reason": "malformed_link" });
    note(app, "username_changed", "refused", None, requester, detail).await;
    refused(lang, "account-alias-bad-link")
}

/// Spends the proof and sets the alias, the notices and the audit event in one transaction:
/// either all of it happens or none (a name taken meanwhile leaves the proof unspent).
#[tracing::instrument(skip_all)]
async fn confirm(
    app: &AppState,
    token: &SecretToken,
    requester: &Requester,
) -> Result<Outcome, PageError> {
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let Some(spent) = email_proofs::spend(&tx, &token.digest(), Purpose::Alias).await? else {
        drop(tx);
        let detail = serde_json::json!({ "reason": "link_spent_expired_or_unknown" });
        note(app, "username_changed", "refused", None, requester, detail).await;
        return Ok(Outcome::Refused);
    };
    let account = accounts::get(&tx, spent.account_id)
        .await?
        .filter(|a| a.disabled_at.is_none());
    let Some(account) = account else {
        tx.commit().await?;
        let detail = serde_json::json!({ "reason": "account_disabled" });
        let id = Some(spent.account_id);
        note(app, "username_changed", "refused", id, requester, detail).await;
        return Ok(Outcome::Refused);
    };
    let replaced = accounts::names(&tx, account.id)
        .await?
        .into_iter()
        .find(|n| n.contains('@'))
        .filter(|old| *old != spent.email.to_lowercase());
    match accounts::set_email_alias(&tx, account.id, &spent.email).await {
        Ok(()) => {}
        Err(e) if e.conflict() == Some(Conflict::LoginNameTaken) => {
            drop(tx);
            let detail = serde_json::json!({ "reason": "taken", "address": spent.email });
            let id = Some(account.id);
            note(app, "username_changed", "refused", id, requester, detail).await;
            return Ok(Outcome::Taken);
        }
        Err(e) => return Err(e.into()),
    }
    let notice = Notice::UsernameChanged {
        name: spent.email.clone(),
    };
    mail::enqueue(&tx, &Recipient::at(&account, spent.email.clone()), &notice).await?;
    // The address notices went to until now hears of it too: a session thief who moved the
    // account's e-mail does not silence its owner.
    let previous = account
        .email
        .clone()
        .filter(|old| old.to_lowercase() != spent.email.to_lowercase());
    if let Some(old) = &previous {
        mail::enqueue(&tx, &Recipient::at(&account, old.clone()), &notice).await?;
    }
    let detail = serde_json::json!({
        "name": spent.email,
        "replaced_alias": replaced,
        "previous_email_told": previous.is_some(),
    });
    record(
        &tx,
        "username_changed",
        "success",
        account.id,
        requester,
        detail,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(event = "username_changed", account = %account.id);
    Ok(Outcome::Confirmed(Confirmed {
        username: account.username,
        alias: spent.email,
        replaced,
    }))
}

/// The success page: both names work now.
fn confirmed(lang: Lang, done: Confirmed, here: &str) -> Response {
    let Confirmed {
        username,
        alias,
        replaced,
    } = done;
    let mut paragraphs = vec![lang.t_args(
        "account-alias-confirmed",
        &[("username", username), ("alias", alias)],
    )];
    if let Some(old) = replaced {
        paragraphs.push(lang.t_args("account-alias-replaced", &[("old", old)]));
    }
    paragraphs.push(lang.t("account-alias-confirmed-mail"));
    message(
        lang,
        StatusCode::OK,
        "account-alias-confirmed-title",
        paragraphs,
        vec![(
            "/account?done=username",
            lang.t("account-alias-to-settings"),
        )],
        here,
    )
}

/// A link that cannot be used: a 400 page that says what to do.
fn refused(lang: Lang, key: &str) -> Response {
    message(
        lang,
        StatusCode::BAD_REQUEST,
        "account-alias-refused-title",
        vec![lang.t(key)],
        vec![("/account/username", lang.t("account-alias-try-again"))],
        SWITCH,
    )
}
