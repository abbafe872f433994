//! Recovery codes: ten single-use codes shown once when a second factor is set up, for the day
//! the phone is lost. Each is 10 characters of the temporary-password alphabet (~49 bits), in
//! two groups; only a keyed hash (HMAC-SHA-256, the account id bound in) is stored.

use secrecy::ExposeSecret as _;
use uuid::Uuid;

use crate::config::Secret32;
use crate::domain::generate_temporary_password;

/// Codes in a set.
pub const COUNT: usize = 10;

/// A new set of codes, as shown: `abcd-efgh-jk`.
pub fn generate() -> Result<Vec<String>, aws_lc_rs::error::Unspecified> {
    (0..COUNT)
        .map(|_| {
            // The first 12 characters (with a dash) of a temporary password: 10 symbols.
            let long = generate_temporary_password()?;
            Ok(long.chars().take(12).collect())
        })
        .collect()
}

/// What a person may type for a code: letters and digits, case and separators ignored.
pub fn normalise(typed: &str) -> String {
    typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `typed` has the shape of a recovery code (not of a TOTP code).
pub fn looks_like_one(typed: &str) -> bool {
    normalise(typed).len() == 10
}

/// The stored hash of a code for `account`.
pub fn hash(key: &Secret32, account: Uuid, typed: &str) -> Vec<u8> {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.expose_secret());
    let mut ctx = aws_lc_rs::hmac::Context::with_key(&key);
    ctx.update(b"recovery-code:");
    ctx.update(account.as_bytes());
    ctx.update(normalise(typed).as_bytes());
    ctx.sign().as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_readable_and_hash_the_same_however_typed() {
        let codes = generate().unwrap();
        assert_eq!(codes.len(), COUNT);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), COUNT);
        let key = Secret32::new(Box::new([7u8; 32]));
        let account = Uuid::from_u128(9);
        let code = &codes[0];
        assert_eq!(code.len(), 12, "{code}");
        assert!(looks_like_one(code));
        assert_eq!(
            hash(&key, account, code),
            hash(
                &key,
                account,
                &format!(" {} ", code.to_uppercase().replace('-', " "))
            )
        );
        assert_ne!(
            hash(&key, account, code),
            hash(&key, Uuid::from_u128(10), code)
        );
        assert!(!looks_like_one("123456"));
    }
}

/// Normalising a typed code is idempotent and keeps only ASCII letters and digits.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn normalising_twice_changes_nothing(typed in "\\PC{0,100}") {
            let once = normalise(&typed);
            prop_assert!(once.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            prop_assert_eq!(normalise(&once), once);
        }
    }
}
