//! `/recovery`: the user names their account; `/recovery/link`: the e-mailed link that comes
//! first when policy `recovery.email_proof` asks for it. Following the link (a GET, which mail
//! scanners and link previews also do) only shows a button; pressing it (a POST) spends it.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use chrono::Utc;
use serde::Deserialize;

use super::challenge;
use super::decoy;
use super::flow::{self, Eligibility};
use super::pages::{self, Message};
use crate::assistance::Audience;
use crate::domain::{LoginName, SecretToken};
use crate::mail::{self, Notice, Recipient};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::email_proofs::{self, Purpose};
use crate::store::{audit, windows};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, query_param};

/// Shortest time between two recovery links e-mailed to one account.
const MAIL_INTERVAL_SECS: u64 = 60;

/// The name form.
#[derive(Debug, Deserialize)]
pub struct StartForm {
    username: Option<String>,
}

/// `GET /recovery`.
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    pages::start(&app, lang, jar, "", None)
}

/// `POST /recovery`: the questions (or the e-mailed link) for an account that can recover
/// online, and decoy questions (or the same « Consultez vos courriels » page) for a name that
/// is no account or a disabled one; an account without questions, or whose recovery is
/// closed, gets the assistance page.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<StartForm>,
) -> Result<Response, PageError> {
    let raw = form.username.unwrap_or_default();
    if raw.trim().is_empty() {
        return pages::start(&app, lang, jar, "", Some("recovery-error-missing"));
    }
    // Too long, or control characters: said plainly, and never echoed back.
    let Ok(name) = LoginName::parse(&raw) else {
        return pages::start(&app, lang, jar, "", Some("recovery-error-malformed"));
    };
    // Every name looked up counts in a per-IP window shared by every node, known or not: the
    // start page cannot be used to sort names at speed. Fails closed without Redis (503).
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    if !windows::allow(&app.kv, "recovery", requester.ip, limit).await? {
        flow::note(
            &app,
            "throttled",
            None,
            &requester,
            serde_json::json!({ "step": "start" }),
        )
        .await;
        return Err(PageError::TooMany);
    }
    let found = {
        let db = app.db.get().await?;
        accounts::find_by_login_name(&db, &name.folded()).await?
    };
    let eligibility = flow::assess(&app, found.map(|f| f.account), false).await?;
    // The help lines a page shows: only what the typed name tells.
    let audience = Audience::of_name(&app.config.usernames, &name.folded());
    // Read for every name, known or not, so both make this round trip.
    let decoy = decoy::of(&app, &name.folded());
    let decoy_closed = decoy::closed(&app, decoy.id).await?;
    if let Eligibility::Unknown(account, reason) = eligibility {
        let unknown = Unknown {
            decoy,
            closed: decoy_closed,
            account,
            reason,
            audience,
        };
        return as_if_known(&app, lang, jar, unknown, &requester).await;
    }
    proceed(&app, lang, jar, eligibility, audience, &requester).await
}

/// A name that cannot recover online.
#[derive(Debug)]
struct Unknown {
    decoy: decoy::Decoy,
    /// Whether the decoy gave as many wrong sets as close a real recovery.
    closed: bool,
    /// A disabled account's id (for the audit trail), none for an unknown name.
    account: Option<uuid::Uuid>,
    reason: &'static str,
    audience: Audience,
}

/// A name that cannot recover online, answered as a real account would be (issue 7): the same
/// « Consultez vos courriels » page when links are e-mailed first, else decoy questions
/// through the real path — or, once as many wrong sets were given as close a real recovery,
/// the same assistance page.
async fn as_if_known(
    app: &AppState,
    lang: crate::i18n::Lang,
    jar: CookieJar,
    unknown: Unknown,
    requester: &Requester,
) -> Result<Response, PageError> {
    let Unknown {
        decoy,
        closed,
        account,
        reason,
        audience,
    } = unknown;
    let detail = serde_json::json!({ "reason": reason });
    if app.config.recovery.email_proof != crate::config::EmailProof::Off {
        // The interval a real account's link takes (not its mail: nobody to send it to).
        flow::first_mail_in(app, decoy.id, MAIL_INTERVAL_SECS).await?;
        flow::note(app, "link_withheld", account, requester, detail).await;
        return Ok(pages::message(app, lang, Message::CheckEmail, "/recovery"));
    }
    if closed {
        flow::note(app, "refused", account, requester, detail).await;
        return Ok(pages::assistance(app, lang, &audience, None));
    }
    challenge::open_fixed(app, decoy.id, &decoy.questions, flow::STEP_TTL_SECS).await?;
    flow::note(app, "started", account, requester, detail).await;
    flow::begin(app, jar, decoy.id, true, audience).await
}

/// The button that spends an e-mailed link.
#[derive(Debug, Deserialize)]
pub struct LinkForm {
    token: Option<String>,
}

