//! Single-use e-mailed proofs (an alias's ownership, the link before recovery questions). The
//! link carries a 256-bit random token; only its digest is kept here.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// What a proof is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An address that becomes a login name.
    Alias,
    /// Opens a recovery.
    Recovery,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Alias => "alias",
            Purpose::Recovery => "recovery",
        }
    }
}

/// A proof that was spent.
#[derive(Debug, Clone)]
pub struct Spent {
    /// Whose.
    pub account_id: Uuid,
    /// The address it was sent to.
    pub email: String,
}

/// Records a proof sent to `email`, valid until `expires_at`. Earlier unspent proofs of the
/// same purpose for the account stop working (only the latest link counts).
#[tracing::instrument(level = "debug", skip_all, fields(account = %account_id))]
pub async fn insert(
    client: &impl GenericClient,
    token_hash: &[u8],
    account_id: Uuid,
    purpose: Purpose,
    email: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SUPERSEDE: &str = "UPDATE email_proofs SET used_at = now() \
                             WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL";
    const INSERT: &str = "INSERT INTO email_proofs (token_hash, account_id, purpose, email, expires_at) \
                          VALUES ($1, $2, $3, $4, $5)";
    sql::execute(client, SUPERSEDE, &[&account_id, &purpose.as_str()]).await?;
    sql::execute(
        client,
        INSERT,
        &[
            &token_hash,
            &account_id,
            &purpose.as_str(),
            &email,
            &expires_at,
        ],
    )
    .await?;
    Ok(())
}

/// The address the account's latest proof of `purpose` went to, while that proof can still be
/// spent (the page that says « Consultez vos courriels »).
#[tracing::instrument(level = "debug", skip_all, fields(account = %account_id))]
pub async fn pending(
    client: &impl GenericClient,
    account_id: Uuid,
    purpose: Purpose,
) -> Result<Option<String>, StoreError> {
    const SQL: &str = "SELECT email FROM email_proofs \
                       WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now() \
                       ORDER BY expires_at DESC LIMIT 1";
    sql::query_opt(client, SQL, &[&account_id, &purpose.as_str()])
        .await?
        .map(|r| r.col(0))
        .transpose()
}

/// Spends a proof: it works once, before it expires, for its purpose only.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn spend(
    client: &impl GenericClient,
    token_hash: &[u8],
    purpose: Purpose,
) -> Result<Option<Spent>, StoreError> {
    const SQL: &str = "UPDATE email_proofs SET used_at = now() \
                       WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now() \
                       RETURNING account_id, email";
    let Some(row) = sql::query_opt(client, SQL, &[&token_hash, &purpose.as_str()]).await? else {
        return Ok(None);
    };
    Ok(Some(Spent {
        account_id: row.col(0)?,
        email: row.col(1)?,
    }))
}
