//! `/security/clients…`: the relying parties. The officer lists them, registers one, edits one
//! (redirect and logout URIs, scopes, grants, id_token algorithm, first-party flag, home URL),
//! rotates a confidential client's secret (shown once, never stored in clear) and disables or
//! enables one. Every rule is `admin::clients`'s — the command line's — and every change is
//! audited with the officer. A disabled client is unknown to every endpoint (authorization,
//! token, the home page) until enabled; this node forgets its cached copy at once, the others
//! within `clients.cache_secs`.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::SecurityOfficer;
use crate::admin::clients::{self as admin_clients, Registration, RegistrationError};
use crate::i18n::Lang;
use crate::keys::SigningAlg;
use crate::state::AppState;
use crate::store::{GenericClient, audit, clients};
use crate::web::{CheckedForm, PageError, RequestLang, Requester, csrf, page, query_param};

const GRANTS: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

/// A client as listed.
struct Listed {
    id: String,
    name: String,
    kind: String,
    grants: String,
    disabled: bool,
}

#[derive(Template)]
#[template(path = "security_clients.html")]
struct ListPage {
    lang: Lang,
    title: String,
    switch_href: String,
    done: Option<String>,
    clients: Vec<Listed>,
}

/// The registration form, new or existing.
#[derive(Template)]
#[template(path = "security_client.html")]
struct ClientPage {
    lang: Lang,
    title: String,
    switch_href: String,
    csrf: String,
    /// `None`: a new registration.
    existing: Option<Existing>,
    form: ClientForm,
    grants: Vec<(&'static str, bool)>,
    algs: Vec<(&'static str, bool)>,
    problems: page::FieldErrors,
}

/// What the page says of a registered client beside its form.
struct Existing {
    confidential: bool,
    disabled: bool,
}

/// A secret, shown once.
#[derive(Template)]
#[template(path = "security_client_secret.html")]
struct SecretPage {
    lang: Lang,
    title: String,
    switch_href: String,
    id: String,
    secret: String,
}

/// `POST /security/clients/new` and `/security/clients/{id}`: the fields as typed (lists one
/// per line; scopes separated by spaces).
#[derive(Debug, Default, Deserialize)]
pub struct ClientForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    public: Option<String>,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default, rename = "grant.authorization_code")]
    authorization_code: Option<String>,
    #[serde(default, rename = "grant.refresh_token")]
    refresh_token: Option<String>,
    #[serde(default, rename = "grant.client_credentials")]
    client_credentials: Option<String>,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    id_token_alg: String,
    #[serde(default)]
    first_party: Option<String>,
    #[serde(default)]
    backchannel_logout_uri: String,
    #[serde(default)]
    home_uri: String,
}

impl ClientForm {
    fn of(r: &Registration) -> Self {
        let has = |g: &str| r.grant_types.iter().any(|x| x == g).then(|| "1".to_owned());
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            public: r.public.then(|| "1".to_owned()),
            redirect_uris: r.redirect_uris.join("\n"),
            post_logout_redirect_uris: r.post_logout_redirect_uris.join("\n"),
            authorization_code: has("authorization_code"),
            refresh_token: has("refresh_token"),
            client_credentials: has("client_credentials"),
            scopes: r.scopes.join(" "),
            id_token_alg: r.id_token_alg.as_str().to_owned(),
            first_party: r.first_party.then(|| "1".to_owned()),
            backchannel_logout_uri: r.backchannel_logout_uri.clone().unwrap_or_default(),
            home_uri: r.home_uri.clone().unwrap_or_default(),
        }
    }

    fn grant_types(&self) -> Vec<String> {
        let ticked = [
            &self.authorization_code,
            &self.refresh_token,
            &self.client_credentials,
        ];
        GRANTS
            .iter()
            .zip(ticked)
            .filter(|(_, t)| t.is_some())
            .map(|(g, _)| (*g).to_owned())
            .collect()
    }

    /// The registration it asks for; `None` for an algorithm that is not offered.
    fn registration(&self) -> Option<Registration> {
        let lines = |text: &str| -> Vec<String> {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        Some(Registration {
            id: self.id.trim().to_owned(),
            name: self.name.trim().to_owned(),
            public: self.public.is_some(),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            grant_types: self.grant_types(),
            scopes: self.scopes.split_whitespace().map(str::to_owned).collect(),
            id_token_alg: SigningAlg::parse(&self.id_token_alg)?,
            first_party: self.first_party.is_some(),
            backchannel_logout_uri: optional(&self.backchannel_logout_uri),
            home_uri: optional(&self.home_uri),
        })
    }
}