/// `GET /recovery/link?token=…`: a page with one button that posts the token. Nothing is
/// looked up or spent — a mail scanner or a link preview opening the link leaves it usable,
/// and the page is the same for any well-formed token (only a malformed one is refused).
pub async fn show_link(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let token = query_param(query.as_deref(), "token");
    match token.filter(|t| SecretToken::is_well_formed(t)) {
        Some(token) => pages::link(&app, lang, jar, &token),
        None => Ok(bad_link(&app, lang)),
    }
}

/// `POST /recovery/link`: spends the e-mailed proof (once, before it expires), then on to the
/// questions.
pub async fn follow_link(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<LinkForm>,
) -> Result<Response, PageError> {
    let Some(token) = form.token.filter(|t| SecretToken::is_well_formed(t)) else {
        return Ok(bad_link(&app, lang));
    };
    let token = SecretToken::presented(&token);
    let account = {
        let db = app.db.get().await?;
        match email_proofs::spend(&db, &token.digest(), Purpose::Recovery).await? {
            Some(spent) => accounts::get(&db, spent.account_id).await?,
            None => None,
        }
    };
    let Some(account) = account else {
        flow::note(
            &app,
            "link_refused",
            None,
            &requester,
            serde_json::json!({}),
        )
        .await;
        return Ok(bad_link(&app, lang));
    };
    flow::note(
        &app,
        "link_followed",
        Some(account.id),
        &requester,
        serde_json::json!({}),
    )
    .await;
    let audience = Audience::of_account(&account);
    let eligibility = flow::assess(&app, Some(account), true).await?;
    proceed(&app, lang, jar, eligibility, audience, &requester).await
}

/// The page for a link that is malformed, spent, expired or unknown (400): one page for all.
fn bad_link(app: &AppState, lang: crate::i18n::Lang) -> Response {
    pages::message(app, lang, Message::BadLink, "/recovery/link")
}

/// Acts on what a recovery may do.
#[tracing::instrument(skip_all)]
async fn proceed(
    app: &AppState,
    lang: crate::i18n::Lang,
    jar: CookieJar,
    eligibility: Eligibility,
    audience: Audience,
    requester: &Requester,
) -> Result<Response, PageError> {
    match eligibility {
        // Reached from an e-mailed link only (the name form answers these with decoys): the
        // account is known to whoever holds the link.
        Eligibility::Refused(account, reason) | Eligibility::Unknown(account, reason) => {
            let detail = serde_json::json!({ "reason": reason });
            flow::note(app, "refused", account, requester, detail).await;
            Ok(pages::assistance(app, lang, &audience, None))
        }
        Eligibility::Withheld(account, reason) => {
            let detail = serde_json::json!({ "reason": reason });
            flow::note(app, "link_withheld", Some(account), requester, detail).await;
            Ok(pages::message(app, lang, Message::CheckEmail, "/recovery"))
        }
        Eligibility::Link(account, email) => {
            // One e-mail a minute per account: asking again cannot flood the mailbox. The
            // page is the same; the link already sent still works.
            if flow::first_mail_in(app, account.id, MAIL_INTERVAL_SECS).await? {
                send_link(app, &account, email, requester).await?;
            } else {
                let detail = serde_json::json!({ "reason": "mail_interval" });
                flow::note(app, "link_withheld", Some(account.id), requester, detail).await;
            }
            Ok(pages::message(app, lang, Message::CheckEmail, "/recovery"))
        }
        Eligibility::Questions(account, answered) => {
            let (_, reused) = challenge::open(app, account.id, &answered).await?;
            let detail = serde_json::json!({ "reused_challenge": reused });
            flow::note(app, "started", Some(account.id), requester, detail).await;
            flow::begin(app, jar, account.id, false, audience).await
        }
    }
}

/// E-mails a single-use link to the account's verified address: the proof, the notice and
/// the audit event in one transaction. The link is built from the configured public URL,
/// never from the request's `Host` or `X-Forwarded-Host`.
#[tracing::instrument(skip_all, fields(account = %account.id))]
async fn send_link(
    app: &AppState,
    account: &Account,
    email: String,
    requester: &Requester,
) -> Result<(), PageError> {
    let token = SecretToken::generate().map_err(PageError::internal)?;
    let ttl = i64::try_from(app.config.recovery.link_ttl_secs).unwrap_or(i64::MAX);
    let expires_at = Utc::now() + chrono::Duration::seconds(ttl.min(86_400 * 30));
    let link = format!("{}/recovery/link?token={}", app.issuer, token.expose());
    let to = Recipient::at(account, email);
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    email_proofs::insert(
        &tx,
        &token.digest(),
        account.id,
        Purpose::Recovery,
        &to.address,
        expires_at,
    )
    .await?;
    mail::enqueue(&tx, &to, &Notice::RecoveryLink { link }).await?;
    let event = flow::event(
        "link_sent",
        Some(account.id),
        requester,
        serde_json::json!({}),
    );
    audit::record(&tx, &event).await?;
    tx.commit().await?;
    tracing::info!(event = "recovery", outcome = "link_sent", account = %account.id);
    Ok(())
}
