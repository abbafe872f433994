//! `idp nip issue [--all-new | NUMBER...] --out DIR`: a personal identification number (NIP)
//! per professional, for the print house — a mailing file (`nips.csv`) and a letter in French
//! per professional (`letters/<number>.html`, printable) — in a folder made for it, readable
//! by its owner only.
//!
//! A NIP is 10 characters from 31 that cannot be mistaken for one another on paper (no 0/O,
//! 1/I/L), about 49.5 bits from the operating system's CSPRNG, printed `ABCDE-FGHJK`. Only a keyed hash
//! is kept (HMAC-SHA-256 under a key derived from `tokens.client_secret_key`, the number in
//! the message: a NIP checked against another professional's number fails like a wrong one).
//! It expires after `enrolment.nip_valid_days`, serves once, and dies after
//! `enrolment.nip_max_tries` wrong tries; issuing another invalidates the previous one. Each
//! issue is audited (never the NIP).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use askama::Template;
use aws_lc_rs::hmac;
use chrono::{DateTime, Duration, Utc};
use secrecy::ExposeSecret as _;

use crate::config::{EnrolmentConfig, Secret32};
use crate::store::audit::{self, Event};
use crate::store::professionals::Professional;
use crate::store::{GenericClient, StoreError, nips, professionals};

/// Who signs the letters.
pub const AGENCY: &str = "Régie de l'assurance maladie du Québec";

/// The NIP alphabet: no 0/O, no 1/I/L (31 characters).
const ALPHABET: &[u8; 31] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters of a NIP.
const LENGTH: usize = 10;

/// A NIP in clear: only in memory, on its way to the print house.
#[derive(Debug)]
pub struct Nip(String);

impl Nip {
    /// A fresh NIP.
    pub fn generate() -> Result<Self, aws_lc_rs::error::Unspecified> {
        // Bytes of 248 and above are drawn again, so every character is equally likely
        // (248 = 8 × 31).
        let mut text = String::with_capacity(LENGTH);
        while text.len() < LENGTH {
            let mut bytes = [0u8; 16];
            aws_lc_rs::rand::fill(&mut bytes)?;
            for b in bytes.into_iter().filter(|b| *b < 248) {
                if text.len() < LENGTH {
                    text.push(char::from(ALPHABET[usize::from(b % 31)]));
                }
            }
        }
        Ok(Self(text))
    }

    /// As printed: two groups of five.
    pub fn printed(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }

    /// What a person typed, as compared: upper case, without spaces or dashes.
    pub fn normalise(typed: &str) -> String {
        typed
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect()
    }

    /// The keyed hash kept for `number`'s NIP `normalised`.
    pub fn hash(key: &Secret32, number: &str, normalised: &str) -> Vec<u8> {
        let root = hmac::Key::new(hmac::HMAC_SHA256, key.expose_secret());
        let derived = hmac::sign(&root, b"idp enrolment NIP v1");
        let key = hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref());
        let mut context = hmac::Context::with_key(&key);
        context.update(number.as_bytes());
        context.update(b":");
        context.update(normalised.as_bytes());
        context.sign().as_ref().to_vec()
    }
}

