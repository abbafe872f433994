//! Accounts, their login names and password credentials.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{Delegation, Role};

use super::{GenericClient, RowExt as _, StoreError, sql};

/// An account as login and the claims need it.
#[derive(Debug, Clone)]
pub struct Account {
    /// Internal id; also the opaque `sub` claim.
    pub id: Uuid,
    /// The `IP…`/`CE…` username.
    pub username: String,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// E-mail, when set.
    pub email: Option<String>,
    /// Whether ownership of the e-mail was proven.
    pub email_verified: bool,
    /// Profession (professionals).
    pub profession: Option<String>,
    /// `professional` or `staff`.
    pub account_type: String,
    /// Preferred language.
    pub locale: String,
    /// Set when the account may not sign in.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Set when too many lockouts wait for the help desk.
    pub locked_at: Option<DateTime<Utc>>,
    /// Agency roles (the `roles` claim).
    pub roles: Vec<Role>,
    /// Active delegations of a staff account (the `acts_for` claim), by username.
    pub delegations: Vec<Delegation>,
}

/// An account and its password credential, found by a login name.
#[derive(Debug)]
pub struct AccountWithPassword {
    /// The account.
    pub account: Account,
    /// PHC string, when a password is set.
    pub phc: Option<String>,
    /// When the password was last set (its age decides expiry).
    pub changed_at: Option<DateTime<Utc>>,
    /// Set when the password is a temporary one from the help desk: when it stops working.
    pub temporary_expires_at: Option<DateTime<Utc>>,
    /// The secret questions are owed (an expired or temporary password asked for them).
    pub questions_pending: bool,
}

/// A new account.
#[derive(Debug)]
pub struct NewAccount<'a> {
    /// Username.
    pub username: &'a str,
    /// First name.
    pub given_name: &'a str,
    /// Last name.
    pub family_name: &'a str,
    /// E-mail.
    pub email: Option<&'a str>,
    /// Profession.
    pub profession: Option<&'a str>,
    /// `professional` or `staff`.
    pub account_type: &'a str,
    /// Password PHC string.
    pub phc: &'a str,
}

/// The account's columns, with its roles and active delegations read in the same statement
/// (index lookups, one round trip): every token issued reads them fresh, so a revoked role or
/// delegation is gone from the next token (migration V6). Its second factors are not read
/// here: only the sign-in and the pages that show them need them (`second_factors::methods`),
/// and a token refresh has no use for them.
const COLUMNS: &str = "a.id, a.username, a.given_name, a.family_name, a.email, a.email_verified, \
     a.profession, a.account_type, a.locale, a.disabled_at, a.locked_at, \
     ARRAY(SELECT r.role FROM account_roles r WHERE r.account_id = a.id ORDER BY r.role) AS roles, \
     (SELECT coalesce(jsonb_agg(jsonb_build_object('sub', p.id::text, 'username', p.username, \
                'name', p.given_name || ' ' || p.family_name, 'service', d.service) \
              ORDER BY p.username, d.service NULLS FIRST), '[]') \
        FROM delegations d JOIN accounts p ON p.id = d.professional_id \
       WHERE d.staff_id = a.id AND d.revoked_at IS NULL AND p.disabled_at IS NULL) AS delegations";

/// Finds an account by any of its login names (already case-folded).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_login_name(
    client: &impl GenericClient,
    folded: &str,
) -> Result<Option<AccountWithPassword>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS}, p.phc, p.changed_at, p.temporary_expires_at, p.questions_pending \
         FROM account_names n JOIN accounts a ON a.id = n.account_id \
         LEFT JOIN password_credentials p ON p.account_id = a.id WHERE n.name_folded = $1"
    );
    let Some(row) = sql::query_opt(client, &sql, &[&folded]).await? else {
        return Ok(None);
    };
    Ok(Some(AccountWithPassword {
        account: from_row(&row)?,
        phc: row.col("phc")?,
        changed_at: row.col("changed_at")?,
        temporary_expires_at: row.col("temporary_expires_at")?,
        questions_pending: row
            .col::<_, Option<bool>>("questions_pending")?
            .unwrap_or(false),
    }))
}

