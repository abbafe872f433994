//! Second factors (migration V12): the sealed TOTP secret of an account and its single-use
//! recovery codes (keyed hashes).

use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// The sealed TOTP secret of an account, when it has one.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn totp_secret(
    client: &impl GenericClient,
    account: Uuid,
) -> Result<Option<Vec<u8>>, StoreError> {
    const SQL: &str = "SELECT secret_sealed FROM totp_credentials WHERE account_id = $1";
    sql::query_opt(client, SQL, &[&account])
        .await?
        .map(|r| r.col("secret_sealed"))
        .transpose()
}

/// Whether the account has a TOTP secret.
pub async fn has_totp(client: &impl GenericClient, account: Uuid) -> Result<bool, StoreError> {
    Ok(totp_secret(client, account).await?.is_some())
}

/// Sets the account's TOTP secret (replacing any) and its recovery codes (replacing every
/// previous one), in the caller's transaction.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn enrol(
    client: &impl GenericClient,
    account: Uuid,
    sealed: &[u8],
    first_step: i64,
    code_hashes: &[Vec<u8>],
) -> Result<(), StoreError> {
    const TOTP: &str = "INSERT INTO totp_credentials (account_id, secret_sealed, last_step) \
                        VALUES ($1, $2, $3) ON CONFLICT (account_id) DO UPDATE \
                        SET secret_sealed = $2, last_step = $3, created_at = now()";
    const CLEAR: &str = "DELETE FROM recovery_codes WHERE account_id = $1";
    const CODE: &str = "INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)";
    sql::execute(client, TOTP, &[&account, &sealed, &first_step]).await?;
    sql::execute(client, CLEAR, &[&account]).await?;
    for hash in code_hashes {
        sql::execute(client, CODE, &[&account, hash]).await?;
    }
    Ok(())
}

/// Records that a code of time step `step` was accepted; `false` when that step (or a later
/// one) was already used: a replayed code (RFC 6238 §5.2).
pub async fn accept_step(
    client: &impl GenericClient,
    account: Uuid,
    step: i64,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE totp_credentials SET last_step = $2 \
                       WHERE account_id = $1 AND last_step < $2";
    Ok(sql::execute(client, SQL, &[&account, &step]).await? == 1)
}

/// Spends a recovery code; `false` when it is unknown or already used.
pub async fn spend_recovery_code(
    client: &impl GenericClient,
    account: Uuid,
    hash: &[u8],
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE recovery_codes SET used_at = now() \
                       WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL";
    Ok(sql::execute(client, SQL, &[&account, &hash]).await? == 1)
}

/// Recovery codes not yet used.
pub async fn recovery_codes_left(
    client: &impl GenericClient,
    account: Uuid,
) -> Result<i64, StoreError> {
    const SQL: &str =
        "SELECT count(*) AS n FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL";
    sql::query_one(client, SQL, &[&account]).await?.col("n")
}

/// Forgets the account's authenticator and recovery codes; whether it had one.
pub async fn reset(client: &impl GenericClient, account: Uuid) -> Result<bool, StoreError> {
    const TOTP: &str = "DELETE FROM totp_credentials WHERE account_id = $1";
    const CODES: &str = "DELETE FROM recovery_codes WHERE account_id = $1";
    let had = sql::execute(client, TOTP, &[&account]).await? == 1;
    sql::execute(client, CODES, &[&account]).await?;
    Ok(had)
}
