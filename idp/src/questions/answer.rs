//! Answers to secret questions: how they are normalised, what is refused, and what is hashed.
//!
//! Normalisation (documented in docs/SECURITY.md), so that "  Saint-Jérôme " and "saint-jerome"
//! are the same answer: Unicode NFKC, then accents removed (NFKD without combining marks),
//! lower case, spaces trimmed and runs of white space collapsed to one space.
//!
//! Answers anyone could guess are refused, each with its reason (issue 7): one character
//! repeated, a simple sequence, one of the most common answers, the question's own words,
//! and every name and address of the account.
//!
//! Each answer is hashed on its own with Argon2id (own salt), its question id bound into the
//! input (`<question id>\n<answer>`), so an answer hash cannot be moved to another question.

use unicode_normalization::UnicodeNormalization;

use crate::config::Question;
use crate::domain::Password;

use crate::config::MAX_ANSWER_CHARS;

/// Why an answer was refused (the message keys live in idp/locales).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerRefusal {
    /// Nothing typed.
    Missing,
    /// Under `min_answer_chars`.
    TooShort,
    /// Over `MAX_ANSWER_CHARS`.
    TooLong,
    /// The username, an alias, the e-mail address or one of the user's names.
    Personal,
    /// One character repeated (`aaa`, `111`), or no letter nor digit at all (`???`).
    OneCharacter,
    /// A simple sequence (`123`, `abcd`, `4321`, `qwerty`).
    Sequence,
    /// Among the most common answers (`oui`, `aucun`, `test`, `n/a`…).
    Common,
    /// Made of the question's own words.
    QuestionWords,
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
            AnswerRefusal::OneCharacter => "questions-error-one-character",
            AnswerRefusal::Sequence => "questions-error-sequence",
            AnswerRefusal::Common => "questions-error-common",
            AnswerRefusal::QuestionWords => "questions-error-question-words",
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
    /// The account's e-mail address, proven or not.
    pub email: Option<&'a str>,
    /// The password, when it was typed in the same form.
    pub password: Option<&'a str>,
}

/// Checks one normalised answer against the rules (not against the other answers). `question`
/// is the one it answers, when known.
pub fn check(
    normalised: &str,
    min_chars: usize,
    forbidden: Forbidden<'_>,
    question: Option<&Question>,
) -> Result<(), AnswerRefusal> {
    if normalised.chars().count() < min_chars {
        return Err(AnswerRefusal::TooShort);
    }
    let full_name = format!("{} {}", forbidden.given_name, forbidden.family_name);
    // Every address the account has (its e-mail, its alias), and the part before the @.
    let addresses = forbidden
        .names
        .iter()
        .map(String::as_str)
        .chain(forbidden.email);
    let local_parts = addresses
        .filter_map(|a| a.rsplit_once('@'))
        .map(|(local, _)| local);
    let personal = forbidden
        .names
        .iter()
        .map(String::as_str)
        .chain([
            forbidden.given_name,
            forbidden.family_name,
            full_name.as_str(),
        ])
        .chain(forbidden.email)
        .chain(local_parts);
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
    guessable(normalised, question)
}

/// The most common answers to secret questions, in both languages, normalised: an attacker
/// tries these first.
const COMMON: &[&str] = &[
    "oui",
    "non",
    "aucun",
    "aucune",
    "rien",
    "personne",
    "test",
    "tests",
    "essai",
    "inconnu",
    "inconnue",
    "n/a",
    "na",
    "n.a.",
    "s/o",
    "so",
    "sans objet",
    "ne sais pas",
    "je ne sais pas",
    "sais pas",
    "jsp",
    "nsp",
    "pas de",
    "pas d'animal",
    "aucune idee",
    "secret",
    "secrete",
    "reponse",
    "question",
    "mot de passe",
    "motdepasse",
    "password",
    "passe",
    "yes",
    "no",
    "none",
    "nothing",
    "nobody",
    "unknown",
    "dont know",
    "don't know",
    "i don't know",
    "idk",
    "answer",
    "null",
    "nil",
    "xxx",
    "abc",
    "asdf",
    "qwerty",
    "azerty",
    "1234",
    "0000",
];

