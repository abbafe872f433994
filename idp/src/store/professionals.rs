//! The agency's register of professionals (migration V7), imported from CSV.

use super::{GenericClient, RowExt as _, StoreError, sql};

/// A professional as the register states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Professional {
    /// Professional number (digits).
    pub number: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Profession (as the register names it).
    pub profession: String,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Province (two letters).
    pub province: String,
    /// Postal code, `A1A 1A1`.
    pub postal_code: String,
    /// E-mail, when the register has one.
    pub email: Option<String>,
    /// Date of birth, when the register has one (migration V11).
    pub birth_date: Option<chrono::NaiveDate>,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    /// A new professional.
    Added,
    /// Someone already there, changed.
    Updated,
    /// Someone already there, the same.
    Unchanged,
}

/// Adds or updates a professional by number.
pub async fn upsert(client: &impl GenericClient, p: &Professional) -> Result<Upserted, StoreError> {
    // `xmax = 0` tells an insert from an update; an update that changes nothing is skipped
    // by the WHERE (and returns no row).
    const SQL: &str = "INSERT INTO professionals AS p (number, given_name, family_name, profession, address, \
                       city, province, postal_code, email, birth_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                       ON CONFLICT ON CONSTRAINT professionals_pkey DO UPDATE SET \
                       given_name = EXCLUDED.given_name, family_name = EXCLUDED.family_name, \
                       profession = EXCLUDED.profession, address = EXCLUDED.address, city = EXCLUDED.city, \
                       province = EXCLUDED.province, postal_code = EXCLUDED.postal_code, email = EXCLUDED.email, \
                       birth_date = EXCLUDED.birth_date, \
                       updated_at = now() \
                       WHERE (p.given_name, p.family_name, p.profession, p.address, p.city, p.province, \
                              p.postal_code, p.email, p.birth_date) IS DISTINCT FROM \
                             (EXCLUDED.given_name, EXCLUDED.family_name, EXCLUDED.profession, EXCLUDED.address, \
                              EXCLUDED.city, EXCLUDED.province, EXCLUDED.postal_code, EXCLUDED.email, \
                              EXCLUDED.birth_date) \
                       RETURNING (xmax = 0) AS added";
    let row = sql::query_opt(
        client,
        SQL,
        &[
            &p.number,
            &p.given_name,
            &p.family_name,
            &p.profession,
            &p.address,
            &p.city,
            &p.province,
            &p.postal_code,
            &p.email,
            &p.birth_date,
        ],
    )
    .await?;
    Ok(match row {
        None => Upserted::Unchanged,
        Some(row) if row.col::<_, bool>("added")? => Upserted::Added,
        Some(_) => Upserted::Updated,
    })
}

fn from_row(row: &tokio_postgres::Row) -> Result<Professional, StoreError> {
    Ok(Professional {
        number: row.col("number")?,
        given_name: row.col("given_name")?,
        family_name: row.col("family_name")?,
        profession: row.col("profession")?,
        address: row.col("address")?,
        city: row.col("city")?,
        province: row.col("province")?,
        postal_code: row.col("postal_code")?,
        email: row.col("email")?,
        birth_date: row.col("birth_date")?,
    })
}

const COLUMNS: &str = "number, given_name, family_name, profession, address, city, province, postal_code, email, \
     birth_date";

/// The professionals with these numbers (those that exist), by number.
pub async fn by_numbers(
    client: &impl GenericClient,
    numbers: &[String],
) -> Result<Vec<Professional>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM professionals WHERE number = ANY($1) ORDER BY number");
    sql::query(client, &sql, &[&numbers])
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// The professionals not enrolled who await a letter, by number: never sent a NIP, or asked
/// for again by the help desk (migration V17). (One whose NIP expired or died of wrong tries
/// gets another only when the help desk asks: a stranger killing NIPs cannot make the agency
/// mail the whole register again.)
pub async fn awaiting_a_nip(client: &impl GenericClient) -> Result<Vec<Professional>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM professionals p WHERE p.enrolled_at IS NULL AND \
         (p.nip_requested_at IS NOT NULL OR NOT EXISTS \
          (SELECT 1 FROM nips n WHERE n.professional_number = p.number)) ORDER BY number"
    );
    sql::query(client, &sql, &[])
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Marks a professional enrolled (their account exists).
pub async fn mark_enrolled(client: &impl GenericClient, number: &str) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE professionals SET enrolled_at = now() WHERE number = $1";
    sql::execute(client, SQL, &[&number]).await?;
    Ok(())
}

