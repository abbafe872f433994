//! The people this service has met, as the idp described them (migration V1, `people`).

use super::{GenericClient, RowExt as _, StoreError, sql};

/// A person as the idp described them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their `sub`.
    pub sub: String,
    /// `IP…`/`CE…`.
    pub username: String,
    /// Display name.
    pub name: String,
    /// E-mail, when the idp gave one (never typed into messaging).
    pub email: Option<String>,
    /// Preferred language.
    pub locale: String,
}

/// Records what the idp said about a person. An address the source does not carry is kept;
/// `email` and `locale` are kept whole when the source (an `acts_for` claim) names only.
pub async fn upsert(
    client: &impl GenericClient,
    person: &Person,
    full: bool,
) -> Result<(), StoreError> {
    const FULL: &str = "INSERT INTO people (sub, username, name, email, locale) VALUES ($1, $2, $3, $4, $5) \
                        ON CONFLICT ON CONSTRAINT people_pkey DO UPDATE SET username = EXCLUDED.username, \
                        name = EXCLUDED.name, email = coalesce(EXCLUDED.email, people.email), \
                        locale = EXCLUDED.locale, seen_at = now()";
    const NAMES: &str = "INSERT INTO people (sub, username, name) VALUES ($1, $2, $3) \
                         ON CONFLICT ON CONSTRAINT people_pkey DO UPDATE SET username = EXCLUDED.username, \
                         name = EXCLUDED.name";
    if full {
        sql::execute(
            client,
            FULL,
            &[
                &person.sub,
                &person.username,
                &person.name,
                &person.email,
                &person.locale,
            ],
        )
        .await?;
    } else {
        sql::execute(
            client,
            NAMES,
            &[&person.sub, &person.username, &person.name],
        )
        .await?;
    }
    Ok(())
}

/// A person by username (any case).
pub async fn by_username(
    client: &impl GenericClient,
    username: &str,
) -> Result<Option<Person>, StoreError> {
    const SQL: &str =
        "SELECT sub, username, name, email, locale FROM people WHERE upper(username) = upper($1)";
    one(sql::query_opt(client, SQL, &[&username]).await?)
}

/// A person by `sub`.
pub async fn by_sub(client: &impl GenericClient, sub: &str) -> Result<Option<Person>, StoreError> {
    const SQL: &str = "SELECT sub, username, name, email, locale FROM people WHERE sub = $1";
    one(sql::query_opt(client, SQL, &[&sub]).await?)
}

fn one(row: Option<tokio_postgres::Row>) -> Result<Option<Person>, StoreError> {
    row.map(|row| {
        Ok(Person {
            sub: row.col("sub")?,
            username: row.col("username")?,
            name: row.col("name")?,
            email: row.col("email")?,
            locale: row.col("locale")?,
        })
    })
    .transpose()
}
