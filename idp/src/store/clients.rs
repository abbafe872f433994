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

/// Finds a client.
#[tracing::instrument(level = "debug", skip_all, fields(client = %id))]
pub async fn get(client: &impl GenericClient, id: &str) -> Result<Option<Client>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM clients WHERE id = $1");
    sql::query_opt(client, &sql, &[&id])
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Every client, by id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(client: &impl GenericClient) -> Result<Vec<Client>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM clients ORDER BY id");
    sql::query(client, &sql, &[])
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// The services people open from the home page: clients signed in to through the code flow,
/// with a home URL — `(id, name, home URL)`, by id.
pub async fn services(
    client: &impl GenericClient,
) -> Result<Vec<(String, String, String)>, StoreError> {
    Ok(list(client)
        .await?
        .into_iter()
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