/// The help desk asks for a new letter (the live NIP is invalidated beside it); whether the
/// professional exists and is not enrolled.
pub async fn request_nip(client: &impl GenericClient, number: &str) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE professionals SET nip_requested_at = now() \
                       WHERE number = $1 AND enrolled_at IS NULL";
    Ok(sql::execute(client, SQL, &[&number]).await? == 1)
}

/// A NIP was issued: any request for one is answered.
pub async fn clear_nip_request(
    client: &impl GenericClient,
    number: &str,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE professionals SET nip_requested_at = NULL WHERE number = $1";
    sql::execute(client, SQL, &[&number]).await?;
    Ok(())
}

/// A professional of the register as the help desk sees it: who, and where their enrolment
/// stands (never a NIP).
#[derive(Debug, Clone)]
pub struct Standing {
    /// The register's entry.
    pub professional: Professional,
    /// When their account was created.
    pub enrolled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the help desk asked for a new letter, not yet printed.
    pub nip_requested_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The live NIP: when it was issued, when it expires, wrong tries so far.
    pub live_nip: Option<(
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
        i32,
    )>,
}

const STANDING: &str = "p.number, p.given_name, p.family_name, p.profession, p.address, p.city, \
     p.province, p.postal_code, p.email, p.birth_date, p.enrolled_at, p.nip_requested_at, \
     n.issued_at, n.expires_at, n.wrong_tries \
     FROM professionals p LEFT JOIN nips n ON n.professional_number = p.number \
     AND n.used_at IS NULL AND n.invalidated_at IS NULL";

fn standing_from_row(row: &tokio_postgres::Row) -> Result<Standing, StoreError> {
    let issued: Option<chrono::DateTime<chrono::Utc>> = row.col("issued_at")?;
    let live_nip = match issued {
        Some(issued) => Some((issued, row.col("expires_at")?, row.col("wrong_tries")?)),
        None => None,
    };
    Ok(Standing {
        professional: from_row(row)?,
        enrolled_at: row.col("enrolled_at")?,
        nip_requested_at: row.col("nip_requested_at")?,
        live_nip,
    })
}

/// One professional's standing.
pub async fn standing(
    client: &impl GenericClient,
    number: &str,
) -> Result<Option<Standing>, StoreError> {
    let sql = format!("SELECT {STANDING} WHERE p.number = $1");
    sql::query_opt(client, &sql, &[&number])
        .await?
        .as_ref()
        .map(standing_from_row)
        .transpose()
}

/// Professionals whose number is `number`, or whose family name starts with `prefix` (folded),
/// at most `limit`, read in index order (migration V17).
pub async fn search(
    client: &impl GenericClient,
    number: Option<&str>,
    prefix: Option<&str>,
    limit: i64,
) -> Result<Vec<Standing>, StoreError> {
    let sql = format!(
        "SELECT {STANDING} WHERE p.number = $1 OR p.number IN \
           (SELECT q.number FROM professionals q \
             WHERE lower(q.family_name) COLLATE \"C\" >= $2 \
               AND lower(q.family_name) COLLATE \"C\" < ($2 || $4) \
             ORDER BY lower(q.family_name) COLLATE \"C\" LIMIT $3) \
         ORDER BY lower(p.family_name), lower(p.given_name), p.number LIMIT $3"
    );
    let end = '\u{10FFFF}'.to_string();
    sql::query(client, &sql, &[&number, &prefix, &limit, &end])
        .await?
        .iter()
        .map(standing_from_row)
        .collect()
}
