//! `GET /security/policy`: the rules in force, read from the running configuration — what a
//! security officer checks against the agency's policy without reading TOML.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::SecurityOfficer;
use crate::config::EmailProof;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::{PageError, RequestLang, page};

/// One section: a heading and its rules (name, value).
struct Section {
    title: String,
    rules: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "security_policy.html")]
struct PolicyPage {
    lang: Lang,
    title: String,
    switch_href: String,
    sections: Vec<Section>,
}

/// `GET /security/policy`.
pub async fn show(
    State(app): State<AppState>,
    _officer: SecurityOfficer,
    RequestLang(lang): RequestLang,
) -> Result<Response, PageError> {
    let c = &app.config;
    let rule = |key: &str, value: String| (lang.t(key), value);
    let p = &c.password_policy;
    let l = &c.lockout;
    let r = &c.recovery;
    let section = |key: &str, rules| Section {
        title: lang.t(key),
        rules,
    };
    let sections = vec![
        section(
            "security-policy-passwords",
            vec![
                rule("security-policy-min-length", p.min_length.to_string()),
                rule(
                    "security-policy-min-strength",
                    format!("{} / 4", p.min_strength),
                ),
                rule("security-policy-history", p.history.to_string()),
                rule("security-policy-max-age", p.max_age_days.to_string()),
                rule(
                    "security-policy-temporary-ttl",
                    p.temporary_ttl_hours.to_string(),
                ),
            ],
        ),
        section(
            "security-policy-lockout",
            vec![
                rule("security-policy-max-failures", l.max_failures.to_string()),
                rule("security-policy-lock-secs", l.lock_secs.to_string()),
                rule(
                    "security-policy-max-locks",
                    l.max_temporary_locks.to_string(),
                ),
            ],
        ),
        section(
            "security-policy-recovery",
            vec![
                rule(
                    "security-policy-questions",
                    format!(
                        "{} / {}",
                        c.secret_questions.asked, c.secret_questions.required
                    ),
                ),
                rule(
                    "security-policy-max-challenges",
                    r.max_failed_challenges.to_string(),
                ),
                rule(
                    "security-policy-email-proof",
                    lang.t(match r.email_proof {
                        EmailProof::Off => "security-policy-email-proof-off",
                        EmailProof::WhenAvailable => "security-policy-email-proof-when-available",
                        EmailProof::Required => "security-policy-email-proof-required",
                    }),
                ),
            ],
        ),
        section(
            "security-policy-staff",
            vec![
                rule(
                    "security-policy-second-factor",
                    lang.t("security-policy-second-factor-value"),
                ),
                rule(
                    "security-policy-console-idle",
                    c.consoles.idle_secs.to_string(),
                ),
                rule(
                    "security-policy-session-idle",
                    c.session.idle_secs.to_string(),
                ),
            ],
        ),
    ];
    let page = PolicyPage {
        lang,
        title: lang.t("security-policy-title"),
        switch_href: page::switch_href("/security/policy", lang),
        sections,
    };
    Ok(page::html(StatusCode::OK, &page))
}