/// Finds an account by id.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn get(client: &impl GenericClient, id: Uuid) -> Result<Option<Account>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts a WHERE a.id = $1");
    sql::query_opt(client, &sql, &[&id])
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Creates an account, its username as a login name, and its password (in the caller's
/// transaction). A taken name fails on `account_names_pkey`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(client: &impl GenericClient, new: &NewAccount<'_>) -> Result<Uuid, StoreError> {
    const INSERT: &str = "INSERT INTO accounts (id, username, given_name, family_name, email, profession, account_type) \
                          VALUES ($1, $2, $3, $4, $5, $6, $7)";
    const NAME: &str =
        "INSERT INTO account_names (name_folded, account_id, kind) VALUES ($1, $2, 'username')";
    const PASSWORD: &str = "INSERT INTO password_credentials (account_id, phc) VALUES ($1, $2)";
    let id = Uuid::new_v4();
    sql::execute(
        client,
        INSERT,
        &[
            &id,
            &new.username,
            &new.given_name,
            &new.family_name,
            &new.email,
            &new.profession,
            &new.account_type,
        ],
    )
    .await?;
    sql::execute(client, NAME, &[&new.username.to_lowercase(), &id]).await?;
    sql::execute(client, PASSWORD, &[&id, &new.phc]).await?;
    Ok(id)
}

/// Locks an account until the help desk unlocks it; whether this call locked it (an account
/// already locked keeps its first lock's date, and no second event is due).
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn lock_for_help_desk(client: &impl GenericClient, id: Uuid) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE accounts SET locked_at = now() WHERE id = $1 AND locked_at IS NULL";
    Ok(sql::execute(client, SQL, &[&id]).await? == 1)
}

/// Every login name of an account (username and e-mail alias), as stored (folded).
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn names(client: &impl GenericClient, id: Uuid) -> Result<Vec<String>, StoreError> {
    const SQL: &str =
        "SELECT name_folded FROM account_names WHERE account_id = $1 ORDER BY created_at";
    let rows = sql::query(client, SQL, &[&id]).await?;
    rows.iter().map(|r| r.col(0)).collect()
}

/// Makes a proven address the account's e-mail and its e-mail login name, replacing a
/// previous alias (the `IP…`/`CE…` username always stays). A name another account holds
/// fails on `account_names_pkey`.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn set_email_alias(
    client: &impl GenericClient,
    id: Uuid,
    email: &str,
) -> Result<(), StoreError> {
    const DROP_OLD: &str = "DELETE FROM account_names WHERE account_id = $1 AND kind = 'email'";
    const NAME: &str =
        "INSERT INTO account_names (name_folded, account_id, kind) VALUES ($1, $2, 'email')";
    const EMAIL: &str = "UPDATE accounts SET email = $2, email_verified = true WHERE id = $1";
    sql::execute(client, DROP_OLD, &[&id]).await?;
    sql::execute(client, NAME, &[&email.to_lowercase(), &id]).await?;
    sql::execute(client, EMAIL, &[&id, &email]).await?;
    Ok(())
}

/// Sets the language notices and pages use for the account.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn set_locale(
    client: &impl GenericClient,
    id: Uuid,
    locale: &str,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE accounts SET locale = $2 WHERE id = $1";
    sql::execute(client, SQL, &[&id, &locale]).await?;
    Ok(())
}

/// Lifts a help-desk lock. Returns whether the account was locked.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn unlock(client: &impl GenericClient, id: Uuid) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE accounts SET locked_at = NULL WHERE id = $1 AND locked_at IS NOT NULL";
    Ok(sql::execute(client, SQL, &[&id]).await? == 1)
}

