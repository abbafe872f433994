//! The recovery pages (`idp/templates/recovery_*.html`): the name form, the e-mailed link's
//! button, the assistance page, the questions, and short messages (check your e-mail, done,
//! expired, bad link).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::assistance::Audience;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::{PageError, csrf, page};

/// `GET /recovery`: the name form.
#[derive(Template)]
#[template(path = "recovery_start.html")]
struct StartPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    intro: String,
    username: String,
    error: Option<String>,
}

/// Renders the name form; 400 with `error_key` shown next to the field.
pub fn start(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    username: &str,
    error_key: Option<&str>,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let asked = app.config.secret_questions.asked.to_string();
    let page = StartPage {
        lang,
        title: lang.t("recovery-title"),
        switch_href: page::switch_href("/recovery", lang),
        csrf,
        intro: lang.t_args("recovery-intro", &[("asked", asked)]),
        username: username.chars().take(254).collect(),
        error: error_key.map(|k| lang.t(k)),
    };
    let status = page::form_status(page.error.is_some());
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /recovery/link?token=…`: the button that spends the e-mailed link.
#[derive(Template)]
#[template(path = "recovery_link.html")]
struct LinkPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    message: String,
    token: String,
}

/// Renders the button for a well-formed `token` (the same page whatever the token is worth).
/// The language link keeps the token: the page spends nothing.
pub fn link(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    token: &str,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = LinkPage {
        lang,
        title: lang.t("recovery-link-title"),
        switch_href: page::switch_href(&format!("/recovery/link?token={token}"), lang),
        csrf,
        message: lang.t("recovery-link-continue"),
        token: token.to_owned(),
    };
    Ok((jar, page::html(StatusCode::OK, &page)).into_response())
}

/// One assistance centre, in the page's language.
struct Centre {
    name: String,
    phones: Vec<Phone>,
    hours: String,
    note: Option<String>,
}

/// One number of a centre.
struct Phone {
    region: String,
    number: String,
    tel: String,
}

/// The assistance page: recovery is not possible online.
#[derive(Template)]
#[template(path = "recovery_assistance.html")]
struct AssistancePage {
    lang: Lang,
    title: String,
    switch_href: String,
    notice: Option<String>,
    message: String,
    call: String,
    centres_title: String,
    centres: Vec<Centre>,
}

/// The page shown whenever recovery cannot go on online — no questions, recovery closed (a
/// real one or a decoy's): one page, byte for byte, whatever the reason, listing the help lines
/// of `audience` — what the typed name tells, never what the account is — so it tells nothing
/// about the account. `notice_key` is only used to tell a user their own failed answers just
/// closed recovery.
pub fn assistance(
    app: &AppState,
    lang: Lang,
    audience: &Audience,
    notice_key: Option<&str>,
) -> Response {
    let centres = audience
        .centres(&app.config.recovery.assistance)
        .into_iter()
        .map(|c| Centre {
            name: c.name(lang).to_owned(),
            phones: c
                .phones
                .iter()
                .map(|p| Phone {
                    region: lang.t_args(
                        "recovery-phone-region",
                        &[("region", p.region(lang).to_owned())],
                    ),
                    number: p.number.clone(),
                    tel: tel(&p.number),
                })
                .collect(),
            hours: lang.t_args("recovery-hours", &[("hours", c.hours(lang).to_owned())]),
            note: c.note(lang).map(str::to_owned),
        })
        .collect();
    let required = app.config.secret_questions.required as u64;
    let page = AssistancePage {
        lang,
        title: lang.t("recovery-title"),
        switch_href: page::switch_href("/recovery", lang),
        notice: notice_key.map(|k| lang.t(k)),
        message: lang.t_count("recovery-unavailable", ("required", required), &[]),
        call: lang.t("recovery-unavailable-call"),
        centres_title: lang.t("recovery-centres"),
        centres,
    };
    page::html(StatusCode::OK, &page)
}

/// A short message page.
#[derive(Template)]
#[template(path = "recovery_message.html")]
struct MessagePage {
    lang: Lang,
    title: String,
    switch_href: String,
    alert: bool,
    paragraphs: Vec<String>,
    link_href: &'static str,
    link_text: String,
}

/// The kinds of short message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// A link was e-mailed (policy `recovery.email_proof`).
    CheckEmail,
    /// The password was changed.
    Done,
    /// The browser's recovery is gone (expired, finished, or a tampered cookie).
    Expired,
    /// The e-mailed link is spent, expired or malformed.
    BadLink,
}

/// Renders a short message page (400 for the two errors).
pub fn message(app: &AppState, lang: Lang, which: Message, path: &str) -> Response {
    let minutes = (app.config.recovery.link_ttl_secs / 60).max(1);
    let (status, title, paragraphs, link_href, link_key) = match which {
        Message::CheckEmail => (
            StatusCode::OK,
            "recovery-email-title",
            vec![
                lang.t("recovery-email-sent"),
                lang.t_count("recovery-email-validity", ("minutes", minutes), &[]),
            ],
            "/login",
            "recovery-back-to-login",
        ),
        Message::Done => (
            StatusCode::OK,
            "recovery-done-title",
            vec![lang.t("recovery-done"), lang.t("recovery-done-sessions")],
            "/login",
            "recovery-done-login",
        ),
        Message::Expired => (
            StatusCode::BAD_REQUEST,
            "recovery-expired-title",
            vec![lang.t("recovery-expired")],
            "/recovery",
            "recovery-restart",
        ),
        Message::BadLink => (
            StatusCode::BAD_REQUEST,
            "recovery-link-invalid-title",
            vec![lang.t("recovery-link-invalid")],
            "/recovery",
            "recovery-restart",
        ),
    };
    let page = MessagePage {
        lang,
        title: lang.t(title),
        switch_href: page::switch_href(path, lang),
        alert: status != StatusCode::OK,
        paragraphs,
        link_href,
        link_text: lang.t(link_key),
    };
    page::html(status, &page)
}

/// A question as the page shows it.
#[derive(Debug)]
struct Row {
    /// 1-based position (the field is `answer_<n>`).
    n: usize,
    /// "Question 1 : …", in the page's language.
    label: String,
    /// The answer-format hint.
    hint: Option<String>,
    /// "Enter an answer", when left empty.
    error: Option<String>,
    /// Ids of the hint and the error messages that describe the field.
    described_by: String,
    /// Whether the field is marked invalid.
    invalid: bool,
}

/// The questions page.
#[derive(Template)]
#[template(path = "recovery_questions.html")]
struct QuestionsPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    intro: String,
    limit: String,
    wrong: Option<String>,
    rows: Vec<Row>,
}

impl QuestionsPage {
    fn has_missing(&self) -> bool {
        self.rows.iter().any(|r| r.error.is_some())
    }
}

/// What the questions page shows besides the questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A blank form.
    Blank,
    /// At least one answer was wrong (never which).
    Wrong,
    /// Some answers were left empty (their indexes, 0-based).
    Missing,
}

/// Renders the questions of `ids`; `missing` lists the empty answers (0-based).
pub fn questions(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    ids: &[String],
    outcome: Outcome,
    missing: &[usize],
) -> Result<Response, PageError> {
    let catalogue = &app.config.secret_questions;
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let wrong = outcome == Outcome::Wrong;
    let rows = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let n = i + 1;
            let question = catalogue.find(id);
            let text = question.map_or(id.as_str(), |q| q.text(lang));
            let hint = question.and_then(|q| q.hint(lang)).map(str::to_owned);
            let error = missing
                .contains(&i)
                .then(|| lang.t_args("recovery-questions-missing", &[("n", n.to_string())]));
            let mut described = Vec::new();
            if hint.is_some() {
                described.push(format!("answer_{n}-hint"));
            }
            if error.is_some() {
                described.push(format!("answer_{n}-error"));
            }
            // The wrong-answers message describes every field alike: it never says which.
            if wrong {
                described.push("answers-error".to_owned());
            }
            Row {
                n,
                label: lang.t_args(
                    "recovery-questions-label",
                    &[("n", n.to_string()), ("question", text.to_owned())],
                ),
                hint,
                invalid: wrong || error.is_some(),
                error,
                described_by: described.join(" "),
            }
        })
        .collect();
    let asked = ids.len() as u64;
    let max = u64::try_from(app.config.recovery.max_failed_challenges).unwrap_or_default();
    let page = QuestionsPage {
        lang,
        title: lang.t("recovery-questions-title"),
        switch_href: page::switch_href(super::flow::Stage::Questions.path(), lang),
        csrf,
        intro: lang.t_count("recovery-questions-intro", ("asked", asked), &[]),
        limit: lang.t_count("recovery-questions-limit", ("max", max), &[]),
        wrong: wrong.then(|| lang.t("recovery-questions-wrong")),
        rows,
    };
    let status = if outcome == Outcome::Blank {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((jar, page::html(status, &page)).into_response())
}

/// A `tel:` URI for a number as dialled in Québec (`418 643-9025`, `1 800 463-4776`).
fn tel(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        10 => format!("tel:+1{digits}"),
        11 if digits.starts_with('1') => format!("tel:+{digits}"),
        _ => format!("tel:{digits}"),
    }
}

#[cfg(test)]
mod tests {
    use super::tel;

    #[test]
    fn phone_links_dial_the_number_shown() {
        assert_eq!(tel("418 643-9025"), "tel:+14186439025");
        assert_eq!(tel("1 800 463-4776"), "tel:+18004634776");
    }
}