fn render_form(
    app: &AppState,
    lang: Lang,
    jar: CookieJar,
    existing: Option<Existing>,
    form: ClientForm,
    problem: Option<(&'static str, String)>,
) -> Result<Response, PageError> {
    let problems = page::FieldErrors::worded(problem.into_iter().collect());
    let (jar, csrf) = csrf::token(jar, &app.csrf_key).map_err(PageError::internal)?;
    let ticked = form.grant_types();
    let (title, path) = match &existing {
        Some(_) => (
            lang.t_args("security-client-title", &[("id", form.id.clone())]),
            format!("/security/clients/{}", form.id),
        ),
        None => (
            lang.t("security-client-new"),
            "/security/clients/new".to_owned(),
        ),
    };
    let page = ClientPage {
        lang,
        title,
        switch_href: page::switch_href(&path, lang),
        csrf,
        grants: GRANTS
            .iter()
            .map(|g| (*g, ticked.iter().any(|t| t == g)))
            .collect(),
        algs: SigningAlg::ALL
            .iter()
            .map(|a| (a.as_str(), a.as_str() == form.id_token_alg))
            .collect(),
        existing,
        form,
        problems,
    };
    let status = if !page.problems.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((jar, page::html(status, &page)).into_response())
}

/// `GET /security/clients`.
pub async fn list(
    State(app): State<AppState>,
    _officer: SecurityOfficer,
    RequestLang(lang): RequestLang,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let all = clients::list(&app.db.get().await?).await?;
    let done = query_param(query.as_deref(), "done")
        .filter(|d| ["registered", "updated", "disabled", "enabled"].contains(&d.as_str()))
        .map(|d| lang.t(&format!("security-clients-done-{d}")));
    let page = ListPage {
        lang,
        title: lang.t("security-clients-title"),
        switch_href: page::switch_href("/security/clients", lang),
        done,
        clients: all
            .into_iter()
            .map(|(c, disabled_at)| Listed {
                kind: lang.t(if c.secret_hash.is_some() {
                    "security-client-confidential"
                } else {
                    "security-client-public"
                }),
                grants: c.grant_types.join(", "),
                disabled: disabled_at.is_some(),
                id: c.id,
                name: c.name,
            })
            .collect(),
    };
    Ok(page::html(StatusCode::OK, &page).into_response())
}

/// `GET /security/clients/new`.
pub async fn new(
    State(app): State<AppState>,
    _officer: SecurityOfficer,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let form = ClientForm {
        scopes: "openid profile email".into(),
        id_token_alg: SigningAlg::Rs256.as_str().into(),
        authorization_code: Some("1".into()),
        refresh_token: Some("1".into()),
        ..ClientForm::default()
    };
    render_form(&app, lang, jar, None, form, None)
}

/// What a refused registration says, at its field.
fn problem(lang: Lang, e: RegistrationError) -> Result<(&'static str, String), PageError> {
    match e {
        RegistrationError::Invalid(broken) => Ok((broken.field, broken.message(lang))),
        RegistrationError::Taken => Ok(("id", lang.t("security-client-error-taken"))),
        RegistrationError::Unknown | RegistrationError::NoSecret(_) => Err(PageError::NotFound),
        RegistrationError::Random => Err(PageError::internal("the random generator failed")),
        RegistrationError::Store(e) => Err(e.into()),
    }
}

/// Appends the officer's change to the trail, in the change's transaction.
async fn record(
    db: &impl GenericClient,
    officer: &SecurityOfficer,
    requester: &Requester,
    kind: &'static str,
    client: &str,
) -> Result<(), PageError> {
    let event = audit::Event {
        kind,
        outcome: "success",
        account_id: Some(officer.user.account.id),
        client_id: Some(client),
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail: serde_json::json!({
            "by": "security_console", "officer": officer.user.account.username,
        }),
    };
    audit::record(db, &event).await?;
    Ok(())
}

/// `POST /security/clients/new`.
pub async fn register(
    State(app): State<AppState>,
    officer: SecurityOfficer,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    CheckedForm(form): CheckedForm<ClientForm>,
) -> Result<Response, PageError> {
    let Some(registration) = form.registration() else {
        let problem = ("id_token_alg", lang.t("clients-error-alg"));
        return render_form(&app, lang, jar, None, form, Some(problem));
    };
    let id = registration.id.clone();
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let secret = match admin_clients::register(&tx, &app.client_secret_key, registration).await {
        Ok(secret) => secret,
        Err(e) => {
            let problem = problem(lang, e)?;
            return render_form(&app, lang, jar, None, form, Some(problem));
        }
    };
    record(&tx, &officer, &requester, "client_registered", &id).await?;
    tx.commit().await?;
    app.clients.forget(&id);
    match secret {
        Some(secret) => secret_page(lang, id, secret),
        None => Ok(Redirect::to("/security/clients?done=registered").into_response()),
    }
}

fn secret_page(lang: Lang, id: String, secret: String) -> Result<Response, PageError> {
    let page = SecretPage {
        lang,
        title: lang.t_args("security-client-secret-title", &[("id", id.clone())]),
        switch_href: page::switch_href("/security/clients", lang),
        id,
        secret,
    };
    Ok(page::html(StatusCode::OK, &page).into_response())
}

/// A registered client of a console URL, with when it was disabled.
async fn target(app: &AppState, id: &str) -> Result<clients::WithState, PageError> {
    clients::get_any(&app.db.get().await?, id)
        .await?
        .ok_or(PageError::NotFound)
}

/// `GET /security/clients/{id}`.
pub async fn show(
    State(app): State<AppState>,
    _officer: SecurityOfficer,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (client, disabled_at) = target(&app, &id).await?;
    let existing = Existing {
        confidential: client.secret_hash.is_some(),
        disabled: disabled_at.is_some(),
    };
    let form = ClientForm::of(&Registration::of(&client));
    render_form(&app, lang, jar, Some(existing), form, None)
}

/// `POST /security/clients/{id}`: the changes; the id and the type stay.
pub async fn update(
    State(app): State<AppState>,
    officer: SecurityOfficer,
    requester: Requester,
    RequestLang(lang): RequestLang,
    jar: CookieJar,
    Path(id): Path<String>,
    CheckedForm(mut form): CheckedForm<ClientForm>,
) -> Result<Response, PageError> {
    let (client, disabled_at) = target(&app, &id).await?;
    let existing = Existing {
        confidential: client.secret_hash.is_some(),
        disabled: disabled_at.is_some(),
    };
    form.id = client.id.clone();
    form.public = client.secret_hash.is_none().then(|| "1".to_owned());
    let Some(registration) = form.registration() else {
        let problem = ("id_token_alg", lang.t("clients-error-alg"));
        return render_form(&app, lang, jar, Some(existing), form, Some(problem));
    };
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    if let Err(e) = admin_clients::update(&tx, registration).await {
        let problem = problem(lang, e)?;
        return render_form(&app, lang, jar, Some(existing), form, Some(problem));
    }
    record(&tx, &officer, &requester, "client_updated", &client.id).await?;
    tx.commit().await?;
    app.clients.forget(&client.id);
    Ok(Redirect::to("/security/clients?done=updated").into_response())
}

/// `POST /security/clients/{id}/secret`: a new secret, shown once; the old one stops working.
pub async fn rotate_secret(
    State(app): State<AppState>,
    officer: SecurityOfficer,
    requester: Requester,
    RequestLang(lang): RequestLang,
    Path(id): Path<String>,
    CheckedForm(_): CheckedForm<Empty>,
) -> Result<Response, PageError> {
    let (client, _) = target(&app, &id).await?;
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let secret = match admin_clients::rotate_secret(&tx, &app.client_secret_key, &client.id).await {
        Ok(secret) => secret,
        Err(RegistrationError::NoSecret(_)) => {
            return Err(PageError::BadRequest("security-client-error-public"));
        }
        Err(RegistrationError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(PageError::internal(e.to_string())),
    };
    record(
        &tx,
        &officer,
        &requester,
        "client_secret_rotated",
        &client.id,
    )
    .await?;
    tx.commit().await?;
    app.clients.forget(&client.id);
    secret_page(lang, client.id, secret)
}

/// `POST /security/clients/{id}/state`.
#[derive(Debug, Deserialize)]
pub struct StateForm {
    /// `disable` or `enable`.
    #[serde(default)]
    change: String,
}

/// A form with nothing but its token.
#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /security/clients/{id}/state`: disable or enable.
pub async fn set_state(
    State(app): State<AppState>,
    officer: SecurityOfficer,
    requester: Requester,
    Path(id): Path<String>,
    CheckedForm(form): CheckedForm<StateForm>,
) -> Result<Response, PageError> {
    let (client, _) = target(&app, &id).await?;
    let (disable, kind, done) = match form.change.as_str() {
        "disable" => (true, "client_disabled", "disabled"),
        "enable" => (false, "client_enabled", "enabled"),
        _ => return Err(PageError::BadRequest("security-client-error-change")),
    };
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    if clients::set_disabled(&tx, &client.id, disable).await? {
        record(&tx, &officer, &requester, kind, &client.id).await?;
    }
    tx.commit().await?;
    app.clients.forget(&client.id);
    Ok(Redirect::to(&format!("/security/clients?done={done}")).into_response())
}
