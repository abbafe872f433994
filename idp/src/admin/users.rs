//! Adding accounts (seeding and tests until the help-desk console exists).

use crate::config::{Config, PasswordPolicyConfig, UsernamesConfig};
use crate::domain::{LoginName, Password};
use crate::password::Hasher;
use crate::password_policy::{self, Context};
use crate::store::accounts::{self, NewAccount};
use crate::store::{Conflict, GenericClient, StoreError};

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

/// What a new account must meet.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// The username format.
    pub usernames: &'a UsernamesConfig,
    /// The password policy.
    pub policy: &'a PasswordPolicyConfig,
}

impl<'a> Rules<'a> {
    /// The rules a deployment's configuration sets.
    pub fn of(config: &'a Config) -> Self {
        Self {
            usernames: &config.usernames,
            policy: &config.password_policy,
        }
    }
}

/// Adds an account with its password; returns its id (the `sub`).
#[tracing::instrument(skip_all)]
pub async fn add(
    db: &impl GenericClient,
    hasher: &Hasher,
    rules: Rules<'_>,
    user: NewUser,
) -> Result<uuid::Uuid, AddUserError> {
    let policy = rules.policy;
    let name = LoginName::parse(&user.username)
        .map_err(|_| AddUserError::Invalid("--username is empty or malformed".into()))?;
    let expected_prefix = rules.usernames.prefix(&user.account_type);
    if !rules.usernames.accepts(name.as_ref(), &user.account_type) {
        return Err(AddUserError::Invalid(format!(
            "--username must look like {expected_prefix}12345 (at most {} characters) for a {} account",
            rules.usernames.max_length, user.account_type
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
        Err(e) => match e.conflict() {
            Some(Conflict::LoginNameTaken) => Err(AddUserError::Taken),
            Some(Conflict::AccountType) => Err(AddUserError::Invalid(
                "--type must be `professional` or `staff`".into(),
            )),
            _ => Err(e.into()),
        },
        Ok(id) => Ok(id),
    }
}

/// Lifts every lock of an account — the help-desk lock in Postgres, the temporary lock and the
/// failure and escalation counters in Redis — and reopens a closed recovery (forgetting its
/// questions under way), after the help desk has established the caller's identity. Returns the
/// account's id; an unknown name is an error.
#[tracing::instrument(skip_all)]
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
    let by = serde_json::json!({ "by": "help_desk" });
    unlock_account(db, kv, &found.account, by).await?;
    Ok(found.account.id)
}

/// Lifts every lock of `account` and reopens its recovery, audited with `detail` (who, why)
/// and whether the recovery was reopened; whether anything was locked or closed.
pub async fn unlock_account(
    db: &impl GenericClient,
    kv: &crate::store::Kv,
    account: &accounts::Account,
    mut detail: serde_json::Value,
) -> Result<bool, AddUserError> {
    let id = account.id;
    let was_locked = accounts::unlock(db, id).await?;
    let temporarily = crate::store::counters::is_locked(kv, id).await?;
    let recovery_reopened = accounts::reopen_recovery(db, id).await?;
    // Reopened recovery draws new questions: the ones under way were for a closed recovery.
    crate::recovery::close_challenge(kv, id).await?;
    crate::store::counters::clear(kv, id).await?;
    if let Some(members) = detail.as_object_mut() {
        members.insert("recovery_reopened".into(), recovery_reopened.into());
        members.insert("was_locked".into(), (was_locked || temporarily).into());
    }
    super::audit(db, "unlock", account, detail).await?;
    Ok(was_locked || temporarily || recovery_reopened)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_configured_format() {
        let format = UsernamesConfig {
            professional_prefix: "IP".into(),
            staff_prefix: "CE".into(),
            max_length: 12,
        };
        assert!(format.check().is_ok());
        assert!(format.accepts("IP12345", "professional"));
        assert!(format.accepts("ip12345", "professional"));
        assert!(format.accepts("CE67890", "staff"));
        assert!(
            !format.accepts("CE67890", "professional"),
            "the prefix goes with the type"
        );
        assert!(
            !format.accepts("IP", "professional"),
            "something after the prefix"
        );
        assert!(!format.accepts("IP12-345", "professional"));
        assert!(
            !format.accepts("IP1234567890123", "professional"),
            "too long"
        );
        assert!(!format.accepts("Ié12345", "professional"), "not ASCII");
        let same = UsernamesConfig {
            staff_prefix: "ip".into(),
            ..format
        };
        assert!(same.check().is_err());
    }
}