/// A NIP issued: to whom, and until when.
#[derive(Debug)]
pub struct Issued {
    /// The professional.
    pub professional: Professional,
    /// The NIP in clear.
    pub nip: Nip,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Why nothing was issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The request cannot be served (unknown numbers, an output folder that exists…).
    #[error("{0}")]
    Invalid(String),
    /// The random generator failed.
    #[error("the random generator failed")]
    Random,
    /// The store failed; nothing was issued.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The files could not be written; the transaction is not committed.
    #[error("writing the mailing files: {0}")]
    Files(#[from] std::io::Error),
}

/// Issues a NIP to each of `to` in the caller's transaction (the previous ones invalidated).
pub async fn issue(
    tx: &impl GenericClient,
    key: &Secret32,
    rules: EnrolmentConfig,
    to: Vec<Professional>,
) -> Result<Vec<Issued>, IssueError> {
    let expires_at = Utc::now() + Duration::days(i64::from(rules.nip_valid_days));
    let mut issued = Vec::with_capacity(to.len());
    for professional in to {
        let nip = Nip::generate().map_err(|_| IssueError::Random)?;
        let replaced = nips::invalidate_live(tx, &professional.number).await?;
        professionals::clear_nip_request(tx, &professional.number).await?;
        nips::insert(
            tx,
            &professional.number,
            &Nip::hash(key, &professional.number, &nip.0),
            expires_at,
        )
        .await?;
        audit::record(
            tx,
            &Event {
                kind: "nip_issued",
                outcome: "success",
                account_id: None,
                client_id: None,
                ip: None,
                user_agent: None,
                detail: serde_json::json!({
                    "professional": professional.number, "replaced": replaced > 0,
                    "expires_at": expires_at,
                }),
            },
        )
        .await?;
        issued.push(Issued {
            professional,
            nip,
            expires_at,
        });
    }
    Ok(issued)
}

/// Why a NIP typed at registration is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NipRefused {
    /// Wrong — or no live NIP for that number, or it died of too many wrong tries: all told
    /// alike, so a guess learns nothing about the number.
    #[error("wrong NIP")]
    Wrong,
    /// Right, but past its date (told only to whoever typed it right).
    #[error("expired NIP")]
    Expired,
}

/// Why a check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Refused.
    #[error(transparent)]
    Refused(#[from] NipRefused),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A NIP checked right: it is used by [`consume`], in the transaction that creates the
/// account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redeemable {
    /// The NIP's id.
    pub id: uuid::Uuid,
}

/// Checks the NIP `typed` for the professional `number`, in a transaction of its own: a wrong
/// try is counted (and the NIP dies at `enrolment.nip_max_tries`) whatever the caller does
/// next. Audited, never with the NIP. The comparison is between keyed hashes, in constant time.
pub async fn check(
    pool: &deadpool_postgres::Pool,
    key: &Secret32,
    rules: EnrolmentConfig,
    number: &str,
    typed: &str,
    birth_date: Option<chrono::NaiveDate>,
    from: Option<&crate::web::Requester>,
) -> Result<Redeemable, CheckError> {
    let mut db = pool.get().await.map_err(StoreError::from)?;
    let tx = db.transaction().await.map_err(StoreError::from)?;
    let live = nips::live_for_update(&tx, number).await?;
    let mut audited_death = false;
    let typed_hash = Nip::hash(key, number, &Nip::normalise(typed));
    let outcome = match &live {
        None => Err(NipRefused::Wrong),
        Some(live) => {
            // With `ask_birth_date`, the date typed must match the register's (when it has
            // one): a wrong date is a wrong try, told apart from a wrong NIP to nobody.
            let born_right = match (birth_date, live.birth_date) {
                (Some(typed), Some(registered)) => typed == registered,
                _ => true,
            };
            let right = aws_lc_rs::constant_time::verify_slices_are_equal(&live.hash, &typed_hash)
                .is_ok()
                && born_right;
            if !right {
                let max = i32::try_from(rules.nip_max_tries).unwrap_or(i32::MAX);
                if nips::wrong_try(&tx, live.id, max).await? {
                    audited_death = true;
                }
                Err(NipRefused::Wrong)
            } else if live.expires_at <= Utc::now() {
                Err(NipRefused::Expired)
            } else {
                Ok(Redeemable { id: live.id })
            }
        }
    };
    let audited = match outcome {
        Ok(_) => "success",
        Err(NipRefused::Wrong) if audited_death => "dead",
        Err(NipRefused::Wrong) => "wrong",
        Err(NipRefused::Expired) => "expired",
    };
    audit::record(
        &tx,
        &Event {
            kind: "nip_check",
            outcome: audited,
            account_id: None,
            client_id: None,
            ip: from.map(|r| r.ip),
            user_agent: from.and_then(|r| r.user_agent.as_deref()),
            detail: serde_json::json!({ "professional": number }),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(outcome?)
}

/// Uses a checked NIP in the caller's transaction (the one that creates the account) and
/// marks the professional enrolled; refused when it was used, re-issued or expired meanwhile.
pub async fn consume(
    tx: &impl GenericClient,
    number: &str,
    nip: Redeemable,
) -> Result<(), CheckError> {
    if !nips::consume(tx, nip.id).await? {
        return Err(NipRefused::Wrong.into());
    }
    crate::store::professionals::mark_enrolled(tx, number).await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "print/nip_letter.html")]
struct Letter<'a> {
    agency: &'a str,
    p: &'a Professional,
    nip: String,
    issued: String,
    expires: String,
    max_tries: u32,
}

