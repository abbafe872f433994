//! Access requests (migration V9).

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// A request as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Professional e-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Establishment or clinic.
    pub establishment: String,
    /// Professional numbers the person will act for.
    pub acts_for: Vec<String>,
    /// Client ids of the services asked for.
    pub services: Vec<String>,
    /// The language of the form (fr-CA or en): the e-mails follow it.
    pub lang: String,
}

/// Stores a request; its id.
pub async fn insert(
    client: &impl GenericClient,
    r: &NewRequest,
    ip: Option<IpAddr>,
) -> Result<Uuid, StoreError> {
    const SQL: &str = "INSERT INTO access_requests (id, given_name, family_name, email, phone, \
                       establishment, acts_for, services, lang, ip) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::inet)";
    let id = Uuid::now_v7();
    let ip = ip.map(|ip| ip.to_string());
    sql::execute(
        client,
        SQL,
        &[
            &id,
            &r.given_name,
            &r.family_name,
            &r.email,
            &r.phone,
            &r.establishment,
            &r.acts_for,
            &r.services,
            &r.lang,
            &ip,
        ],
    )
    .await?;
    Ok(id)
}

/// A stored request, as the professionals it names and the agents read it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its id.
    pub id: Uuid,
    /// The request as submitted.
    pub request: NewRequest,
    /// `pending`, `approved` or `refused`.
    pub state: String,
    /// The staff account opened at its first approval.
    pub account_id: Option<Uuid>,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
}

const STORED: &str = "id, given_name, family_name, email, phone, establishment, acts_for, \
                      services, lang, state, account_id, created_at";

fn stored(row: &tokio_postgres::Row) -> Result<Stored, StoreError> {
    Ok(Stored {
        id: row.col("id")?,
        request: NewRequest {
            given_name: row.col("given_name")?,
            family_name: row.col("family_name")?,
            email: row.col("email")?,
            phone: row.col("phone")?,
            establishment: row.col("establishment")?,
            acts_for: row.col("acts_for")?,
            services: row.col("services")?,
            lang: row.col("lang")?,
        },
        state: row.col("state")?,
        account_id: row.col("account_id")?,
        created_at: row.col("created_at")?,
    })
}

/// The requests naming professional `number` that still wait for their decision (not refused
/// as a whole, not decided for this number), oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn awaiting(
    client: &impl GenericClient,
    number: &str,
) -> Result<Vec<Stored>, StoreError> {
    let sql = format!(
        "SELECT {STORED} FROM access_requests r \
          WHERE $1 = ANY (r.acts_for) AND r.state <> 'refused' \
            AND NOT EXISTS (SELECT 1 FROM access_request_decisions d \
                             WHERE d.request_id = r.id AND d.professional_number = $1) \
          ORDER BY r.created_at, r.id LIMIT 100"
    );
    sql::query(client, &sql, &[&number])
        .await?
        .iter()
        .map(stored)
        .collect()
}

/// Reads a request and locks it until the caller's transaction ends (decisions on one request
/// are taken one at a time).
#[tracing::instrument(level = "debug", skip_all, fields(request = %id))]
pub async fn lock(client: &impl GenericClient, id: Uuid) -> Result<Option<Stored>, StoreError> {
    let sql = format!("SELECT {STORED} FROM access_requests WHERE id = $1 FOR UPDATE");
    sql::query_opt(client, &sql, &[&id])
        .await?
        .map(|r| stored(&r))
        .transpose()
}

/// The decision already taken for `number` on a request, if any.
pub async fn decision(
    client: &impl GenericClient,
    id: Uuid,
    number: &str,
) -> Result<Option<String>, StoreError> {
    const SQL: &str = "SELECT decision FROM access_request_decisions \
                       WHERE request_id = $1 AND professional_number = $2";
    sql::query_opt(client, SQL, &[&id, &number])
        .await?
        .map(|r| r.col("decision"))
        .transpose()
}

