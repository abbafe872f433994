//! Relying-party registrations, and how their secrets are kept: 256-bit server-generated
//! values stored as HMAC-SHA-256 under a server key (a slow KDF on every token request would
//! cap throughput for no security gain).

use aws_lc_rs::hmac;
use secrecy::ExposeSecret;

use super::{GenericClient, RowExt as _, StoreError, sql};
use crate::config::Secret32;

/// A registered client.
#[derive(Debug, Clone)]
pub struct Client {
    /// `client_id`.
    pub id: String,
    /// Display name (consent page, home page).
    pub name: String,
    /// Keyed hash of the secret; `None` for a public client.
    pub secret_hash: Option<Vec<u8>>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Allowed grant types.
    pub grant_types: Vec<String>,
    /// Allowed scopes.
    pub scopes: Vec<String>,
    /// id_token signing algorithm.
    pub id_token_alg: String,
    /// First-party clients skip consent.
    pub first_party: bool,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<String>,
    /// Where the home page links to open the service; unlisted without one.
    pub home_uri: Option<String>,
}

const COLUMNS: &str = "id, name, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, scopes, \
                       id_token_alg, first_party, backchannel_logout_uri, home_uri";

/// Finds a client that is not disabled (migration V18): a disabled one is unknown to every
/// endpoint.
#[tracing::instrument(level = "debug", skip_all, fields(client = %id))]
pub async fn get(client: &impl GenericClient, id: &str) -> Result<Option<Client>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM clients WHERE id = $1 AND disabled_at IS NULL");
    sql::query_opt(client, &sql, &[&id])
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// A registration and when it was disabled (migration V18), if it is.
pub type WithState = (Client, Option<chrono::DateTime<chrono::Utc>>);

/// Every client, by id, with when it was disabled (the security console and the CLI list them
/// all).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(client: &impl GenericClient) -> Result<Vec<WithState>, StoreError> {
    let sql = format!("SELECT {COLUMNS}, disabled_at FROM clients ORDER BY id");
    sql::query(client, &sql, &[])
        .await?
        .iter()
        .map(|row| Ok((from_row(row)?, row.col("disabled_at")?)))
        .collect()
}

/// A client whether or not it is disabled, with when it was (the security console's page).
pub async fn get_any(
    client: &impl GenericClient,
    id: &str,
) -> Result<Option<WithState>, StoreError> {
    let sql = format!("SELECT {COLUMNS}, disabled_at FROM clients WHERE id = $1");
    sql::query_opt(client, &sql, &[&id])
        .await?
        .map(|row| Ok((from_row(&row)?, row.col("disabled_at")?)))
        .transpose()
}

/// Replaces what a registration says (not its id, its type or its secret); whether it exists.
/// An algorithm the provider does not sign with fails on `clients_id_token_alg_check`.
#[tracing::instrument(level = "debug", skip_all, fields(client = %c.id))]
pub async fn update(client: &impl GenericClient, c: &Client) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE clients SET name = $2, redirect_uris = $3, \
                       post_logout_redirect_uris = $4, grant_types = $5, scopes = $6, \
                       id_token_alg = $7, first_party = $8, backchannel_logout_uri = $9, \
                       home_uri = $10 WHERE id = $1";
    let changed = sql::execute(
        client,
        SQL,
        &[
            &c.id,
            &c.name,
            &c.redirect_uris,
            &c.post_logout_redirect_uris,
            &c.grant_types,
            &c.scopes,
            &c.id_token_alg,
            &c.first_party,
            &c.backchannel_logout_uri,
            &c.home_uri,
        ],
    )
    .await?;
    Ok(changed == 1)
}

/// Disables or enables a client; whether it changed.
pub async fn set_disabled(
    client: &impl GenericClient,
    id: &str,
    disabled: bool,
) -> Result<bool, StoreError> {
    const DISABLE: &str =
        "UPDATE clients SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL";
    const ENABLE: &str =
        "UPDATE clients SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL";
    let sql = if disabled { DISABLE } else { ENABLE };
    Ok(sql::execute(client, sql, &[&id]).await? == 1)
}

/// The services people open from the home page: clients signed in to through the code flow,
/// with a home URL — `(id, name, home URL)`, by id.
pub async fn services(
    client: &impl GenericClient,
) -> Result<Vec<(String, String, String)>, StoreError> {
    Ok(list(client)
        .await?
        .into_iter()
        .filter(|(_, disabled_at)| disabled_at.is_none())
        .map(|(c, _)| c)
        .filter(|c| c.grant_types.iter().any(|g| g == "authorization_code"))
        .filter_map(|c| Some((c.id, c.name, c.home_uri?)))
        .collect())
}

/// Registers a client; a taken id fails on `clients_pkey`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(client: &impl GenericClient, c: &Client) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO clients ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    sql::execute(
        client,
        &sql,
        &[
            &c.id,
            &c.name,
            &c.secret_hash,
            &c.redirect_uris,
            &c.post_logout_redirect_uris,
            &c.grant_types,
            &c.scopes,
            &c.id_token_alg,
            &c.first_party,
            &c.backchannel_logout_uri,
            &c.home_uri,
        ],
    )
    .await?;
    Ok(())
}

/// Removes a client (its tokens, consents and sessions links go with it). Returns whether it existed.
#[tracing::instrument(level = "debug", skip_all, fields(client = %id))]
pub async fn delete(client: &impl GenericClient, id: &str) -> Result<bool, StoreError> {
    Ok(sql::execute(client, "DELETE FROM clients WHERE id = $1", &[&id]).await? == 1)
}

/// Replaces a confidential client's secret hash. Returns whether the client exists and is confidential.
#[tracing::instrument(level = "debug", skip_all, fields(client = %id))]
pub async fn set_secret_hash(
    client: &impl GenericClient,
    id: &str,
    hash: &[u8],
) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE clients SET secret_hash = $2 WHERE id = $1 AND secret_hash IS NOT NULL";
    Ok(sql::execute(client, SQL, &[&id, &hash]).await? == 1)
}

/// The keyed hash a secret is stored as.
pub fn hash_secret(key: &Secret32, secret: &str) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key.expose_secret());
    hmac::sign(&key, secret.as_bytes()).as_ref().to_vec()
}

/// Constant-time comparison of a presented secret with the stored hash.
pub fn verify_secret(key: &Secret32, presented: &str, stored: &[u8]) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key.expose_secret());
    hmac::verify(&key, presented.as_bytes(), stored).is_ok()
}

fn from_row(row: &tokio_postgres::Row) -> Result<Client, StoreError> {
    Ok(Client {
        id: row.col("id")?,
        name: row.col("name")?,
        secret_hash: row.col("secret_hash")?,
        redirect_uris: row.col("redirect_uris")?,
        post_logout_redirect_uris: row.col("post_logout_redirect_uris")?,
        grant_types: row.col("grant_types")?,
        scopes: row.col("scopes")?,
        id_token_alg: row.col("id_token_alg")?,
        first_party: row.col("first_party")?,
        backchannel_logout_uri: row.col("backchannel_logout_uri")?,
        home_uri: row.col("home_uri")?,
    })
}

/// A first-party relying party `id` with one redirect URI, for the store's own tests.
#[cfg(test)]
pub(crate) fn example(id: &str) -> Client {
    Client {
        id: id.into(),
        name: "RP".into(),
        secret_hash: None,
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec!["authorization_code".into()],
        scopes: vec!["openid".into()],
        id_token_alg: "RS256".into(),
        first_party: true,
        backchannel_logout_uri: None,
        home_uri: None,
    }
}