fn from_row(row: &tokio_postgres::Row) -> Result<Account, StoreError> {
    Ok(Account {
        id: row.col("id")?,
        username: row.col("username")?,
        given_name: row.col("given_name")?,
        family_name: row.col("family_name")?,
        email: row.col("email")?,
        email_verified: row.col("email_verified")?,
        profession: row.col("profession")?,
        account_type: row.col("account_type")?,
        locale: row.col("locale")?,
        disabled_at: row.col("disabled_at")?,
        locked_at: row.col("locked_at")?,
        // The table's CHECK holds the same list as `Role`: an unknown name cannot be stored.
        roles: row
            .col::<_, Vec<String>>("roles")?
            .iter()
            .filter_map(|name| Role::parse(name))
            .collect(),
        delegations: serde_json::from_value(row.col("delegations")?)
            .map_err(|e| StoreError::Corrupt(e.into()))?,
    })
}

/// Where an account stands with "Mot de passe oublié?" (migration V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryStanding {
    /// Failed challenges since the last success or reopening.
    pub failures: i32,
    /// Set when too many failed challenges closed recovery until the help desk reopens it.
    pub closed_at: Option<DateTime<Utc>>,
}

/// Reads an account's recovery standing.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn recovery_standing(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<RecoveryStanding>, StoreError> {
    const SQL: &str = "SELECT recovery_failures, recovery_closed_at FROM accounts WHERE id = $1";
    let Some(row) = sql::query_opt(client, SQL, &[&id]).await? else {
        return Ok(None);
    };
    Ok(Some(RecoveryStanding {
        failures: row.col(0)?,
        closed_at: row.col(1)?,
    }))
}

/// Counts one failed recovery challenge, closing recovery when the count reaches `max` (in one
/// statement, so concurrent failures are all counted). Returns the new standing and whether
/// this failure is the one that closed it (exactly one failure closes it, whatever `max` was
/// when earlier failures were counted).
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn record_recovery_failure(
    client: &impl GenericClient,
    id: Uuid,
    max: i32,
) -> Result<(RecoveryStanding, bool), StoreError> {
    const SQL: &str = "WITH before AS (SELECT recovery_closed_at FROM accounts WHERE id = $1 FOR UPDATE) \
                       UPDATE accounts a SET recovery_failures = a.recovery_failures + 1, \
                           recovery_closed_at = CASE WHEN a.recovery_failures + 1 >= $2 \
                               THEN coalesce(a.recovery_closed_at, now()) ELSE a.recovery_closed_at END \
                       FROM before WHERE a.id = $1 \
                       RETURNING a.recovery_failures, a.recovery_closed_at, \
                           before.recovery_closed_at IS NULL AND a.recovery_closed_at IS NOT NULL";
    let row = sql::query_one(client, SQL, &[&id, &max]).await?;
    let standing = RecoveryStanding {
        failures: row.col(0)?,
        closed_at: row.col(1)?,
    };
    Ok((standing, row.col(2)?))
}

/// Forgets failed challenges after a challenge answered right.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn clear_recovery_failures(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<(), StoreError> {
    const SQL: &str =
        "UPDATE accounts SET recovery_failures = 0 WHERE id = $1 AND recovery_failures <> 0";
    sql::execute(client, SQL, &[&id]).await?;
    Ok(())
}

/// Reopens recovery (the help desk): failures forgotten, closing lifted. Returns whether it
/// was closed.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn reopen_recovery(client: &impl GenericClient, id: Uuid) -> Result<bool, StoreError> {
    const SQL: &str = "WITH before AS (SELECT recovery_closed_at FROM accounts WHERE id = $1 FOR UPDATE) \
                       UPDATE accounts a SET recovery_failures = 0, recovery_closed_at = NULL \
                       FROM before WHERE a.id = $1 \
                       RETURNING before.recovery_closed_at IS NOT NULL";
    match sql::query_opt(client, SQL, &[&id]).await? {
        Some(row) => row.col(0),
        None => Ok(false),
    }
}

