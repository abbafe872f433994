//! Second factors (migration V12): the sealed TOTP secret of an account and its single-use
//! recovery codes (keyed hashes); which factors an account has, passkeys (V16) included.

use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// The second factors an account has set up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Methods {
    /// A TOTP authenticator.
    pub totp: bool,
    /// How many passkeys.
    pub passkeys: i64,
}

impl Methods {
    /// Whether every sign-in asks for a second factor.
    pub fn any(self) -> bool {
        self.totp || self.passkeys > 0
    }
}

/// Locks the account row until the caller's transaction ends: removals of its factors are
/// taken one at a time, so two at once cannot both see the other factor still there.
pub async fn lock_account(client: &impl GenericClient, account: Uuid) -> Result<(), StoreError> {
    const SQL: &str = "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE";
    sql::query_opt(client, SQL, &[&account]).await?;
    Ok(())
}

/// The account's second factors (two primary-key and index lookups, one round trip).
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn methods(client: &impl GenericClient, account: Uuid) -> Result<Methods, StoreError> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM totp_credentials WHERE account_id = $1) AS totp, \
                       (SELECT count(*) FROM passkeys WHERE account_id = $1) AS passkeys";
    let row = sql::query_one(client, SQL, &[&account]).await?;
    Ok(Methods {
        totp: row.col("totp")?,
        passkeys: row.col("passkeys")?,
    })
}

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
    sql::execute(client, TOTP, &[&account, &sealed, &first_step]).await?;
    replace_recovery_codes(client, account, code_hashes).await
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

/// Forgets the account's authenticator; with `everything`, its passkeys and recovery codes as
/// well (the help desk's reset). Whether anything was there.
pub async fn reset(
    client: &impl GenericClient,
    account: Uuid,
    everything: bool,
) -> Result<bool, StoreError> {
    const TOTP: &str = "DELETE FROM totp_credentials WHERE account_id = $1";
    const PASSKEYS: &str = "DELETE FROM passkeys WHERE account_id = $1";
    const CODES: &str = "DELETE FROM recovery_codes WHERE account_id = $1";
    let mut had = sql::execute(client, TOTP, &[&account]).await? == 1;
    if everything {
        had |= sql::execute(client, PASSKEYS, &[&account]).await? > 0;
    }
    if everything {
        sql::execute(client, CODES, &[&account]).await?;
    } else {
        forget_codes_without_factor(client, account).await?;
    }
    Ok(had)
}

/// Forgets the recovery codes of an account left without a second factor: they replace a
/// factor, and serve as long as one remains.
pub async fn forget_codes_without_factor(
    client: &impl GenericClient,
    account: Uuid,
) -> Result<(), StoreError> {
    const CODES: &str = "DELETE FROM recovery_codes WHERE account_id = $1";
    if !methods(client, account).await?.any() {
        sql::execute(client, CODES, &[&account]).await?;
    }
    Ok(())
}

/// Sets a new set of recovery codes, replacing every previous one (a first passkey without an
/// authenticator app gets its own).
pub async fn replace_recovery_codes(
    client: &impl GenericClient,
    account: Uuid,
    code_hashes: &[Vec<u8>],
) -> Result<(), StoreError> {
    const CLEAR: &str = "DELETE FROM recovery_codes WHERE account_id = $1";
    const CODE: &str = "INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)";
    sql::execute(client, CLEAR, &[&account]).await?;
    for hash in code_hashes {
        sql::execute(client, CODE, &[&account, hash]).await?;
    }
    Ok(())
}
