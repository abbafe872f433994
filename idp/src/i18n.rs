//! Languages: French (fr-CA) by default (Charter of the French language), English offered.
//! Messages live in `idp/locales/<lang>/main.ftl` (Fluent).

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader as _, static_loader};
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "fr-CA",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static FR_CA: LanguageIdentifier = langid!("fr-CA");
static EN: LanguageIdentifier = langid!("en");

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Français (Canada), the default.
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag for `lang=""` attributes.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Fr => "fr-CA",
            Lang::En => "en",
        }
    }

    /// The other language (the switch link).
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// Reads one tag loosely: `fr`, `fr-CA`, `fr-FR` → French; `en`, `en-US` → English.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_', ';'])
            .next()?
            .to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported tag of a space-separated list (`ui_locales`, OIDC Core §3.1.2.1).
    pub fn from_list(list: &str) -> Option<Lang> {
        list.split_whitespace().find_map(Lang::from_tag)
    }

    /// The best match for an `Accept-Language` header (first supported entry with q > 0).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Fr => &FR_CA,
            Lang::En => &EN,
        }
    }

    /// The message for `key` (the key itself if missing, so a gap shows, never panics).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(self.id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message for `key` with named arguments.
    pub fn t_args(self, key: &str, args: &[(&'static str, String)]) -> String {
        self.lookup(key, text_args(args))
    }

    /// The message for `key` with a count, passed as a number so that the message's plural
    /// selector picks the form (« 1 minute », « 2 minutes »; in French 0 and 1 are singular),
    /// and named text arguments.
    pub fn t_count(
        self,
        key: &str,
        (name, count): (&'static str, u64),
        args: &[(&'static str, String)],
    ) -> String {
        let mut all = text_args(args);
        all.insert(Cow::Borrowed(name), FluentValue::from(count));
        self.lookup(key, all)
    }

    fn lookup(self, key: &str, args: HashMap<Cow<'static, str>, FluentValue<'_>>) -> String {
        LOCALES
            .try_lookup_with_args(self.id(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }
}

fn text_args(args: &[(&'static str, String)]) -> HashMap<Cow<'static, str>, FluentValue<'static>> {
    args.iter()
        .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_plural_form_of_each_language() {
        let validity = |lang: Lang, n| lang.t_count("recovery-email-validity", ("minutes", n), &[]);
        assert!(
            validity(Lang::Fr, 1).contains("pendant 1 minute et"),
            "{}",
            validity(Lang::Fr, 1)
        );
        assert!(validity(Lang::Fr, 30).contains("pendant 30 minutes et"));
        assert!(
            validity(Lang::En, 1).contains("for 1 minute and"),
            "{}",
            validity(Lang::En, 1)
        );
        assert!(validity(Lang::En, 30).contains("for 30 minutes and"));
        let short = |lang: Lang, n| {
            lang.t_count(
                "questions-error-too-short",
                ("min", n),
                &[("n", "2".into())],
            )
        };
        assert_eq!(
            short(Lang::Fr, 1),
            "Réponse 2 : la réponse doit compter au moins 1 caractère."
        );
        assert_eq!(
            short(Lang::Fr, 3),
            "Réponse 2 : la réponse doit compter au moins 3 caractères."
        );
        assert_eq!(
            short(Lang::En, 1),
            "Answer 2: the answer must be at least 1 character."
        );
        assert_eq!(
            Lang::Fr.t_count("recovery-questions-limit", ("max", 1), &[]),
            "Après 1 essai infructueux, le changement de mot de passe en ligne sera bloqué et vous devrez communiquer avec le Centre d'assistance aux professionnels."
        );
    }

    #[test]
    fn french_is_the_default_and_english_is_offered() {
        assert_eq!(Lang::default(), Lang::Fr);
        assert_eq!(Lang::Fr.t("login-title"), "Connexion aux services en ligne");
        assert_eq!(Lang::En.t("login-title"), "Sign in to online services");
    }

    #[test]
    fn every_french_message_has_an_english_one() {
        // Each feature keeps its messages in its own file (main.ftl, mail.ftl, …).
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let keys = |path: std::path::PathBuf| -> Vec<String> {
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .lines()
                .filter(|l| !l.starts_with([' ', '#', '.']))
                .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
                .filter(|k| !k.is_empty())
                .collect()
        };
        let files: Vec<_> = std::fs::read_dir(dir.join("fr-CA"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(files.len() > 1, "message files found: {files:?}");
        let mut seen = std::collections::HashSet::new();
        for file in files {
            let fr = keys(dir.join("fr-CA").join(&file));
            let en = keys(dir.join("en").join(&file));
            for key in &fr {
                assert!(
                    en.contains(key),
                    "missing English message {key} in {file:?}"
                );
                assert!(seen.insert(key.clone()), "message {key} defined twice");
            }
            assert_eq!(fr.len(), en.len(), "{file:?}: different message sets");
        }
    }

    #[test]
    fn accept_language_and_ui_locales_pick_a_supported_language() {
        assert_eq!(
            Lang::from_accept_language("de-DE, en-US;q=0.8, fr;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("fr-CA,fr;q=0.9,en;q=0.8"),
            Some(Lang::Fr)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
        assert_eq!(Lang::from_list("es en fr-CA"), Some(Lang::En));
    }
}