/// Records the decision for `number` (once: a second one for the same number fails on the key).
pub async fn decide(
    client: &impl GenericClient,
    id: Uuid,
    number: &str,
    by: Uuid,
    approved: bool,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO access_request_decisions \
                       (request_id, professional_number, decided_by, decision) VALUES ($1, $2, $3, $4)";
    let decision = if approved { "approved" } else { "refused" };
    sql::execute(client, SQL, &[&id, &number, &by, &decision]).await?;
    Ok(())
}

/// Marks the request approved with the staff account opened for it.
pub async fn approve(
    client: &impl GenericClient,
    id: Uuid,
    account: Uuid,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE access_requests SET state = 'approved', account_id = $2, \
                       decided_at = coalesce(decided_at, now()) WHERE id = $1";
    sql::execute(client, SQL, &[&id, &account]).await?;
    Ok(())
}

/// Marks the request refused when nobody approved it and every named professional who has an
/// account (username `prefix` + number) refused it; whether it did.
pub async fn refuse_if_settled(
    client: &impl GenericClient,
    id: Uuid,
    prefix: &str,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE access_requests r SET state = 'refused', decided_at = now() \
                        WHERE r.id = $1 AND r.state = 'pending' \
                          AND NOT EXISTS ( \
                              SELECT 1 FROM unnest(r.acts_for) AS n(number) \
                                JOIN account_names a ON a.name_folded = lower($2 || n.number) \
                               WHERE NOT EXISTS (SELECT 1 FROM access_request_decisions d \
                                                  WHERE d.request_id = r.id \
                                                    AND d.professional_number = n.number \
                                                    AND d.decision = 'refused'))";
    Ok(sql::execute(client, SQL, &[&id, &prefix]).await? == 1)
}

/// Reads a request.
pub async fn get(client: &impl GenericClient, id: Uuid) -> Result<Option<Stored>, StoreError> {
    let sql = format!("SELECT {STORED} FROM access_requests WHERE id = $1");
    sql::query_opt(client, &sql, &[&id])
        .await?
        .map(|r| stored(&r))
        .transpose()
}

/// The requests still pending (no staff account opened, not refused), oldest first: the help
/// desk's queue.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn pending(client: &impl GenericClient, limit: i64) -> Result<Vec<Stored>, StoreError> {
    let sql = format!(
        "SELECT {STORED} FROM access_requests WHERE state = 'pending' \
         ORDER BY created_at, id LIMIT $1"
    );
    sql::query(client, &sql, &[&limit])
        .await?
        .iter()
        .map(stored)
        .collect()
}

/// The professionals a request names who have an active account (username `prefix` +
/// number) and have not decided it yet: (number, account).
pub async fn undecided_accounts(
    client: &impl GenericClient,
    id: Uuid,
    prefix: &str,
) -> Result<Vec<(String, Uuid)>, StoreError> {
    const SQL: &str = "SELECT n.number, a.account_id FROM access_requests r \
                       CROSS JOIN LATERAL unnest(r.acts_for) AS n(number) \
                       JOIN account_names a ON a.name_folded = lower($2 || n.number) \
                       JOIN accounts p ON p.id = a.account_id AND p.disabled_at IS NULL \
                       WHERE r.id = $1 AND NOT EXISTS (SELECT 1 FROM access_request_decisions d \
                             WHERE d.request_id = r.id AND d.professional_number = n.number) \
                       ORDER BY n.number";
    sql::query(client, SQL, &[&id, &prefix])
        .await?
        .iter()
        .map(|row| Ok((row.col("number")?, row.col("account_id")?)))
        .collect()
}

/// Refuses a pending request as a whole (an agent's decision); whether it was pending.
pub async fn refuse(client: &impl GenericClient, id: Uuid) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE access_requests SET state = 'refused', decided_at = now() \
                       WHERE id = $1 AND state = 'pending'";
    Ok(sql::execute(client, SQL, &[&id]).await? == 1)
}
