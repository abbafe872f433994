//! Access requests (migration V9).

use std::net::IpAddr;

use uuid::Uuid;

use super::{GenericClient, StoreError, sql};

/// A request as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Professional e-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Establishment or clinic.
    pub establishment: String,
    /// Professional numbers the person will act for.
    pub acts_for: Vec<String>,
    /// Client ids of the services asked for.
    pub services: Vec<String>,
    /// The language of the form (fr-CA or en): the e-mails follow it.
    pub lang: String,
}

/// Stores a request; its id.
pub async fn insert(
    client: &impl GenericClient,
    r: &NewRequest,
    ip: Option<IpAddr>,
) -> Result<Uuid, StoreError> {
    const SQL: &str = "INSERT INTO access_requests (id, given_name, family_name, email, phone, \
                       establishment, acts_for, services, lang, ip) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::inet)";
    let id = Uuid::now_v7();
    let ip = ip.map(|ip| ip.to_string());
    sql::execute(
        client,
        SQL,
        &[
            &id,
            &r.given_name,
            &r.family_name,
            &r.email,
            &r.phone,
            &r.establishment,
            &r.acts_for,
            &r.services,
            &r.lang,
            &ip,
        ],
    )
    .await?;
    Ok(id)
}
