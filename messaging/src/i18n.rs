//! The service's messages in French (the default) and English. Pages and API errors look
//! their text up by key; a key without a translation is a test failure, not a blank.

/// A language this service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// fr-CA, the default.
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The first language of an `Accept-Language` header this service speaks; French
    /// otherwise.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Lang::Fr;
        };
        for tag in header.split(',') {
            let tag = tag
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("fr") {
                return Lang::Fr;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::Fr
    }

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Fr => "fr-CA",
            Lang::En => "en",
        }
    }
}

/// Every message key with its French and English text.
const MESSAGES: &[(&str, &str, &str)] = &[
    (
        "not_found",
        "Cette ressource n'existe pas ou ne vous est pas accessible.",
        "This resource does not exist or is not yours to see.",
    ),
    (
        "invalid_token",
        "Votre jeton d'accès est invalide ou expiré. Reconnectez-vous.",
        "Your access token is invalid or expired. Sign in again.",
    ),
    (
        "idp_unavailable",
        "Le service d'authentification ne répond pas. Réessayez dans un moment.",
        "The sign-in service is not answering. Try again in a moment.",
    ),
    (
        "unavailable",
        "Le service est momentanément indisponible. Réessayez dans un moment.",
        "The service is briefly unavailable. Try again in a moment.",
    ),
    (
        "malformed_body",
        "La requête est mal formée : envoyez un objet JSON avec les champs attendus.",
        "The request is malformed: send a JSON object with the expected fields.",
    ),
    (
        "malformed_query",
        "Un paramètre de la requête est invalide.",
        "A query parameter is invalid.",
    ),
    (
        "body_too_large",
        "La requête est trop volumineuse.",
        "The request is too large.",
    ),
    (
        "required",
        "Ce champ est obligatoire.",
        "This field is required.",
    ),
    (
        "too_long",
        "Ce champ est trop long.",
        "This field is too long.",
    ),
    (
        "control_characters",
        "Ce champ contient des caractères non permis.",
        "This field contains characters that are not allowed.",
    ),
    (
        "unknown_category",
        "Choisissez un sujet dans la liste.",
        "Choose a subject from the list.",
    ),
    (
        "category_not_routed",
        "Ce sujet n'est rattaché à aucune équipe pour le moment. Choisissez « Autre ».",
        "This subject is not handled by any team at the moment. Choose “Other”.",
    ),
    (
        "not_your_team",
        "Ce sujet relève d'une équipe dont vous ne faites pas partie.",
        "This subject belongs to a team you are not part of.",
    ),
    (
        "unknown_professional",
        "Aucun professionnel de ce nom d'utilisateur n'a encore utilisé la messagerie.",
        "No professional with this username has used secure messaging yet.",
    ),
    (
        "not_acting_for",
        "Vous n'agissez pas au nom de ce professionnel.",
        "You do not act for this professional.",
    ),
    (
        "choose_professional",
        "Indiquez au nom de quel professionnel vous écrivez.",
        "Say which professional you are writing for.",
    ),
    (
        "supervisors_only",
        "Seul un superviseur de l'équipe peut attribuer une conversation à un autre agent.",
        "Only a supervisor of the team can assign a thread to another agent.",
    ),
    (
        "unknown_team",
        "Choisissez une autre équipe existante.",
        "Choose another existing team.",
    ),
    (
        "quota_reached",
        "Vous avez envoyé beaucoup de messages en peu de temps. Réessayez dans quelques instants.",
        "You have sent many messages in a short time. Try again shortly.",
    ),
    (
        "sending_paused",
        "L'envoi de messages est momentanément suspendu. Vos messages restent consultables; réessayez dans un moment.",
        "Sending is briefly paused. Your messages can still be read; try again in a moment.",
    ),
    (
        "not_in_team",
        "Cet agent ne fait pas partie de l'équipe de cette conversation.",
        "This agent is not part of this thread's team.",
    ),
];

/// The text of `key` in `lang`; the key itself when it has none (a test checks every key
/// the code uses has one).
pub fn text(key: &str, lang: Lang) -> &str {
    MESSAGES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, fr, en)| match lang {
            Lang::Fr => *fr,
            Lang::En => *en,
        })
        .unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_first_english_offered() {
        assert_eq!(Lang::from_accept_language(None), Lang::Fr);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("de, en;q=0.5")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("fr-CA")), Lang::Fr);
        assert_eq!(Lang::from_accept_language(Some("de")), Lang::Fr);
    }

    #[test]
    fn every_key_used_by_the_code_has_both_texts() {
        let sources = [
            include_str!("threads/open.rs"),
            include_str!("threads/reply.rs"),
            include_str!("threads/manage.rs"),
            include_str!("threads/mod.rs"),
            include_str!("api/error.rs"),
            include_str!("api/json.rs"),
            include_str!("api/threads.rs"),
        ];
        for source in sources {
            // `reason: "key"` (thread errors) and `…, "key", lang)` (API errors).
            let reasons = source
                .split("reason: \"")
                .skip(1)
                .map(|p| p.split('"').next().unwrap_or_default());
            let api = source.match_indices("\", lang").map(|(end, _)| {
                let start = source[..end].rfind('"').map_or(end, |q| q + 1);
                &source[start..end]
            });
            for key in reasons.chain(api) {
                assert!(
                    MESSAGES.iter().any(|(k, _, _)| *k == key),
                    "no text for `{key}`"
                );
            }
        }
        for (key, fr, en) in MESSAGES {
            assert!(!fr.is_empty() && !en.is_empty() && fr != en, "{key}");
        }
    }
}
