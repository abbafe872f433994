//! Domain types that carry their rules: parse, don't validate.

mod access_claims;
pub mod authentication;
mod authority;
mod email_address;
mod login_name;
mod password;
mod professional_number;
mod pseudonym;
mod scope;
mod secret_token;
mod signing_alg;
mod temporary_password;

pub use access_claims::AccessClaims;
pub use authority::{ActsFor, Delegation, Role, acts_for_at};
pub use email_address::{AddressError, EmailAddress, MAX_EMAIL_BYTES};
pub use login_name::LoginName;
pub use password::{Password, PasswordError};
pub use professional_number::ProfessionalNumber;
pub use pseudonym::PseudonymKey;
pub use scope::Scope;
pub use secret_token::SecretToken;
pub use signing_alg::SigningAlg;
pub use temporary_password::generate_temporary_password;

/// Whether a value is free of control characters (they have no place in any field we take).
pub(crate) fn has_no_controls(value: &str) -> bool {
    !value.chars().any(char::is_control)
}
