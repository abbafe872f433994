//! `GET|POST /enrol` (« Information et inscription »): a new professional types their
//! professional number and the NIP the agency mailed them. Right, their `IP…` account is made
//! with the register's names (its password a random one nobody knows), the NIP is used in the
//! same transaction, and the welcome page (`/enrol/welcome`) shows the username assigned to them; they then choose their
//! password and their secret questions through the restricted state every first sign-in uses
//! (`credentials::restricted`, why `Enrolment`), after which their session opens. Wrong, or for
//! another professional's number, the answer is the same; every try counts in the per-IP
//! window shared by the nodes and against the NIP itself (`nip::check`). A person who leaves
//! after this page calls the help desk for a temporary password, as after any lost password.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::nip::{self, CheckError, NipRefused};
use super::register;
use crate::admin::users::{self, AddUserError, NewUser, Rules};
use crate::credentials::restricted::{self, RestrictedWhy};
use crate::domain::{ProfessionalNumber, SecretToken};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::{accounts, professionals};
use crate::store::{audit, windows};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page};

/// The form.
#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    number: Option<String>,
    nip: Option<String>,
    /// `YYYY-MM-DD`, asked when `enrolment.ask_birth_date` is set.
    birth_date: Option<String>,
}

/// The message keys of the problems found, by field.
#[derive(Debug, Default, Clone, Copy)]
struct Problems {
    number: Option<&'static str>,
    nip: Option<&'static str>,
    birth_date: Option<&'static str>,
}

impl Problems {
    fn nip(key: &'static str) -> Self {
        Self {
            nip: Some(key),
            ..Self::default()
        }
    }

    fn any(self) -> bool {
        self.number.is_some() || self.nip.is_some() || self.birth_date.is_some()
    }
}

#[derive(Template)]
#[template(path = "enrolment.html")]
struct EnrolPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    number: String,
    number_error: Option<String>,
    nip_error: Option<String>,
    ask_birth_date: bool,
    birth_date: String,
    birth_date_error: Option<String>,
}

#[derive(Template)]
#[template(path = "enrolment_welcome.html")]
struct WelcomePage {
    lang: Lang,
    title: String,
    switch_href: String,
    name: String,
    username: String,
}