/// Keyboard rows people type as an answer.
const KEYBOARD_ROWS: &[&str] = &[
    "qwertyuiop",
    "azertyuiop",
    "asdfghjkl",
    "qsdfghjklm",
    "zxcvbnm",
];

/// The guessable shapes: one character repeated, a sequence, a common answer, the question's
/// own words.
fn guessable(normalised: &str, question: Option<&Question>) -> Result<(), AnswerRefusal> {
    // Separators do not make an answer harder to guess: « 1-2-3 » is « 123 », « n / a » is
    // « n/a », « pas d’animal » is « pas d'animal ».
    let bare: Vec<char> = normalised.chars().filter(|c| c.is_alphanumeric()).collect();
    if bare
        .first()
        .is_none_or(|first| bare.iter().all(|c| c == first))
    {
        return Err(AnswerRefusal::OneCharacter);
    }
    if is_sequence(&bare) {
        return Err(AnswerRefusal::Sequence);
    }
    let bare_text: String = bare.iter().collect();
    if COMMON
        .iter()
        .any(|common| alphanumeric(common) == bare_text)
    {
        return Err(AnswerRefusal::Common);
    }
    if question.is_some_and(|q| made_of_words_of(normalised, q)) {
        return Err(AnswerRefusal::QuestionWords);
    }
    Ok(())
}

fn alphanumeric(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Three or more letters or digits that climb or fall by one (`123`, `cba`), or a stretch of a
/// keyboard row (`qwer`, `asdf`), forwards or backwards.
fn is_sequence(bare: &[char]) -> bool {
    if bare.len() < 3 || !bare.iter().all(char::is_ascii_alphanumeric) {
        return false;
    }
    let steps: Vec<i32> = bare.windows(2).map(|w| w[1] as i32 - w[0] as i32).collect();
    let same_kind =
        bare.iter().all(char::is_ascii_digit) || bare.iter().all(char::is_ascii_alphabetic);
    if same_kind && (steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1)) {
        return true;
    }
    let text: String = bare.iter().collect();
    let reversed: String = bare.iter().rev().collect();
    KEYBOARD_ROWS
        .iter()
        .any(|row| row.contains(text.as_str()) || row.contains(reversed.as_str()))
}

