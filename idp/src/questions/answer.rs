//! Answers to secret questions: how they are normalised, what is refused, and what is hashed.
//!
//! Normalisation (documented in docs/SECURITY.md), so that "  Saint-Jérôme " and "saint-jerome"
//! are the same answer: Unicode NFKC, then accents removed (NFKD without combining marks),
//! lower case, spaces trimmed and runs of white space collapsed to one space.
//!
//! Each answer is hashed on its own with Argon2id (own salt), its question id bound into the
//! input (`<question id>\n<answer>`), so an answer hash cannot be moved to another question.

use unicode_normalization::UnicodeNormalization;

use crate::domain::Password;

/// Longest answer accepted, in characters after normalisation.
pub const MAX_ANSWER_CHARS: usize = 80;

/// Why an answer was refused (the message keys live in idp/locales).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerRefusal {
    /// Nothing typed.
    Missing,
    /// Under `min_answer_chars`.
    TooShort,
    /// Over `MAX_ANSWER_CHARS`.
    TooLong,
    /// The username or one of the user's names.
    Personal,
    /// The account's password.
    Password,
    /// The same as another answer.
    Repeated,
}

impl AnswerRefusal {
    /// The message key shown next to the field.
    pub fn message_key(self) -> &'static str {
        match self {
            AnswerRefusal::Missing => "questions-error-missing",
            AnswerRefusal::TooShort => "questions-error-too-short",
            AnswerRefusal::TooLong => "questions-error-too-long",
            AnswerRefusal::Personal => "questions-error-personal",
            AnswerRefusal::Password => "questions-error-password",
            AnswerRefusal::Repeated => "questions-error-repeated",
        }
    }
}

/// Normalises an answer as described above. Bounded before any Unicode work.
pub fn normalise(raw: &str) -> Result<String, AnswerRefusal> {
    if raw.len() > MAX_ANSWER_CHARS * 4 {
        return Err(AnswerRefusal::TooLong);
    }
    let folded: String = raw
        .nfkc()
        .collect::<String>()
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let collapsed = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return Err(AnswerRefusal::Missing);
    }
    if collapsed.chars().count() > MAX_ANSWER_CHARS {
        return Err(AnswerRefusal::TooLong);
    }
    Ok(collapsed)
}

/// What an answer may not be equal to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Forbidden<'a> {
    /// Every login name of the account.
    pub names: &'a [String],
    /// First name.
    pub given_name: &'a str,
    /// Last name.
    pub family_name: &'a str,
    /// The password, when it was typed in the same form.
    pub password: Option<&'a str>,
}

/// Checks one normalised answer against the rules (not against the other answers).
pub fn check(
    normalised: &str,
    min_chars: usize,
    forbidden: Forbidden<'_>,
) -> Result<(), AnswerRefusal> {
    if normalised.chars().count() < min_chars {
        return Err(AnswerRefusal::TooShort);
    }
    let full_name = format!("{} {}", forbidden.given_name, forbidden.family_name);
    let personal = forbidden.names.iter().map(String::as_str).chain([
        forbidden.given_name,
        forbidden.family_name,
        full_name.as_str(),
    ]);
    for word in personal {
        if normalise(word).is_ok_and(|w| w == normalised) {
            return Err(AnswerRefusal::Personal);
        }
    }
    if forbidden
        .password
        .is_some_and(|p| normalise(p).is_ok_and(|p| p == normalised))
    {
        return Err(AnswerRefusal::Password);
    }
    Ok(())
}

/// The secret the hash is computed over: the question id bound to the normalised answer.
pub fn hash_input(question_id: &str, normalised: &str) -> Option<Password> {
    Password::parse(&format!("{question_id}\n{normalised}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_case_accents_and_spaces() {
        assert_eq!(normalise("  Saint-Jérôme  ").unwrap(), "saint-jerome");
        assert_eq!(normalise("MONTRÉAL\t\tNord").unwrap(), "montreal nord");
        // NFKC first: the ligature and the full-width letters become plain letters.
        assert_eq!(normalise("ﬁdo ＲＥＸ").unwrap(), "fido rex");
        assert_eq!(normalise("   "), Err(AnswerRefusal::Missing));
        assert_eq!(normalise(&"a".repeat(81)), Err(AnswerRefusal::TooLong));
        assert_eq!(normalise(&"é".repeat(400)), Err(AnswerRefusal::TooLong));
    }

    #[test]
    fn personal_words_and_the_password_are_refused() {
        let names = vec!["IP12345".to_owned(), "marie@example.org".to_owned()];
        let forbidden = Forbidden {
            names: &names,
            given_name: "Marie",
            family_name: "Tremblay",
            password: Some("Correct Horse"),
        };
        let check = |raw: &str| check(&normalise(raw).unwrap(), 3, forbidden);
        assert_eq!(check("ip12345"), Err(AnswerRefusal::Personal));
        assert_eq!(check("MARIE@example.org"), Err(AnswerRefusal::Personal));
        assert_eq!(check("marie tremblay"), Err(AnswerRefusal::Personal));
        assert_eq!(check("Trémblay"), Err(AnswerRefusal::Personal));
        assert_eq!(check("correct  horse"), Err(AnswerRefusal::Password));
        assert_eq!(check("ab"), Err(AnswerRefusal::TooShort));
        assert_eq!(check("Rex"), Ok(()));
    }

    #[test]
    fn the_question_id_is_bound_into_the_hash_input() {
        let a = hash_input("first-pet", "rex").unwrap();
        let b = hash_input("first-car", "rex").unwrap();
        assert_ne!(a.expose_bytes(), b.expose_bytes());
    }
}
