//! Agency teams (`messaging teams …`).

use super::{GenericClient, RowExt as _, StoreError, sql};

/// A team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Its code (`[a-z0-9-]{1,40}`).
    pub code: String,
    /// French name.
    pub name_fr: String,
    /// English name.
    pub name_en: String,
}

/// Adds a team or renames it. Returns whether it was new.
pub async fn upsert(client: &impl GenericClient, team: &Team) -> Result<bool, StoreError> {
    const SQL: &str = "INSERT INTO teams (code, name_fr, name_en) VALUES ($1, $2, $3) \
                       ON CONFLICT ON CONSTRAINT teams_pkey DO UPDATE \
                       SET name_fr = EXCLUDED.name_fr, name_en = EXCLUDED.name_en \
                       RETURNING (xmax = 0) AS inserted";
    let row = sql::query_one(client, SQL, &[&team.code, &team.name_fr, &team.name_en]).await?;
    Ok(row.col("inserted")?)
}

/// Every team, by code.
pub async fn list(client: &impl GenericClient) -> Result<Vec<Team>, StoreError> {
    const SQL: &str = "SELECT code, name_fr, name_en FROM teams ORDER BY code";
    sql::query(client, SQL, &[])
        .await?
        .iter()
        .map(|row| {
            Ok(Team {
                code: row.col("code")?,
                name_fr: row.col("name_fr")?,
                name_en: row.col("name_en")?,
            })
        })
        .collect()
}

/// Whether a team exists.
pub async fn exists(client: &impl GenericClient, code: &str) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT 1 FROM teams WHERE code = $1";
    Ok(sql::query_opt(client, SQL, &[&code]).await?.is_some())
}
