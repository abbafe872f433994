//! `idp professionals import FILE`: the agency's register of professionals, from CSV.
//!
//! The file has a header row naming its columns (any order): `numero`, `prenom`, `nom`,
//! `profession`, `adresse`, `ville`, `province`, `code_postal`, and optionally `courriel` and `date_naissance` (YYYY-MM-DD, which
//! registration asks for when `enrolment.ask_birth_date` is set)
//! (UTF-8, comma-separated, fields quoted as CSV quotes them). Every row is checked before
//! anything is written: a file with any bad row is refused whole, each problem named with its
//! line number; a good file is written in one transaction, each professional added or updated
//! by number (importing again never duplicates). The import is audited with its counts.

use std::collections::HashMap;
use std::io::Read;

use crate::domain::{EmailAddress, ProfessionalNumber};
use crate::store::audit::{self, Event};
use crate::store::professionals::{self, Professional, Upserted};
use crate::store::{GenericClient, StoreError};

/// The columns, as the header names them.
const COLUMNS: [&str; 10] = [
    "numero",
    "prenom",
    "nom",
    "profession",
    "adresse",
    "ville",
    "province",
    "code_postal",
    "courriel",
    "date_naissance",
];
/// Longest value of a name, profession, address or city.
const TEXT_MAX: usize = 120;
/// Rows one file may hold.
const ROWS_MAX: usize = 1_000_000;

/// A row refused: its line in the file and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// Line number (the header is line 1).
    pub line: u64,
    /// What is wrong.
    pub problem: String,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not a register: no header, a missing column, not CSV, too many rows.
    #[error("{0}")]
    File(String),
    /// Some rows are wrong: each is named; nothing was written.
    #[error("{} row(s) refused; nothing was imported", .0.len())]
    Rows(Vec<BadRow>),
    /// The store failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    /// New professionals.
    pub added: u64,
    /// Professionals whose entry changed.
    pub updated: u64,
    /// Professionals already there as they are.
    pub unchanged: u64,
}

/// Reads and checks a register; every bad row is reported, none is skipped.
pub fn parse(input: impl Read) -> Result<Vec<Professional>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| ImportError::File(format!("the header row does not read: {e}")))?
        .clone();
    let position: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, name)| (name.trim().to_lowercase(), i))
        .collect();
    let missing: Vec<&str> = COLUMNS[..8]
        .iter()
        .filter(|c| !position.contains_key(**c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::File(format!(
            "the header row lacks the column(s) {} (expected: {})",
            missing.join(", "),
            COLUMNS.join(", ")
        )));
    }
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                bad.push(BadRow {
                    line,
                    problem: format!("not a CSV row of {} fields: {e}", header.len()),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if rows.len() + bad.len() >= ROWS_MAX {
            return Err(ImportError::File(format!(
                "more than {ROWS_MAX} rows: split the file"
            )));
        }
        let field = |name: &str| {
            position
                .get(name)
                .and_then(|i| record.get(*i))
                .unwrap_or_default()
                .to_owned()
        };
        match professional(&field) {
            Ok(p) => {
                if let Some(first) = seen.insert(p.number.clone(), line) {
                    bad.push(BadRow {
                        line,
                        problem: format!("number {} already on line {first}", p.number),
                    });
                } else {
                    rows.push(p);
                }
            }
            Err(problem) => bad.push(BadRow { line, problem }),
        }
    }
    if !bad.is_empty() {
        return Err(ImportError::Rows(bad));
    }
    Ok(rows)
}

/// One row, checked and normalised.
fn professional(field: &dyn Fn(&str) -> String) -> Result<Professional, String> {
    let number = ProfessionalNumber::parse(&field("numero"), false)
        .ok_or_else(|| format!("numero `{}`: 5 to 10 digits", shown(&field("numero"))))?
        .as_str()
        .to_owned();
    let text = |name: &str| -> Result<String, String> {
        let value = field(name);
        if value.is_empty() {
            return Err(format!("{name}: empty"));
        }
        if value.chars().count() > TEXT_MAX || !crate::domain::has_no_controls(&value) {
            return Err(format!(
                "{name} `{}`: at most {TEXT_MAX} characters, no control characters",
                shown(&value)
            ));
        }
        Ok(value)
    };
    let province = field("province").to_uppercase();
    if province.len() != 2 || !province.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "province `{}`: two letters (QC, ON, …)",
            shown(&province)
        ));
    }
    let postal_code = postal_code(&field("code_postal")).ok_or_else(|| {
        format!(
            "code_postal `{}`: a Canadian postal code (H1A 1A1)",
            shown(&field("code_postal"))
        )
    })?;
    let email = field("courriel");
    let email = if email.is_empty() {
        None
    } else {
        let parsed = EmailAddress::parse(&email)
            .map_err(|_| format!("courriel `{}`: not an address", shown(&email)))?;
        Some(parsed.as_ref().to_owned())
    };
    let birth_date = field("date_naissance");
    let birth_date = if birth_date.is_empty() {
        None
    } else {
        Some(birth_date_of(&birth_date).ok_or_else(|| {
            format!(
                "date_naissance `{}`: a date of birth as YYYY-MM-DD",
                shown(&birth_date)
            )
        })?)
    };
    Ok(Professional {
        number,
        birth_date,
        given_name: text("prenom")?,
        family_name: text("nom")?,
        profession: text("profession")?,
        address: text("adresse")?,
        city: text("ville")?,
        province,
        postal_code,
        email,
    })
}