/// A date as the letters write it: « 7 décembre 2026 ».
fn french_date(at: DateTime<Utc>) -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    use chrono::Datelike as _;
    let month = MONTHS
        .get(at.month0() as usize)
        .copied()
        .unwrap_or_default();
    let day = if at.day() == 1 {
        "1er".to_owned()
    } else {
        at.day().to_string()
    };
    format!("{day} {month} {}", at.year())
}

/// Writes the mailing file and the letters into `out`, a folder that must not exist yet
/// (made readable by its owner only). Returns the mailing file's path.
pub fn write_mailing(
    out: &Path,
    agency: &str,
    rules: EnrolmentConfig,
    issued: &[Issued],
) -> Result<PathBuf, IssueError> {
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
    // Made here, not found: a folder that exists (or appears meanwhile) is refused.
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(out)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => IssueError::Invalid(format!(
                "{} exists: give a new folder (NIPs are never written over other files)",
                out.display()
            )),
            _ => IssueError::Files(e),
        })?;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(out.join("letters"))?;
    let private = |path: &Path| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
    };
    let csv_path = out.join("nips.csv");
    let mut csv = csv::Writer::from_writer(private(&csv_path)?);
    csv.write_record([
        "numero",
        "prenom",
        "nom",
        "adresse",
        "ville",
        "province",
        "code_postal",
        "nip",
        "expire_le",
        "lettre",
    ])
    .map_err(std::io::Error::other)?;
    let today = french_date(Utc::now());
    for i in issued {
        let p = &i.professional;
        let letter_name = format!("letters/{}.html", p.number);
        csv.write_record([
            p.number.as_str(),
            &defused(&p.given_name),
            &defused(&p.family_name),
            &defused(&p.address),
            &defused(&p.city),
            &p.province,
            &p.postal_code,
            &i.nip.printed(),
            &i.expires_at.format("%Y-%m-%d").to_string(),
            &letter_name,
        ])
        .map_err(std::io::Error::other)?;
        let letter = Letter {
            agency,
            p,
            nip: i.nip.printed(),
            issued: today.clone(),
            expires: french_date(i.expires_at),
            max_tries: rules.nip_max_tries,
        }
        .render()
        .map_err(std::io::Error::other)?;
        private(&out.join(&letter_name))?.write_all(letter.as_bytes())?;
    }
    csv.flush()?;
    Ok(csv_path)
}

/// A value a spreadsheet would run as a formula, quoted so it is text (OWASP: CSV injection).
fn defused(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nip_is_ten_unambiguous_characters_printed_in_two_groups_and_hashed_with_its_number() {
        let nip = Nip::generate().unwrap();
        assert_eq!(nip.0.len(), LENGTH);
        assert!(nip.0.bytes().all(|b| ALPHABET.contains(&b)));
        assert!(!nip.0.contains(['0', 'O', '1', 'I', 'L']));
        let printed = nip.printed();
        assert_eq!(printed.len(), 11);
        assert_eq!(Nip::normalise(&printed.to_lowercase()), nip.0);
        let key = Secret32::new(Box::new([7u8; 32]));
        let a = Nip::hash(&key, "12345", &nip.0);
        assert_eq!(a, Nip::hash(&key, "12345", &nip.0));
        assert_ne!(a, Nip::hash(&key, "12346", &nip.0), "bound to its number");
        assert_ne!(Nip::generate().unwrap().0, nip.0);
    }

    #[test]
    fn letters_write_dates_in_french() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(french_date(at), "1er mars 2026");
        assert_eq!(defused("=SUM(A1)"), "'=SUM(A1)");
    }
}

/// Normalising what a person typed is idempotent and never panics.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn normalising_twice_changes_nothing(typed in "\\PC{0,100}") {
            let once = Nip::normalise(&typed);
            prop_assert_eq!(Nip::normalise(&once), once);
        }
    }
}
