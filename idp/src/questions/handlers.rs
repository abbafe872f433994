//! The *Questions secrètes* page: in the restricted state after an expired or temporary
//! password (`/questions`), and from the account settings (`/account/questions`, current
//! password required).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;

use super::save::{self, KnownPassword, Pick, RowError};
use crate::credentials::restricted::{self, Step};
use crate::i18n::Lang;
use crate::sso::SignedIn;
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// One row of the page.
#[derive(Debug, Default)]
struct Row {
    n: usize,
    question: Option<String>,
    answer: String,
    hint: Option<String>,
    question_error: Option<String>,
    answer_error: Option<String>,
}

/// The page.
#[derive(Template)]
#[template(path = "questions.html")]
struct QuestionsPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    action: &'static str,
    intro: String,
    ask_current: bool,
    current_error: Option<String>,
    catalogue: Vec<(String, String)>,
    rows: Vec<Row>,
    errors: Vec<(String, String)>,
}

/// Where the page is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Restricted,
    Settings,
}

impl Mode {
    fn action(self) -> &'static str {
        match self {
            Mode::Restricted => Step::Questions.path(),
            Mode::Settings => "/account/questions",
        }
    }
}

/// What a submitted page got wrong.
#[derive(Debug, Default)]
struct Submitted {
    picks: Vec<Pick>,
    rows: Vec<(usize, RowError)>,
    current_wrong: bool,
}

/// `GET /questions`.
pub async fn show_restricted(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if restricted::at(&app, &jar, Step::Questions).await?.is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    render(&app, lang, jar, Mode::Restricted, Submitted::default())
}

/// `POST /questions`.
pub async fn submit_restricted(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(pairs): CheckedForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let Some((id, state)) = restricted::at(&app, &jar, Step::Questions).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let account = account(&app, state.account_id).await?;
    let picks = picks(&app, &pairs);
    let phc = {
        let db = app.db.get().await?;
        crate::store::passwords::current(&db, account.id)
            .await?
            .ok_or(PageError::BadRequest("error-request-expired"))?
    };
    let known = KnownPassword::Hash(&phc);
    match save::save(&app, &account, &picks, known, &requester).await? {
        Ok(()) => restricted::step_done(&app, jar, &id, state).await,
        Err(rows) => {
            let submitted = Submitted {
                picks,
                rows,
                current_wrong: false,
            };
            render(&app, lang, jar, Mode::Restricted, submitted)
        }
    }
}

/// `GET /account/questions`.
pub async fn show_settings(
    State(app): State<AppState>,
    _user: SignedIn,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    render(&app, lang, jar, Mode::Settings, Submitted::default())
}

/// `POST /account/questions`: the current password first, then the answers.
pub async fn submit_settings(
    State(app): State<AppState>,
    SignedIn { account, .. }: SignedIn,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(pairs): CheckedForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let picks = picks(&app, &pairs);
    let password = field(&pairs, "current_password").unwrap_or_default();
    if !crate::login::reverify(&app, &account, password, &requester).await? {
        let submitted = Submitted {
            picks,
            rows: Vec::new(),
            current_wrong: true,
        };
        return render(&app, lang, jar, Mode::Settings, submitted);
    }
    match save::save(
        &app,
        &account,
        &picks,
        KnownPassword::Typed(password),
        &requester,
    )
    .await?
    {
        Ok(()) => Ok(Redirect::to("/account?done=questions").into_response()),
        Err(rows) => {
            let submitted = Submitted {
                picks,
                rows,
                current_wrong: false,
            };
            render(&app, lang, jar, Mode::Settings, submitted)
        }
    }
}

async fn account(app: &AppState, id: uuid::Uuid) -> Result<Account, PageError> {
    let db = app.db.get().await?;
    accounts::get(&db, id)
        .await?
        .ok_or(PageError::BadRequest("error-request-expired"))
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The rows `question_1`/`answer_1` … `question_N`/`answer_N` (missing ones are empty).
fn picks(app: &AppState, pairs: &[(String, String)]) -> Vec<Pick> {
    (1..=app.config.secret_questions.required)
        .map(|n| Pick {
            question: field(pairs, &format!("question_{n}"))
                .unwrap_or_default()
                .to_owned(),
            answer: field(pairs, &format!("answer_{n}"))
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

fn render(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    mode: Mode,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let config = &app.config.secret_questions;
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let mut errors = Vec::new();
    let current_error = submitted
        .current_wrong
        .then(|| lang.t("password-current-wrong"));
    if let Some(e) = &current_error {
        errors.push(("current_password".to_owned(), e.clone()));
    }
    let rows = (1..=config.required)
        .map(|n| {
            let pick = submitted.picks.get(n - 1);
            let question = pick
                .map(|p| p.question.clone())
                .filter(|q| config.find(q).is_some());
            let errors_of_row = submitted.rows.iter().filter(|(i, _)| *i == n - 1);
            let message = |e: RowError| {
                let min = ("min", config.min_answer_chars as u64);
                lang.t_count(e.message_key(), min, &[("n", n.to_string())])
            };
            let mut question_error = None;
            let mut answer_error = None;
            for (_, e) in errors_of_row {
                match e {
                    RowError::NoQuestion | RowError::DuplicateQuestion => {
                        question_error = Some(message(*e));
                    }
                    RowError::Answer(_) => answer_error = Some(message(*e)),
                }
            }
            if let Some(e) = &question_error {
                errors.push((format!("question_{n}"), e.clone()));
            }
            if let Some(e) = &answer_error {
                errors.push((format!("answer_{n}"), e.clone()));
            }
            Row {
                n,
                hint: question
                    .as_deref()
                    .and_then(|q| config.find(q))
                    .and_then(|q| q.hint(lang))
                    .map(str::to_owned),
                question,
                // Answers are never written back into a page, even those just typed.
                answer: String::new(),
                question_error,
                answer_error,
            }
        })
        .collect();
    let catalogue = config
        .catalogue
        .iter()
        .map(|q| {
            let text = match q.hint(lang) {
                Some(hint) => format!("{} ({hint})", q.text(lang)),
                None => q.text(lang).to_owned(),
            };
            (q.id.clone(), text)
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let intro_key = match mode {
        Mode::Restricted => "questions-intro-required",
        Mode::Settings => "questions-intro-settings",
    };
    let page = QuestionsPage {
        lang,
        title: lang.t("questions-title"),
        switch_href: page::switch_href(mode.action(), lang),
        csrf,
        action: mode.action(),
        intro: lang.t_count(intro_key, ("n", config.required as u64), &[]),
        ask_current: mode == Mode::Settings,
        current_error,
        catalogue,
        rows,
        errors,
    };
    Ok((jar, page::html(status, &page)).into_response())
}