/// `1975-03-14` → the date, when it is a real date after 1900 and not in the future.
pub fn birth_date_of(raw: &str) -> Option<chrono::NaiveDate> {
    let date = chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()?;
    let earliest = chrono::NaiveDate::from_ymd_opt(1900, 1, 1)?;
    (date >= earliest && date <= chrono::Utc::now().date_naive()).then_some(date)
}

/// `h1a1a1`, `H1A-1A1` … → `H1A 1A1`; `None` when it is not a Canadian postal code.
fn postal_code(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let chars: Vec<char> = compact.chars().collect();
    let shape = chars.len() == 6
        && chars.iter().enumerate().all(|(i, c)| {
            if i % 2 == 0 {
                c.is_ascii_uppercase()
            } else {
                c.is_ascii_digit()
            }
        });
    shape.then(|| format!("{} {}", &compact[..3], &compact[3..]))
}

/// A value as an error message shows it: at most 40 characters, control characters escaped.
fn shown(value: &str) -> String {
    value
        .chars()
        .take(40)
        .flat_map(char::escape_debug)
        .collect()
}

/// Writes a checked register in one transaction, and audits it.
pub async fn import(
    tx: &impl GenericClient,
    rows: &[Professional],
) -> Result<Imported, ImportError> {
    let mut done = Imported::default();
    for p in rows {
        match professionals::upsert(tx, p).await? {
            Upserted::Added => done.added += 1,
            Upserted::Updated => done.updated += 1,
            Upserted::Unchanged => done.unchanged += 1,
        }
    }
    audit::record(
        tx,
        &Event {
            kind: "professionals_imported",
            outcome: "success",
            account_id: None,
            client_id: None,
            ip: None,
            user_agent: None,
            detail: serde_json::json!({
                "added": done.added, "updated": done.updated, "unchanged": done.unchanged,
            }),
        },
    )
    .await?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "numero,prenom,nom,profession,adresse,ville,province,code_postal,courriel\n";

    #[test]
    fn a_register_reads_and_normalises_numbers_postal_codes_and_provinces() {
        let file = format!(
            "{HEADER}1-23456,Marie,Tremblay,medecin,\"12, rue Principale\",Québec,qc,g1a1a1,marie@example.org\n\
             98765,Luc,Bouchard,pharmacien,3 av. des Pins,Laval,QC,H7N-2B4,\n"
        );
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].number, "123456");
        assert_eq!(rows[0].address, "12, rue Principale");
        assert_eq!(rows[0].postal_code, "G1A 1A1");
        assert_eq!(rows[0].province, "QC");
        assert_eq!(rows[1].email, None);
        assert_eq!(rows[1].postal_code, "H7N 2B4");
    }

    #[test]
    fn every_bad_row_is_named_by_its_line_and_nothing_is_kept() {
        let file = format!(
            "{HEADER}12345,Marie,Tremblay,medecin,1 rue A,Québec,QC,G1A 1A1,\n\
             abc,Luc,Bouchard,pharmacien,2 rue B,Laval,QC,H7N 2B4,\n\
             23456,,Gagnon,medecin,3 rue C,Laval,QC,H7N 2B4,\n\
             12345,Marie,Tremblay,medecin,1 rue A,Québec,QC,G1A 1A1,\n\
             34567,Jean,Roy,medecin,4 rue D,Laval,QC,99999,\n\
             45678,Ann,Lee,medecin,5 rue E,Laval,QC,H7N 2B4,pas-une-adresse\n\
             56789,Too,Short\n"
        );
        let Err(ImportError::Rows(bad)) = parse(file.as_bytes()) else {
            panic!("refused");
        };
        let lines: Vec<u64> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7, 8], "{bad:?}");
        assert!(bad[2].problem.contains("line 2"), "{bad:?}");
    }

    #[test]
    fn a_date_of_birth_is_optional_and_checked_when_given() {
        let file = "numero,prenom,nom,profession,adresse,ville,province,code_postal,date_naissance\n\
                    12345,Marie,Tremblay,medecin,1 rue A,Québec,QC,G1A 1A1,1975-03-14\n\
                    23456,Luc,Roy,medecin,1 rue A,Québec,QC,G1A 1A1,\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(
            rows[0].birth_date,
            chrono::NaiveDate::from_ymd_opt(1975, 3, 14)
        );
        assert_eq!(rows[1].birth_date, None);
        for bad in ["14/03/1975", "1975-02-30", "1899-12-31", "2999-01-01"] {
            let file = format!(
                "numero,prenom,nom,profession,adresse,ville,province,code_postal,date_naissance\n\
                 12345,Marie,Tremblay,medecin,1 rue A,Québec,QC,G1A 1A1,{bad}\n"
            );
            let Err(ImportError::Rows(bad_rows)) = parse(file.as_bytes()) else {
                panic!("{bad} refused");
            };
            assert!(
                bad_rows[0].problem.contains("date_naissance"),
                "{bad_rows:?}"
            );
        }
    }

    #[test]
    fn a_file_without_its_columns_is_refused_naming_them() {
        let Err(ImportError::File(why)) = parse("numero,nom\n12345,Roy\n".as_bytes()) else {
            panic!("refused");
        };
        assert!(
            why.contains("prenom") && why.contains("code_postal"),
            "{why}"
        );
        assert!(matches!(parse(&b""[..]), Err(ImportError::File(_))));
    }
}