fn form(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    number: &str,
    birth_date: &str,
    errors: Problems,
) -> Result<Response, PageError> {
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let page = EnrolPage {
        lang,
        title: lang.t("enrol-title"),
        switch_href: page::switch_href("/enrol", lang),
        csrf,
        number: number
            .chars()
            .filter(char::is_ascii_digit)
            .take(10)
            .collect(),
        number_error: errors.number.map(|k| lang.t(k)),
        nip_error: errors.nip.map(|k| lang.t(k)),
        ask_birth_date: app.config.enrolment.ask_birth_date,
        // Echoed only in its own shape (digits and dashes).
        birth_date: birth_date
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .take(10)
            .collect(),
        birth_date_error: errors.birth_date.map(|k| lang.t(k)),
    };
    let status = page::form_status(errors.any());
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /enrol`.
pub async fn show(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    form(&app, lang, jar, "", "", Problems::default())
}

/// `POST /enrol`.
pub async fn submit(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    requester: Requester,
    jar: CookieJar,
    CheckedForm(input): CheckedForm<EnrolForm>,
) -> Result<Response, PageError> {
    let raw_number = input.number.unwrap_or_default();
    let parsed = ProfessionalNumber::parse(&raw_number, false);
    let number = parsed
        .as_ref()
        .map_or_else(String::new, |n| n.as_str().to_owned());
    let typed = input.nip.unwrap_or_default();
    let number_ok = parsed.is_some();
    let nip_ok = !typed.trim().is_empty() && typed.chars().count() <= 40;
    let typed_birth = input.birth_date.unwrap_or_default();
    let ask_birth_date = app.config.enrolment.ask_birth_date;
    let birth_date = if ask_birth_date {
        register::birth_date_of(&typed_birth)
    } else {
        None
    };
    let birth_ok = !ask_birth_date || birth_date.is_some();
    if !number_ok || !nip_ok || !birth_ok {
        let errors = Problems {
            number: (!number_ok).then_some("enrol-error-number"),
            nip: (!nip_ok).then_some("enrol-error-nip-missing"),
            birth_date: (!birth_ok).then_some("enrol-error-birth-date"),
        };
        return form(&app, lang, jar, &number, &typed_birth, errors);
    }
    // Every try counts in a per-IP window shared by every node; fails closed without Redis.
    let limit = app.config.rate_limit.password_checks_per_ip_per_minute;
    if !windows::allow(&app.kv, "enrolment", requester.ip, limit).await? {
        return Err(PageError::TooMany);
    }
    let key = app
        .config
        .client_secret_key()
        .map_err(PageError::internal)?;
    let checked = match nip::check(
        &app.db,
        &key,
        app.config.enrolment,
        &number,
        &typed,
        birth_date,
        Some(&requester),
    )
    .await
    {
        Ok(checked) => checked,
        Err(CheckError::Refused(NipRefused::Wrong)) => {
            let wrong = if ask_birth_date {
                "enrol-error-wrong-or-birth-date"
            } else {
                "enrol-error-wrong"
            };
            return form(&app, lang, jar, &number, &typed_birth, Problems::nip(wrong));
        }
        Err(CheckError::Refused(NipRefused::Expired)) => {
            let expired = Problems::nip("enrol-error-expired");
            return form(&app, lang, jar, &number, &typed_birth, expired);
        }
        Err(CheckError::Store(e)) => return Err(e.into()),
    };
    let Some(professional) = ({
        let db = app.db.get().await?;
        professionals::by_numbers(&db, std::slice::from_ref(&number)).await?
    })
    .pop() else {
        return form(
            &app,
            lang,
            jar,
            &number,
            "",
            Problems::nip("enrol-error-wrong"),
        );
    };
    let username = format!("{}{number}", app.config.usernames.professional_prefix);
    let account_id = {
        let mut db = app.db.get().await?;
        let tx = db.transaction().await?;
        // A password nobody knows (the next page has them choose theirs); drawn again in the
        // rare case the policy refuses it (a name inside the random text).
        let mut added = Err(AddUserError::Invalid(String::new()));
        for _ in 0..3 {
            let placeholder = SecretToken::generate().map_err(PageError::internal)?;
            let user = NewUser {
                username: username.clone(),
                password: placeholder.expose().to_owned(),
                given_name: professional.given_name.clone(),
                family_name: professional.family_name.clone(),
                email: professional.email.clone(),
                profession: Some(professional.profession.clone()),
                account_type: "professional".into(),
            };
            added = users::add(&tx, &app.hasher, Rules::of(&app.config), user).await;
            if !matches!(added, Err(AddUserError::Invalid(_))) {
                break;
            }
        }
        let account_id = match added {
            Ok(id) => id,
            Err(AddUserError::Taken) => {
                let enrolled = Problems::nip("enrol-error-enrolled");
                return form(&app, lang, jar, &number, "", enrolled);
            }
            Err(AddUserError::Invalid(why)) => return Err(PageError::internal(why)),
            Err(AddUserError::Store(e)) => return Err(e.into()),
        };
        match nip::consume(&tx, &number, checked).await {
            Ok(()) => {}
            Err(CheckError::Refused(_)) => {
                return form(
                    &app,
                    lang,
                    jar,
                    &number,
                    "",
                    Problems::nip("enrol-error-wrong"),
                );
            }
            Err(CheckError::Store(e)) => return Err(e.into()),
        }
        audit::record(
            &tx,
            &audit::Event {
                kind: "enrolled",
                outcome: "success",
                account_id: Some(account_id),
                client_id: None,
                ip: Some(requester.ip),
                user_agent: requester.user_agent.as_deref(),
                detail: serde_json::json!({ "professional": number }),
            },
        )
        .await?;
        tx.commit().await?;
        account_id
    };
    // The restricted state: the password, then the questions, then the session. The browser
    // goes to the welcome page (a GET: a reload shows it again, never re-posts the NIP).
    let next = restricted::begin(
        &app,
        jar,
        account_id,
        RestrictedWhy::Enrolment,
        // A professional just registered: no role, no authenticator yet.
        None,
        0,
        None,
    )
    .await?;
    let (mut parts, body) = next.into_parts();
    parts.headers.insert(
        axum::http::header::LOCATION,
        axum::http::HeaderValue::from_static("/enrol/welcome"),
    );
    Ok(Response::from_parts(parts, body))
}

/// `GET /enrol/welcome`: the username just assigned, while the first steps are ahead.
pub async fn welcome(
    State(app): State<AppState>,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let state = restricted::at(&app, &jar, restricted::Step::NewPassword).await?;
    let Some((_, state)) = state.filter(|(_, s)| s.why == RestrictedWhy::Enrolment) else {
        return Ok(axum::response::Redirect::to("/login").into_response());
    };
    let account = {
        let db = app.db.get().await?;
        accounts::get(&db, state.account_id)
            .await?
            .ok_or(PageError::BadRequest("error-request-expired"))?
    };
    let welcome = WelcomePage {
        lang,
        title: lang.t("enrol-welcome-title"),
        switch_href: page::switch_href("/enrol/welcome", lang),
        name: format!("{} {}", account.given_name, account.family_name),
        username: account.username,
    };
    Ok(page::html(StatusCode::OK, &welcome).into_response())
}
