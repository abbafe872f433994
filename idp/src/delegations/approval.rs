//! What approving an access request does, whoever approves it (a named professional from their
//! delegations page, or a help-desk agent for the agency): the first approval opens the
//! requester's staff account with a temporary password that goes to the requester's own address
//! (the username is shown to whoever approved, who passes it on), and each approval grants the
//! delegations of the professionals it speaks for, at the services asked for that still exist.
//! A refusal that settles the request tells the requester.

use uuid::Uuid;

use super::staff_account;
use crate::assistance::Audience;
use crate::domain::{Password, generate_temporary_password};
use crate::i18n::Lang;
use crate::mail::{self, Notice, Recipient};
use crate::state::AppState;
use crate::store::access_requests::{self, Stored};
use crate::store::{GenericClient, clients, delegations};
use crate::web::PageError;

/// A temporary password, generated and hashed before the transaction (Argon2 holds a hashing
/// slot, never a row lock); sent only when the approval opens the account.
pub struct Temporary {
    password: String,
    phc: String,
}

impl std::fmt::Debug for Temporary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Temporary(<redacted>)")
    }
}

impl Temporary {
    /// A fresh one.
    pub async fn generate(app: &AppState) -> Result<Self, PageError> {
        let password = generate_temporary_password().map_err(PageError::internal)?;
        let phc = app
            .hasher
            .hash(&Password::parse(&password).map_err(PageError::internal)?)
            .await?;
        Ok(Self { password, phc })
    }
}

/// What an approval did.
#[derive(Debug)]
pub struct Approved {
    /// The staff account.
    pub staff: Uuid,
    /// Its username when this approval opened it (shown to whoever approved).
    pub opened: Option<String>,
    /// The services the delegations were granted at.
    pub services: Vec<String>,
}

/// Approves `request` in the caller's transaction: the staff account opened if it is the first
/// approval, a delegation from each of `grantors` (professional accounts) at the services asked
/// for that still exist.
pub async fn approve(
    tx: &impl GenericClient,
    app: &AppState,
    request: &Stored,
    grantors: &[Uuid],
    temporary: Temporary,
) -> Result<Approved, PageError> {
    let (staff, opened) = match request.account_id {
        Some(staff) => (staff, None),
        None => {
            let (staff, username) = staff_account::open(tx, app, request, &temporary.phc).await?;
            (staff, Some(username))
        }
    };
    let offered: Vec<String> = clients::services(tx)
        .await?
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    let services: Vec<String> = request
        .request
        .services
        .iter()
        .filter(|s| offered.contains(s))
        .cloned()
        .collect();
    for grantor in grantors {
        for service in &services {
            delegations::grant(tx, staff, *grantor, Some(service.as_str())).await?;
        }
    }
    if opened.is_some() {
        access_requests::approve(tx, request.id, staff).await?;
        let notice = Notice::AccessApproved {
            password: temporary.password,
            hours: app.config.password_policy.temporary_ttl_hours,
        };
        mail::enqueue(tx, &requester_of(request), &notice).await?;
    }
    Ok(Approved {
        staff,
        opened,
        services,
    })
}

/// Tells the requester their request was refused.
pub async fn tell_refused(tx: &impl GenericClient, request: &Stored) -> Result<(), PageError> {
    mail::enqueue(tx, &requester_of(request), &Notice::AccessRefused).await?;
    Ok(())
}

/// Who the requester is, for the e-mails.
fn requester_of(request: &Stored) -> Recipient {
    let r = &request.request;
    Recipient {
        address: r.email.clone(),
        lang: Lang::from_tag(&r.lang).unwrap_or_default(),
        name: format!("{} {}", r.given_name, r.family_name),
        audience: Audience::staff(),
    }
}
