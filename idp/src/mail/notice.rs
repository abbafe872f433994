//! What an e-mail says. A notice carries no answer and no chosen password; its only secrets
//! are single-use proofs (`link`) and the temporary password of an approved access request
//! (`password`, sent to the requester's own address while the username goes to the approver),
//! and a delivered or abandoned row forgets them (`store::outbox`).

use serde::{Deserialize, Serialize};

use crate::assistance::Audience;
use crate::i18n::Lang;
use crate::store::accounts::Account;

/// Who a notice goes to.
#[derive(Debug, Clone)]
pub struct Recipient {
    /// The address.
    pub address: String,
    /// The language the account chose (French unless English).
    pub lang: Lang,
    /// First and last name, for the greeting.
    pub name: String,
    /// Whose help lines the e-mail gives (the account's type and profession).
    pub audience: Audience,
}

impl Recipient {
    /// The account's own address, when it has one.
    pub fn of(account: &Account) -> Option<Self> {
        let address = account.email.clone()?;
        Some(Self::at(account, address))
    }

    /// Another address for the account (an alias being proven).
    pub fn at(account: &Account, address: String) -> Self {
        Self {
            address,
            lang: Lang::from_tag(&account.locale).unwrap_or_default(),
            name: format!("{} {}", account.given_name, account.family_name),
            audience: Audience::of_account(account),
        }
    }
}

/// The kinds of e-mail the idp sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// The password was changed (settings, expiry, temporary password).
    PasswordChanged,
    /// A forgotten password was replaced through recovery; other sessions were ended.
    PasswordRecovered,
    /// The secret questions were set or changed.
    QuestionsChanged,
    /// A new login name (an e-mail alias) now signs in to the account.
    UsernameChanged {
        /// The new name.
        name: String,
    },
    /// Too many failed attempts locked the account.
    AccountLocked {
        /// Until the help desk unlocks it (else for a while).
        until_help_desk: bool,
        /// Whether « Mot de passe oublié? » can help (the account has its secret questions);
        /// else the e-mail says to call for a temporary password.
        #[serde(default = "yes")]
        recover_online: bool,
    },
    /// Too many failed recovery challenges closed "Mot de passe oublié?" for the account
    /// until the help desk reopens it.
    RecoveryClosed,
    /// Proves ownership of an address that is to become a login name.
    VerifyAlias {
        /// Single-use link, built from the public URL.
        link: String,
    },
    /// Opens a recovery (policy `recovery.email_proof`).
    RecoveryLink {
        /// Single-use link, built from the public URL.
        link: String,
    },
    /// An access request was received (to its requester, who has no account yet).
    AccessRequestReceived,
    /// A professional enrolled with their NIP and chose their first password.
    Enrolled,
    /// An access request was approved: the requester's temporary password (the approver was
    /// shown the username, and passes it on).
    AccessApproved {
        /// The temporary password: changed at first sign-in, expires unused.
        password: String,
        /// Hours until it expires unused.
        hours: u32,
    },
    /// An access request was refused by everyone it named.
    AccessRefused,
    /// A second factor was added to or removed from the account, from its settings.
    SecondFactorChanged {
        /// Added (else removed).
        added: bool,
    },
    /// The help desk sends the access-request form to clinic staff or a SELAT user.
    AccessForm {
        /// The public form's address.
        link: String,
    },
    /// « Nom d'utilisateur oublié? »: the account's username, to its proven address.
    UsernameReminder {
        /// The username.
        username: String,
    },
}

/// The default of fields added after notices were already queued.
fn yes() -> bool {
    true
}