/// Whether every word of the answer is a word of the question (in either language):
/// « animal » or « premier animal » for « Quel était le nom de votre premier animal… ».
fn made_of_words_of(normalised: &str, question: &Question) -> bool {
    let words = |text: &str| -> Vec<String> {
        normalise(text)
            .unwrap_or_default()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let asked: Vec<String> = words(&question.fr)
        .into_iter()
        .chain(words(&question.en))
        .collect();
    let answer = words(normalised);
    !answer.is_empty() && answer.iter().all(|w| asked.contains(w))
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
        let names = vec!["IP12345".to_owned(), "marie.t@example.org".to_owned()];
        let forbidden = Forbidden {
            names: &names,
            given_name: "Marie",
            family_name: "Tremblay",
            email: Some("m.tremblay@clinique.example"),
            password: Some("Correct Horse"),
        };
        let check = |raw: &str| check(&normalise(raw).unwrap(), 3, forbidden, None);
        assert_eq!(check("ip12345"), Err(AnswerRefusal::Personal));
        assert_eq!(check("MARIE.T@example.org"), Err(AnswerRefusal::Personal));
        assert_eq!(
            check("marie.t"),
            Err(AnswerRefusal::Personal),
            "an alias's local part"
        );
        assert_eq!(check("marie tremblay"), Err(AnswerRefusal::Personal));
        assert_eq!(check("Trémblay"), Err(AnswerRefusal::Personal));
        assert_eq!(
            check("M.Tremblay@Clinique.example"),
            Err(AnswerRefusal::Personal),
            "the account's e-mail, proven or not"
        );
        assert_eq!(check("m.tremblay"), Err(AnswerRefusal::Personal));
        assert_eq!(check("correct  horse"), Err(AnswerRefusal::Password));
        assert_eq!(check("ab"), Err(AnswerRefusal::TooShort));
        assert_eq!(check("Rex"), Ok(()));
    }

    #[test]
    fn guessable_answers_are_refused_with_their_reason() {
        let question = Question {
            id: "first-pet".into(),
            fr: "Quel était le nom de votre premier animal de compagnie?".into(),
            en: "What was the name of your first pet?".into(),
            hint_fr: None,
            hint_en: None,
        };
        let check = |raw: &str| {
            check(
                &normalise(raw).unwrap(),
                3,
                Forbidden::default(),
                Some(&question),
            )
        };
        // (answer, expected, why)
        let cases = [
            ("aaa", Err(AnswerRefusal::OneCharacter), "one letter"),
            ("1111", Err(AnswerRefusal::OneCharacter), "one digit"),
            ("a a a a", Err(AnswerRefusal::OneCharacter), "spaced out"),
            ("123", Err(AnswerRefusal::Sequence), "digits up"),
            ("1234", Err(AnswerRefusal::Sequence), "four digits up"),
            ("4321", Err(AnswerRefusal::Sequence), "digits down"),
            ("1-2-3-4", Err(AnswerRefusal::Sequence), "with separators"),
            ("abc", Err(AnswerRefusal::Sequence), "letters up"),
            ("ABCDE", Err(AnswerRefusal::Sequence), "case folded"),
            ("qwerty", Err(AnswerRefusal::Sequence), "a keyboard row"),
            ("lkjh", Err(AnswerRefusal::Sequence), "a row backwards"),
            ("Oui", Err(AnswerRefusal::Common), "yes"),
            ("non", Err(AnswerRefusal::Common), "no"),
            ("Aucun", Err(AnswerRefusal::Common), "none"),
            ("rien", Err(AnswerRefusal::Common), "nothing"),
            ("TEST", Err(AnswerRefusal::Common), "test"),
            ("inconnu", Err(AnswerRefusal::Common), "unknown"),
            ("n/a", Err(AnswerRefusal::Common), "not applicable"),
            ("Je ne sais pas", Err(AnswerRefusal::Common), "don't know"),
            (
                "animal",
                Err(AnswerRefusal::QuestionWords),
                "a word of the question",
            ),
            (
                "Premier animal",
                Err(AnswerRefusal::QuestionWords),
                "words of it",
            ),
            (
                "first pet",
                Err(AnswerRefusal::QuestionWords),
                "the English words",
            ),
            (
                "???",
                Err(AnswerRefusal::OneCharacter),
                "no letter nor digit",
            ),
            (
                "-- .. --",
                Err(AnswerRefusal::OneCharacter),
                "punctuation only",
            ),
            ("oui.", Err(AnswerRefusal::Common), "with a full stop"),
            ("n / a", Err(AnswerRefusal::Common), "spaced out"),
            (
                "pas d\u{2019}animal",
                Err(AnswerRefusal::Common),
                "a typographic apostrophe",
            ),
            ("Rex", Ok(()), "a name"),
            ("Pitou 2", Ok(()), "a name and a digit"),
            ("1987", Ok(()), "a year"),
            ("abd", Ok(()), "not a sequence"),
            ("Saint-Jérôme", Ok(()), "a place"),
        ];
        for (raw, expected, why) in cases {
            assert_eq!(check(raw), expected, "{raw:?}: {why}");
        }
    }

    #[test]
    fn the_question_id_is_bound_into_the_hash_input() {
        let a = hash_input("first-pet", "rex").unwrap();
        let b = hash_input("first-car", "rex").unwrap();
        assert_ne!(a.expose_bytes(), b.expose_bytes());
    }
}

/// Any text is normalised or refused, never a panic; a normalised answer is its own
/// normalisation, and never longer than the limit.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn normalising_twice_changes_nothing(raw in "\\PC{0,200}") {
            if let Ok(once) = normalise(&raw) {
                prop_assert!(once.chars().count() <= MAX_ANSWER_CHARS);
                prop_assert_eq!(normalise(&once), Ok(once.clone()));
            }
        }

        #[test]
        fn any_bytes_as_text_are_normalised_or_refused(raw in prop::collection::vec(any::<char>(), 0..400)) {
            let _ = normalise(&raw.into_iter().collect::<String>());
        }
    }
}