/// A staff username not yet taken: `prefix` and the next number of `staff_numbers`
/// (migration V10), skipping names already in use (an account made by hand).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn next_staff_username(
    client: &impl GenericClient,
    prefix: &str,
) -> Result<String, StoreError> {
    const SQL: &str = "SELECT $1 || nextval('staff_numbers') AS name";
    const TAKEN: &str = "SELECT 1 FROM account_names WHERE name_folded = lower($1)";
    for _ in 0..100 {
        let Some(row) = sql::query_opt(client, SQL, &[&prefix]).await? else {
            break;
        };
        let name: String = row.col("name")?;
        if sql::query_opt(client, TAKEN, &[&name]).await?.is_none() {
            return Ok(name);
        }
    }
    Err(StoreError::Corrupt(
        "no free staff username in 100 numbers".into(),
    ))
}

/// The active accounts whose proven e-mail address is `folded` (already lower case).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn with_proven_email(
    client: &impl GenericClient,
    folded: &str,
) -> Result<Vec<Account>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM accounts a \
          WHERE lower(a.email) = $1 AND a.email_verified AND a.disabled_at IS NULL \
          ORDER BY a.username LIMIT 10"
    );
    sql::query(client, &sql, &[&folded])
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// What the help desk looks an account up by.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// The start of a login name (username, alias), lower case.
    NamePrefix(String),
    /// An e-mail address on file or signing in, lower case.
    Email(String),
    /// The start of a family or given name, lower case.
    PersonPrefix(String),
}

/// Accounts matching `lookup`, by family name, given name and username, at most `limit`. A
/// prefix is searched as the byte range [prefix, prefix + U+10FFFF) on the byte-ordered ("C")
/// indexes of migration V15, read in index order so that only the first `limit` matches are
/// read, however broad the prefix (in a generic plan too, where `LIKE $1` could use no index);
/// the account's roles and delegations are read for those only.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    client: &impl GenericClient,
    lookup: &Lookup,
    limit: i64,
) -> Result<Vec<Account>, StoreError> {
    const RANGE_END: char = '\u{10FFFF}';
    let matching = match lookup {
        Lookup::NamePrefix(_) => {
            "(SELECT n.account_id AS id FROM account_names n \
               WHERE n.name_folded COLLATE \"C\" >= $1 AND n.name_folded COLLATE \"C\" < ($1 || $3) \
               ORDER BY n.name_folded COLLATE \"C\" LIMIT $2)"
        }
        Lookup::Email(_) => {
            "(SELECT a.id FROM accounts a WHERE lower(a.email) = $1 AND $3 <> '' LIMIT $2) \
             UNION (SELECT n.account_id FROM account_names n WHERE n.name_folded = $1)"
        }
        Lookup::PersonPrefix(_) => {
            "(SELECT a.id FROM accounts a \
               WHERE lower(a.family_name) COLLATE \"C\" >= $1 \
                 AND lower(a.family_name) COLLATE \"C\" < ($1 || $3) \
               ORDER BY lower(a.family_name) COLLATE \"C\" LIMIT $2) \
             UNION (SELECT a.id FROM accounts a \
               WHERE lower(a.given_name) COLLATE \"C\" >= $1 \
                 AND lower(a.given_name) COLLATE \"C\" < ($1 || $3) \
               ORDER BY lower(a.given_name) COLLATE \"C\" LIMIT $2)"
        }
    };
    let value = match lookup {
        Lookup::NamePrefix(v) | Lookup::Email(v) | Lookup::PersonPrefix(v) => v,
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM accounts a WHERE a.id IN ({matching}) \
         ORDER BY lower(a.family_name), lower(a.given_name), a.username LIMIT $2"
    );
    let end = RANGE_END.to_string();
    sql::query(client, &sql, &[value, &limit, &end])
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Disables (no sign-in, no token) or enables an account; whether it changed.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn set_disabled(
    client: &impl GenericClient,
    id: Uuid,
    disabled: bool,
) -> Result<bool, StoreError> {
    const DISABLE: &str =
        "UPDATE accounts SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL";
    const ENABLE: &str =
        "UPDATE accounts SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL";
    let sql = if disabled { DISABLE } else { ENABLE };
    Ok(sql::execute(client, sql, &[&id]).await? == 1)
}
