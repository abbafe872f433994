//! The agency roles of accounts (migration V6, `account_roles`).

use uuid::Uuid;

use super::{GenericClient, StoreError, sql};
use crate::domain::Role;

/// Grants `role` to an account. Returns whether it was new (granting twice is a no-op).
#[tracing::instrument(level = "debug", skip_all, fields(account = %account, role = %role))]
pub async fn grant(
    client: &impl GenericClient,
    account: Uuid,
    role: Role,
) -> Result<bool, StoreError> {
    const SQL: &str = "INSERT INTO account_roles (account_id, role) VALUES ($1, $2) \
                       ON CONFLICT ON CONSTRAINT account_roles_pkey DO NOTHING";
    Ok(sql::execute(client, SQL, &[&account, &role.as_str()]).await? == 1)
}

/// Takes `role` from an account. Returns whether it held it.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account, role = %role))]
pub async fn revoke(
    client: &impl GenericClient,
    account: Uuid,
    role: Role,
) -> Result<bool, StoreError> {
    const SQL: &str = "DELETE FROM account_roles WHERE account_id = $1 AND role = $2";
    Ok(sql::execute(client, SQL, &[&account, &role.as_str()]).await? == 1)
}

/// An account holding agency roles, as the security console lists it.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Its username.
    pub username: String,
    /// First and last name.
    pub name: String,
    /// Its roles, by name.
    pub roles: Vec<String>,
}

/// Every account holding a role, by username.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn holders(client: &impl GenericClient) -> Result<Vec<Holder>, StoreError> {
    use super::RowExt as _;
    const SQL: &str = "SELECT a.username, a.given_name || ' ' || a.family_name AS name, \
                              array_agg(r.role ORDER BY r.role) AS roles \
                         FROM account_roles r JOIN accounts a ON a.id = r.account_id \
                        GROUP BY a.id ORDER BY a.username";
    sql::query(client, SQL, &[])
        .await?
        .iter()
        .map(|row| {
            Ok(Holder {
                username: row.col("username")?,
                name: row.col("name")?,
                roles: row.col("roles")?,
            })
        })
        .collect()
}
