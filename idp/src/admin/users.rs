//! Adding accounts (seeding and tests until the help-desk console exists).

use crate::domain::{LoginName, Password};
use crate::password::Hasher;
use crate::password_policy::{self, Context, PasswordPolicyConfig};
use crate::store::accounts::{self, NewAccount};
use crate::store::{GenericClient, StoreError};

/// A new account.
#[derive(Debug)]
pub struct NewUser {
    /// `IP…` or `CE…`.
    pub username: String,
    /// Initial password.
    pub password: String,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Profession.
    pub profession: Option<String>,
    /// `professional` or `staff`.
    pub account_type: String,
}

/// Why an account could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    /// A field broke a rule.
    #[error("{0}")]
    Invalid(String),
    /// The username is taken (by any account, in any case).
    #[error("this username is already taken")]
    Taken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Adds an account with its password; returns its id (the `sub`).
pub async fn add(
    db: &impl GenericClient,
    hasher: &Hasher,
    policy: &PasswordPolicyConfig,
    user: NewUser,
) -> Result<uuid::Uuid, AddUserError> {
    let name = LoginName::parse(&user.username)
        .map_err(|_| AddUserError::Invalid("--username is empty or malformed".into()))?;
    let upper = name.as_ref().to_ascii_uppercase();
    let expected_prefix = if user.account_type == "staff" {
        "CE"
    } else {
        "IP"
    };
    if !upper.starts_with(expected_prefix)
        || !upper[2..].chars().all(|c| c.is_ascii_alphanumeric())
        || upper.len() < 3
    {
        return Err(AddUserError::Invalid(format!(
            "--username must look like {expected_prefix}12345 for a {} account",
            user.account_type
        )));
    }
    if !matches!(user.account_type.as_str(), "professional" | "staff") {
        return Err(AddUserError::Invalid(
            "--type must be professional or staff".into(),
        ));
    }
    if user.given_name.trim().is_empty() || user.family_name.trim().is_empty() {
        return Err(AddUserError::Invalid(
            "--given-name and --family-name are required".into(),
        ));
    }
    let password = Password::parse(&user.password)
        .map_err(|e| AddUserError::Invalid(format!("password: {e}")))?;
    let context = Context {
        username: name.as_ref(),
        given_name: &user.given_name,
        family_name: &user.family_name,
        email: user.email.as_deref(),
    };
    password_policy::check(policy, &password, context)
        .map_err(|refusal| AddUserError::Invalid(format!("password refused: {refusal}")))?;
    let phc = hasher
        .hash(&password)
        .await
        .map_err(|e| AddUserError::Invalid(e.to_string()))?;
    let new = NewAccount {
        username: name.as_ref(),
        given_name: user.given_name.trim(),
        family_name: user.family_name.trim(),
        email: user.email.as_deref(),
        profession: user.profession.as_deref(),
        account_type: &user.account_type,
        phc: &phc,
    };
    match accounts::insert(db, &new).await {
        Err(e) if e.constraint() == Some("account_names_pkey") => Err(AddUserError::Taken),
        Err(e) => Err(e.into()),
        Ok(id) => Ok(id),
    }
}

/// Lifts every lock of an account — the help-desk lock in Postgres, the temporary lock and the
/// failure and escalation counters in Redis — and reopens a closed recovery, after the help
/// desk has established the caller's identity. Returns the account's id; an unknown name is an
/// error.
pub async fn unlock(
    db: &impl GenericClient,
    kv: &crate::store::Kv,
    username: &str,
) -> Result<uuid::Uuid, AddUserError> {
    let name = LoginName::parse(username)
        .map_err(|_| AddUserError::Invalid("the username is empty or malformed".into()))?;
    let found = accounts::find_by_login_name(db, &name.folded())
        .await?
        .ok_or_else(|| AddUserError::Invalid(format!("no account `{username}`")))?;
    let id = found.account.id;
    accounts::unlock(db, id).await?;
    let recovery_reopened = accounts::reopen_recovery(db, id).await?;
    crate::store::counters::clear(kv, id).await?;
    let event = crate::store::audit::Event {
        kind: "unlock",
        outcome: "success",
        account_id: Some(id),
        client_id: None,
        ip: None,
        user_agent: None,
        detail: serde_json::json!({ "by": "help_desk", "recovery_reopened": recovery_reopened }),
    };
    crate::store::audit::record(db, &event).await?;
    Ok(id)
}
