//! `GET /security/audit`: the trail, filtered by the query (`account`, `agent` — usernames —,
//! `kind`, `from` and `to` — days, `to` included —, `ip`), newest first; `format=csv` exports
//! the same selection (at most `CSV_LIMIT` rows) with cells that a spreadsheet would run as a
//! formula neutralised. A malformed filter is named at its field (400) and nothing is listed.

use std::net::IpAddr;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeZone as _, Utc};

use super::SecurityOfficer;
use crate::domain::LoginName;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::store::audit::{self as trail, Filter, Listed};
use crate::store::{GenericClient, accounts};
use crate::web::{PageError, RequestLang, page, query_param};

/// Rows a page shows.
const PAGE_LIMIT: i64 = 200;
/// Rows an export holds.
const CSV_LIMIT: i64 = 100_000;

/// The filter as typed, given back in the form.
#[derive(Debug, Default)]
struct Typed {
    account: String,
    agent: String,
    kind: String,
    from: String,
    to: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "security_audit.html")]
struct AuditPage {
    lang: Lang,
    title: String,
    switch_href: String,
    /// The filter's inputs: field, label key, value typed.
    inputs: Vec<(&'static str, &'static str, String)>,
    problems: page::FieldErrors,
    rows: Vec<Listed>,
    csv_href: String,
    limit: i64,
}

/// The account a filter names by username or alias; `Err` when there is none.
async fn account(db: &impl GenericClient, typed: &str) -> Result<Option<uuid::Uuid>, ()> {
    if typed.is_empty() {
        return Ok(None);
    }
    let name = LoginName::parse(typed).map_err(|_| ())?;
    match accounts::find_by_login_name(db, &name.folded()).await {
        Ok(Some(found)) => Ok(Some(found.account.id)),
        _ => Err(()),
    }
}

fn day(typed: &str) -> Result<Option<NaiveDate>, ()> {
    if typed.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(typed, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

/// Reads the query into a filter, or the problems by field.
async fn filter(
    db: &impl GenericClient,
    typed: &Typed,
) -> Result<Filter, Vec<(&'static str, &'static str)>> {
    let mut problems = Vec::new();
    let mut filter = Filter::default();
    match account(db, &typed.account).await {
        Ok(id) => filter.account = id,
        Err(()) => problems.push(("account", "security-error-account")),
    }
    match account(db, &typed.agent).await {
        Ok(id) => filter.agent = id,
        Err(()) => problems.push(("agent", "security-error-account")),
    }
    if !typed.kind.is_empty() {
        if typed.kind.len() <= 64
            && typed
                .kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            filter.kind = Some(typed.kind.clone());
        } else {
            problems.push(("kind", "security-error-kind"));
        }
    }
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
    match day(&typed.from) {
        Ok(d) => filter.from = d.and_then(midnight),
        Err(()) => problems.push(("from", "security-error-day")),
    }
    match day(&typed.to) {
        // `to` is included: before the next midnight.
        Ok(d) => filter.until = d.and_then(|d| d.succ_opt()).and_then(midnight),
        Err(()) => problems.push(("to", "security-error-day")),
    }
    if !typed.ip.is_empty() {
        match typed.ip.parse::<IpAddr>() {
            Ok(ip) => filter.ip = Some(ip),
            Err(_) => problems.push(("ip", "security-error-ip")),
        }
    }
    if problems.is_empty() {
        Ok(filter)
    } else {
        Err(problems)
    }
}

/// `GET /security/audit`.
pub async fn show(
    State(app): State<AppState>,
    _officer: SecurityOfficer,
    RequestLang(lang): RequestLang,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = query.as_deref();
    let field = |name| {
        query_param(query, name)
            .unwrap_or_default()
            .trim()
            .chars()
            .take(254)
            .collect::<String>()
    };
    let typed = Typed {
        account: field("account"),
        agent: field("agent"),
        kind: field("kind"),
        from: field("from"),
        to: field("to"),
        ip: field("ip"),
    };
    let csv = query_param(query, "format").as_deref() == Some("csv");
    let db = app.db.get().await?;
    let (rows, problems) = match filter(&db, &typed).await {
        Ok(filter) => {
            let limit = if csv { CSV_LIMIT } else { PAGE_LIMIT };
            (trail::search(&db, &filter, limit).await?, Vec::new())
        }
        Err(problems) => (Vec::new(), problems),
    };
    if csv && problems.is_empty() {
        return export(&rows);
    }
    let csv_href = format!(
        "/security/audit?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("account", &typed.account),
                ("agent", &typed.agent),
                ("kind", &typed.kind),
                ("from", &typed.from),
                ("to", &typed.to),
                ("ip", &typed.ip),
            ])
            .append_pair("format", "csv")
            .finish()
    );
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = AuditPage {
        lang,
        title: lang.t("security-audit-title"),
        switch_href: page::switch_href("/security/audit", lang),
        inputs: vec![
            ("account", "security-audit-account", typed.account),
            ("agent", "security-audit-agent", typed.agent),
            ("kind", "security-audit-kind", typed.kind),
            ("from", "security-audit-from", typed.from),
            ("to", "security-audit-to", typed.to),
            ("ip", "security-audit-ip", typed.ip),
        ],
        problems: page::FieldErrors::of(lang, problems),
        rows,
        csv_href,
        limit: PAGE_LIMIT,
    };
    Ok(page::html(status, &page))
}

/// A cell a spreadsheet reads as text, never as a formula (OWASP: CSV injection).
fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn export(rows: &[Listed]) -> Result<Response, PageError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = ["at", "kind", "outcome", "account", "client", "ip", "detail"];
    out.write_record(header).map_err(PageError::internal)?;
    for r in rows {
        let record = [
            r.at.to_rfc3339(),
            cell(&r.kind),
            cell(&r.outcome),
            cell(r.username.as_deref().unwrap_or_default()),
            cell(r.client_id.as_deref().unwrap_or_default()),
            cell(r.ip.as_deref().unwrap_or_default()),
            cell(&r.detail),
        ];
        out.write_record(&record).map_err(PageError::internal)?;
    }
    let body = out.into_inner().map_err(PageError::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"audit.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_never_starts_a_formula() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1+2"), "'-1+2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("login"), "login");
    }
}
