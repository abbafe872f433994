//! `messaging journal export --from --to`: the access journal as CSV for the security team,
//! streamed page by page (keyset), so a year of entries never sits in memory. Fields that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) are quoted with a leading `'`.

use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Pool;

use crate::store::journal;

/// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!("`{text}` is not a date (2026-12-01) or a time (2026-12-01T08:00:00Z)")
        })
}

/// One CSV field: quoted when it holds a separator, a quote or a line break; defused when a
/// spreadsheet would take it for a formula.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// Writes the entries with `from <= at < to` to `out`; returns how many.
pub async fn export(
    pool: &Pool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    out: &mut impl Write,
) -> anyhow::Result<u64> {
    anyhow::ensure!(from < to, "--from must be before --to");
    writeln!(
        out,
        "at,actor_sub,actor_username,action,thread_id,message_ids,attachment_id,ip,user_agent"
    )?;
    let db = pool.get().await?;
    let mut after = None;
    let mut written = 0;
    loop {
        let page = journal::range(&db, from, to, after, 1000).await?;
        let Some((last_id, last)) = page.last() else {
            break;
        };
        after = Some((last.at, *last_id));
        for (_, e) in &page {
            let ids: Vec<String> = e.message_ids.iter().map(ToString::to_string).collect();
            let row = [
                e.at.to_rfc3339(),
                e.actor_sub.clone(),
                e.actor_username.clone(),
                e.action.clone(),
                e.thread_id.to_string(),
                ids.join(" "),
                e.attachment_id.map(|a| a.to_string()).unwrap_or_default(),
                e.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                e.user_agent.clone().unwrap_or_default(),
            ];
            let line: Vec<String> = row.iter().map(|v| field(v)).collect();
            writeln!(out, "{}", line.join(","))?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn dates_and_times_parse_and_anything_else_is_named() {
        assert_eq!(
            parse_time("2026-12-01").unwrap().to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        assert!(parse_time("2026-12-01T08:00:00-05:00").is_ok());
        assert!(parse_time("yesterday").unwrap_err().contains("yesterday"));
    }
}
