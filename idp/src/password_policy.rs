//! The password policy every new password goes through (ASVS 6.2; NIST SP 800-63B-4 §3.1.1.2):
//! a minimum length (12 by default), at most 128 characters, no composition rules, and no
//! password built on what an attacker knows of the user — their username, names, e-mail — or
//! on the agency's name. Each refusal carries its reason, shown in the user's language.
//! Common passwords are refused by zxcvbn's estimate; history and expiry are enforced where a
//! password is set (`credentials::change`) and checked at login.

use unicode_normalization::UnicodeNormalization;

use crate::config::PasswordPolicyConfig;
use crate::domain::Password;

/// Why a new password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Under the minimum length.
    #[error("too short: at least {0} characters")]
    TooShort(usize),
    /// Over the 128 characters a password may have.
    #[error("too long: at most 128 characters")]
    TooLong,
    /// It contains the username, a name or the e-mail of the account.
    #[error("it contains your username, your name or your e-mail address")]
    Personal,
    /// It contains the agency's name.
    #[error("it contains the agency's name")]
    AgencyName,
    /// A common or easily guessed password (zxcvbn score under `min_strength`).
    #[error("it is too common or too easy to guess")]
    Common,
    /// One of the account's last `history` passwords.
    #[error("it was used recently")]
    Reused,
}

impl Refusal {
    /// The message key (idp/locales) shown to the user.
    pub fn message_key(&self) -> &'static str {
        match self {
            Refusal::TooShort(_) => "password-too-short",
            Refusal::TooLong => "password-too-long",
            Refusal::Personal => "password-personal",
            Refusal::AgencyName => "password-agency-name",
            Refusal::Common => "password-common",
            Refusal::Reused => "password-reused",
        }
    }
}

/// What is known about the account the password is for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// `IP…`/`CE…`.
    pub username: &'a str,
    /// First name.
    pub given_name: &'a str,
    /// Last name.
    pub family_name: &'a str,
    /// E-mail, if any.
    pub email: Option<&'a str>,
}

/// Checks a new password against the policy.
pub fn check(
    policy: &PasswordPolicyConfig,
    password: &Password,
    context: Context<'_>,
) -> Result<(), Refusal> {
    let text = std::str::from_utf8(password.expose_bytes()).unwrap_or_default();
    if text.chars().count() < policy.min_length {
        return Err(Refusal::TooShort(policy.min_length));
    }
    let folded = fold(text);
    let local_part = context.email.and_then(|e| e.split('@').next());
    let personal = [
        Some(context.username),
        Some(context.given_name),
        Some(context.family_name),
        local_part,
    ];
    if personal
        .into_iter()
        .flatten()
        .any(|word| contains_word(&folded, word))
    {
        return Err(Refusal::Personal);
    }
    if policy
        .agency_names
        .iter()
        .any(|name| contains_word(&folded, name))
    {
        return Err(Refusal::AgencyName);
    }
    if strength(text) < policy.min_strength {
        return Err(Refusal::Common);
    }
    Ok(())
}

/// zxcvbn's score (0–4) of the first 64 characters: its matching grows faster than linearly
/// with length, and a password whose first 64 characters are strong is strong.
fn strength(text: &str) -> u8 {
    let head: String = text.chars().take(64).collect();
    u8::from(zxcvbn::zxcvbn(&head, &[]).score())
}

/// Whether `folded` contains `word` (folded too), ignoring words under 3 characters.
fn contains_word(folded: &str, word: &str) -> bool {
    let word = fold(word);
    word.chars().count() >= 3 && folded.contains(&word)
}

/// Lower case without accents and without spaces, so "Tremblay" is found in "trem blay".
fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c) && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicyConfig {
        PasswordPolicyConfig {
            min_length: 12,
            agency_names: vec!["Régie".into(), "RAMQ".into()],
            min_strength: 3,
            history: 5,
            max_age_days: 365,
            temporary_ttl_hours: 72,
        }
    }

    fn ctx() -> Context<'static> {
        Context {
            username: "IP12345",
            given_name: "Hélène",
            family_name: "Tremblay",
            email: Some("h.tremblay@example.org"),
        }
    }

    fn check_str(raw: &str) -> Result<(), Refusal> {
        check(&policy(), &Password::parse(raw).unwrap(), ctx())
    }

    #[test]
    fn a_long_unrelated_password_passes_without_composition_rules() {
        assert_eq!(check_str("correct horse battery staple"), Ok(()));
        assert_eq!(check_str("tout en minuscules sans chiffre"), Ok(()));
    }

    #[test]
    fn each_refusal_says_why() {
        let cases = [
            ("elevenchars", Refusal::TooShort(12), "eleven characters"),
            (
                "my ip12345 password",
                Refusal::Personal,
                "the username, any case",
            ),
            (
                "helene likes summer",
                Refusal::Personal,
                "the first name without its accents",
            ),
            (
                "TREM BLAY forever!!",
                Refusal::Personal,
                "the last name split by a space",
            ),
            (
                "h.tremblay is my login",
                Refusal::Personal,
                "the e-mail's local part",
            ),
            (
                "la regie du quebec",
                Refusal::AgencyName,
                "the agency's name without accent",
            ),
            (
                "ramq ramq ramq ramq",
                Refusal::AgencyName,
                "the agency's acronym",
            ),
        ];
        for (password, expected, why) in cases {
            assert_eq!(check_str(password), Err(expected), "{why}: {password:?}");
        }
    }

    #[test]
    fn every_refusal_has_a_message_in_both_languages() {
        use crate::i18n::Lang;
        for refusal in [
            Refusal::TooShort(12),
            Refusal::TooLong,
            Refusal::Personal,
            Refusal::AgencyName,
            Refusal::Common,
            Refusal::Reused,
        ] {
            for lang in [Lang::Fr, Lang::En] {
                let key = refusal.message_key();
                let text = lang.t_args(key, &[("min", "12".into())]);
                assert_ne!(text, key, "{key} is translated in {lang:?}");
            }
        }
        let fr = Lang::Fr.t_args("password-too-short", &[("min", "12".into())]);
        assert!(fr.contains("12 caractères"), "{fr}");
    }

    #[test]
    fn common_and_guessable_passwords_are_refused() {
        for password in [
            "password1234",
            "qwertyuiopasdf",
            "aaaaaaaaaaaaaaaa",
            "123456789012",
        ] {
            assert_eq!(check_str(password), Err(Refusal::Common), "{password}");
        }
        // A long password is scored on its first 64 characters, quickly.
        let long = format!("{}{}", "correct horse battery staple ", "z".repeat(99));
        assert_eq!(check_str(&long), Ok(()));
    }

    #[test]
    fn the_demo_accounts_passwords_meet_the_policy() {
        for (username, password) in [
            crate::dev::DEMO_PROFESSIONAL,
            crate::dev::DEMO_STAFF,
            crate::dev::DEMO_EXPIRED,
        ] {
            let context = Context {
                username,
                ..Context::default()
            };
            let password = Password::parse(password).unwrap();
            assert_eq!(check(&policy(), &password, context), Ok(()), "{username}");
        }
    }

    #[test]
    fn short_names_do_not_forbid_half_the_dictionary() {
        let short = Context {
            given_name: "Al",
            ..ctx()
        };
        let password = Password::parse("always a long passphrase").unwrap();
        assert_eq!(check(&policy(), &password, short), Ok(()));
    }
}
