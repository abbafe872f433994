//! Claims about a user, by scope (OIDC Core §5.4): `profile` gives the names and the agency's
//! own claims (`username`, `account_type`, `profession`, `roles`, `acts_for`), `email` the
//! address. `sub` is the account's opaque id, never the username. docs/CLAIMS.md describes
//! the agency's claims for relying parties.

use openidconnect::core::{
    CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, EndUserEmail, EndUserFamilyName, EndUserGivenName, EndUserName,
    EndUserUsername, IdToken, LanguageTag, LocalizedClaim, StandardClaims, SubjectIdentifier,
};
use serde::{Deserialize, Serialize};

use crate::domain::{ActsFor, Scope, acts_for_at};
use crate::store::accounts::Account;

/// The agency's claims beside the standard ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AgencyClaims {
    /// The `IP…`/`CE…` username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `professional` or `staff`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Profession of a professional.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profession: Option<String>,
    /// SSO session id (Front/Back-Channel Logout `sid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Agency roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The professionals a staff user acts for at the client the claims are for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acts_for: Vec<ActsFor>,
}

impl AdditionalClaims for AgencyClaims {}

/// Our id_token type.
pub type AgencyIdToken = IdToken<
    AgencyClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// Standard claims released for `scope`.
pub fn standard(account: &Account, scope: &Scope) -> StandardClaims<CoreGenderClaim> {
    let mut claims = StandardClaims::new(SubjectIdentifier::new(account.id.to_string()));
    if scope.contains("profile") {
        let full = format!("{} {}", account.given_name, account.family_name);
        claims = claims
            .set_name(Some(LocalizedClaim::from(EndUserName::new(full))))
            .set_given_name(Some(LocalizedClaim::from(EndUserGivenName::new(
                account.given_name.clone(),
            ))))
            .set_family_name(Some(LocalizedClaim::from(EndUserFamilyName::new(
                account.family_name.clone(),
            ))))
            .set_preferred_username(Some(EndUserUsername::new(account.username.clone())))
            .set_locale(Some(LanguageTag::new(account.locale.clone())));
    }
    if scope.contains("email")
        && let Some(email) = &account.email
    {
        claims = claims
            .set_email(Some(EndUserEmail::new(email.clone())))
            .set_email_verified(Some(account.email_verified));
    }
    claims
}

/// The names of an account's roles, as the `roles` claim lists them.
pub fn roles(account: &Account) -> Vec<String> {
    account
        .roles
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect()
}

/// The agency's claims released for `scope` to the client `client_id`.
pub fn agency(
    account: &Account,
    scope: &Scope,
    sid: Option<&str>,
    client_id: &str,
) -> AgencyClaims {
    let profile = scope.contains("profile");
    AgencyClaims {
        username: profile.then(|| account.username.clone()),
        account_type: profile.then(|| account.account_type.clone()),
        profession: if profile {
            account.profession.clone()
        } else {
            None
        },
        sid: sid.map(str::to_owned),
        roles: if profile { roles(account) } else { Vec::new() },
        acts_for: if profile {
            acts_for_at(&account.delegations, client_id)
        } else {
            Vec::new()
        },
    }
}
