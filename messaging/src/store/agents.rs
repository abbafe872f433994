//! Agents and the teams they work (`messaging agents …`). An agent is known by their idp
//! username (`CE…`), upper-cased; the token must also carry the `messaging-agent` role.

use super::{GenericClient, RowExt as _, StoreError, sql};

/// One agent's membership of one team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The agent's username, upper-cased.
    pub username: String,
    /// The team.
    pub team: String,
    /// Whether they supervise that team (reassign threads).
    pub supervisor: bool,
}

/// Adds an agent to a team, or changes their supervisor flag there.
pub async fn upsert(client: &impl GenericClient, member: &Membership) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO agents (username, team_code, supervisor) VALUES ($1, $2, $3) \
                       ON CONFLICT ON CONSTRAINT agents_pkey DO UPDATE SET supervisor = EXCLUDED.supervisor";
    sql::execute(
        client,
        SQL,
        &[&member.username, &member.team, &member.supervisor],
    )
    .await?;
    Ok(())
}

/// Removes an agent from a team. Returns whether they were in it.
pub async fn remove(
    client: &impl GenericClient,
    username: &str,
    team: &str,
) -> Result<bool, StoreError> {
    const SQL: &str = "DELETE FROM agents WHERE username = $1 AND team_code = $2";
    Ok(sql::execute(client, SQL, &[&username, &team]).await? == 1)
}

/// The teams an agent works (none for anyone else).
pub async fn memberships(
    client: &impl GenericClient,
    username: &str,
) -> Result<Vec<Membership>, StoreError> {
    const SQL: &str =
        "SELECT username, team_code, supervisor FROM agents WHERE username = $1 ORDER BY team_code";
    rows(sql::query(client, SQL, &[&username]).await?)
}

/// Every membership, by username then team.
pub async fn list(client: &impl GenericClient) -> Result<Vec<Membership>, StoreError> {
    const SQL: &str =
        "SELECT username, team_code, supervisor FROM agents ORDER BY username, team_code";
    rows(sql::query(client, SQL, &[]).await?)
}

fn rows(rows: Vec<tokio_postgres::Row>) -> Result<Vec<Membership>, StoreError> {
    rows.iter()
        .map(|row| {
            Ok(Membership {
                username: row.col("username")?,
                team: row.col("team_code")?,
                supervisor: row.col("supervisor")?,
            })
        })
        .collect()
}
