//! `GET /helpdesk?q=…`: find an account by its username or alias (the start of it), a
//! professional number, an e-mail address, or the start of a family or given name; and the
//! professionals of the register by number or the start of the family name (a caller who is
//! not enrolled yet: « Renvoyer le NIP »). At most `LIMIT` results of each, by family name,
//! given name and username (a broader search: type more).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::HelpDeskAgent;
use crate::domain::{ProfessionalNumber, has_no_controls};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::accounts::{self, Account, Lookup};
use crate::store::professionals;
use crate::web::{PageError, RequestLang, page, query_param};

/// Results shown at most.
const LIMIT: i64 = 50;
/// Longest search accepted.
const MAX_CHARS: usize = 100;

/// One account found.
pub(super) struct Found {
    pub id: String,
    pub username: String,
    pub name: String,
    pub kind: String,
    pub standing: String,
}

impl Found {
    pub(super) fn of(lang: Lang, a: &Account) -> Self {
        let kind = match a.account_type.as_str() {
            "professional" => lang.t("helpdesk-kind-professional"),
            _ => lang.t("helpdesk-kind-staff"),
        };
        Self {
            id: a.id.to_string(),
            username: a.username.clone(),
            name: format!("{} {}", a.given_name, a.family_name),
            kind: match &a.profession {
                Some(p) => format!("{kind} ({p})"),
                None => kind,
            },
            standing: lang.t(standing_key(a)),
        }
    }
}

/// The account's standing, as one message.
pub(super) fn standing_key(a: &Account) -> &'static str {
    if a.disabled_at.is_some() {
        "helpdesk-standing-disabled"
    } else if a.locked_at.is_some() {
        "helpdesk-standing-locked"
    } else {
        "helpdesk-standing-active"
    }
}

#[derive(Template)]
#[template(path = "helpdesk_search.html")]
struct SearchPage {
    lang: Lang,
    title: String,
    switch_href: String,
    q: String,
    error: Option<String>,
    searched: bool,
    found: Vec<Found>,
    register: Vec<Registered>,
}

/// One professional of the register found.
struct Registered {
    number: String,
    name: String,
    profession: String,
    enrolment: String,
}

/// The register's lookup for what was typed: a professional number, or the start of a family
/// name (an address finds nobody there).
fn register_lookup(q: &str) -> (Option<String>, Option<String>) {
    if q.contains('@') {
        return (None, None);
    }
    match ProfessionalNumber::parse(q, true) {
        Some(number) => (Some(number.as_str().to_owned()), None),
        None => (None, Some(q.to_lowercase())),
    }
}

/// What a search typed asks for; `None` when it cannot be a search.
fn lookups(q: &str, professional_prefix: &str) -> Vec<Lookup> {
    let folded = q.to_lowercase();
    if folded.contains('@') {
        return vec![Lookup::Email(folded)];
    }
    if let Some(number) = ProfessionalNumber::parse(q, true) {
        let name = format!("{}{}", professional_prefix, number.as_str()).to_lowercase();
        return vec![Lookup::NamePrefix(name)];
    }
    vec![
        Lookup::NamePrefix(folded.clone()),
        Lookup::PersonPrefix(folded),
    ]
}

/// `GET /helpdesk`.
pub async fn show(
    State(app): State<AppState>,
    _agent: HelpDeskAgent,
    RequestLang(lang): RequestLang,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = query_param(query.as_deref(), "q").unwrap_or_default();
    let q = q.trim();
    let mut page = SearchPage {
        lang,
        title: lang.t("helpdesk-title"),
        switch_href: page::switch_href("/helpdesk", lang),
        q: String::new(),
        error: None,
        searched: false,
        found: Vec::new(),
        register: Vec::new(),
    };
    if q.is_empty() {
        return Ok(page::html(StatusCode::OK, &page));
    }
    if q.chars().count() > MAX_CHARS || !has_no_controls(q) || q.chars().count() < 2 {
        page.error = Some(lang.t("helpdesk-error-search"));
        return Ok(page::html(StatusCode::BAD_REQUEST, &page));
    }
    page.q = q.to_owned();
    let db = app.db.get().await?;
    let mut found: Vec<Account> = Vec::new();
    for lookup in lookups(q, &app.config.usernames.professional_prefix) {
        for account in accounts::search(&db, &lookup, LIMIT).await? {
            if !found.iter().any(|a| a.id == account.id) {
                found.push(account);
            }
        }
    }
    let key = |a: &Account| {
        (
            a.family_name.to_lowercase(),
            a.given_name.to_lowercase(),
            a.username.clone(),
        )
    };
    found.sort_by_key(key);
    found.truncate(usize::try_from(LIMIT).unwrap_or(50));
    let (number, prefix) = register_lookup(q);
    let registered = match (number, prefix) {
        (None, None) => Vec::new(),
        (number, prefix) => {
            professionals::search(&db, number.as_deref(), prefix.as_deref(), LIMIT).await?
        }
    };
    page.searched = true;
    page.found = found.iter().map(|a| Found::of(lang, a)).collect();
    page.register = registered
        .into_iter()
        .map(|s| Registered {
            number: s.professional.number,
            name: format!(
                "{} {}",
                s.professional.given_name, s.professional.family_name
            ),
            profession: s.professional.profession,
            enrolment: lang.t(if s.enrolled_at.is_some() {
                "helpdesk-enrolment-done"
            } else {
                "helpdesk-enrolment-waiting"
            }),
        })
        .collect();
    Ok(page::html(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_read_as_an_address_a_number_or_a_name() {
        assert!(
            matches!(&lookups("Marie@Example.org", "IP")[..], [Lookup::Email(e)] if e == "marie@example.org")
        );
        assert!(
            matches!(&lookups("1-23456", "IP")[..], [Lookup::NamePrefix(n)] if n == "ip123456")
        );
        assert!(matches!(&lookups("ip12345", "IP")[..], [Lookup::NamePrefix(n)] if n == "ip12345"));
        assert!(
            matches!(&lookups("Tremb", "IP")[..], [Lookup::NamePrefix(_), Lookup::PersonPrefix(p)] if p == "tremb")
        );
    }
}
