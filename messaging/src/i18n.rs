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

impl Lang {
    /// The text of `key` in this language (pages).
    pub fn t(self, key: &str) -> &'static str {
        MESSAGES
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or("?", |(_, fr, en)| match self {
                Lang::Fr => fr,
                Lang::En => en,
            })
    }

    /// The other language (the switch in the header).
    pub fn other(self) -> Self {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }
}

/// Every message key with its French and English text.
const MESSAGES: &[(&str, &str, &str)] = &[
    (
        "agency-name",
        "Messagerie sécurisée — Régie",
        "Secure messaging — Régie",
    ),
    ("switch-language", "English", "Français"),
    ("skip-to-content", "Aller au contenu", "Skip to content"),
    (
        "footer",
        "Vos messages sont chiffrés dans nos systèmes. N'inscrivez pas de renseignements de santé dans l'objet.",
        "Your messages are encrypted in our systems. Do not put health information in the subject line.",
    ),
    ("nav-label", "Messagerie", "Messaging"),
    ("nav-inbox", "Boîte de réception", "Inbox"),
    ("nav-compose", "Nouveau message", "New message"),
    ("nav-queue", "File d'attente de l'équipe", "Team queue"),
    ("sign-out", "Se déconnecter", "Sign out"),
    ("signed-in-as", "Connecté :", "Signed in:"),
    ("sign-in-title", "Messagerie sécurisée", "Secure messaging"),
    (
        "sign-in-intro",
        "Échangez avec la Régie en toute sécurité. Connectez-vous avec votre nom d'utilisateur des services en ligne.",
        "Exchange securely with the Régie. Sign in with your online services username.",
    ),
    ("sign-in", "Se connecter", "Sign in"),
    (
        "sign-in-failed",
        "La connexion n'a pas pu être complétée. Réessayez.",
        "Signing in could not be completed. Try again.",
    ),
    ("inbox-title", "Boîte de réception", "Inbox"),
    ("queue-title", "File d'attente", "Queue"),
    ("queue-unassigned", "Non attribués", "Unassigned"),
    ("queue-mine", "Mes conversations", "Mine"),
    ("queue-all", "Toutes mes équipes", "All my teams"),
    ("filters", "Filtrer", "Filter"),
    ("filter-apply", "Appliquer les filtres", "Apply filters"),
    ("filter-any", "Tous", "Any"),
    ("filter-unread", "Non lus seulement", "Unread only"),
    ("filter-subject", "Mots de l'objet", "Words in the subject"),
    ("col-subject", "Objet", "Subject"),
    ("col-category", "Sujet", "Category"),
    ("col-state", "État", "State"),
    ("col-professional", "Professionnel", "Professional"),
    ("col-last", "Dernière activité", "Last activity"),
    ("col-unread", "Non lus", "Unread"),
    (
        "no-threads",
        "Aucune conversation pour le moment.",
        "No conversations yet.",
    ),
    ("next-page", "Page suivante", "Next page"),
    ("state-open", "Ouverte", "Open"),
    (
        "state-awaiting_professional",
        "En attente du professionnel",
        "Awaiting the professional",
    ),
    (
        "state-awaiting_agency",
        "En attente de la Régie",
        "Awaiting the Régie",
    ),
    ("state-closed", "Fermée", "Closed"),
    ("compose-title", "Nouveau message", "New message"),
    ("field-category", "Sujet", "Category"),
    (
        "field-category-hint",
        "Le sujet dirige votre message vers l'équipe qui s'en occupe.",
        "The category sends your message to the team that handles it.",
    ),
    ("field-subject", "Objet", "Subject"),
    (
        "field-subject-hint",
        "Nommez l'affaire sans renseignement de santé : l'objet n'est pas chiffré.",
        "Name the matter without health information: the subject is not encrypted.",
    ),
    ("field-body", "Votre message", "Your message"),
    (
        "field-files",
        "Pièces jointes (facultatif)",
        "Attachments (optional)",
    ),
    (
        "field-files-hint",
        "Jusqu'à 10 fichiers de {mb} Mo au plus chacun : PDF, images, documents Word ou Excel, texte.",
        "Up to 10 files of at most {mb} MB each: PDF, images, Word or Excel documents, text.",
    ),
    (
        "upload-progress",
        "Envoi des fichiers : {p} %",
        "Uploading the files: {p}%",
    ),
    (
        "upload-failed",
        "L'envoi n'a pas abouti. Vérifiez votre connexion et réessayez.",
        "The upload did not go through. Check your connection and try again.",
    ),
    ("attachments-label", "Pièces jointes", "Attachments"),
    (
        "draft-saved",
        "Brouillon enregistré à {t}.",
        "Draft saved at {t}.",
    ),
    (
        "draft-failed",
        "Le brouillon n'a pas pu être enregistré; votre texte est toujours ici.",
        "The draft could not be saved; your text is still here.",
    ),
    (
        "draft-restored",
        "Brouillon repris, enregistré le",
        "Draft restored, saved on",
    ),
    (
        "draft_conflict",
        "Ce brouillon a été modifié ailleurs en même temps. Réessayez.",
        "This draft was changed elsewhere at the same time. Try again.",
    ),
    ("field-professional", "Au nom de", "On behalf of"),
    (
        "field-professional-agent",
        "Nom d'utilisateur du professionnel (IP…)",
        "The professional's username (IP…)",
    ),
    ("choose", "Choisissez…", "Choose…"),
    ("send", "Envoyer", "Send"),
    ("reply-title", "Répondre", "Reply"),
    (
        "field-note",
        "Note interne (jamais visible du professionnel)",
        "Internal note (never shown to the professional)",
    ),
    (
        "errors-title",
        "Corrigez ce qui suit :",
        "Please correct the following:",
    ),
    ("thread-meta", "Détails", "Details"),
    ("thread-team", "Équipe", "Team"),
    ("thread-assignee", "Attribuée à", "Assigned to"),
    ("thread-unassigned", "Personne", "Nobody"),
    ("on-behalf-of", "au nom de", "on behalf of"),
    ("note-badge", "Note interne", "Internal note"),
    ("read-by", "Lu", "Read"),
    ("not-read", "Non lu", "Not read"),
    ("take", "Prendre en charge", "Take it"),
    ("close-thread", "Fermer la conversation", "Close the thread"),
    (
        "live-new",
        "Du nouveau dans vos conversations.",
        "Something new in your conversations.",
    ),
    ("live-reload", "Actualiser", "Reload"),
    (
        "page-expired",
        "Cette page a expiré. Recommencez.",
        "This page has expired. Start again.",
    ),
    (
        "not-found-title",
        "Conversation introuvable",
        "Conversation not found",
    ),
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
        "attachment_too_large",
        "Ce fichier dépasse la taille permise.",
        "This file is larger than allowed.",
    ),
    (
        "attachment_type_refused",
        "Ce type de fichier n'est pas accepté (PDF, images, documents Word ou Excel, texte).",
        "This type of file is not accepted (PDF, images, Word or Excel documents, text).",
    ),
    (
        "attachment_infected",
        "L'antivirus a détecté un contenu malveillant dans ce fichier. Il n'a pas été conservé.",
        "The antivirus found malicious content in this file. It was not kept.",
    ),
    (
        "antivirus_unavailable",
        "Les fichiers ne peuvent pas être vérifiés pour l'instant. Rien n'a été conservé; réessayez dans un moment.",
        "Files cannot be checked right now. Nothing was kept; try again in a moment.",
    ),
    (
        "closed_thread_files",
        "Cette conversation est fermée depuis trop longtemps pour y joindre des fichiers : envoyez votre message seul (une nouvelle conversation s'ouvrira), puis joignez-y vos fichiers.",
        "This thread has been closed too long to attach files to it: send your message alone (a new thread opens), then attach your files there.",
    ),
    (
        "too_many_files",
        "Un message peut joindre au plus 10 fichiers.",
        "A message can carry at most 10 files.",
    ),
    (
        "upload_interrupted",
        "L'envoi du fichier a été interrompu. Rien n'a été conservé; recommencez.",
        "The upload was interrupted. Nothing was kept; start again.",
    ),
    (
        "unknown_attachment",
        "Une pièce jointe est introuvable ou a déjà été envoyée.",
        "An attachment cannot be found or was already sent.",
    ),
    (
        "already_assigned",
        "Un autre agent s'occupe déjà de cette conversation.",
        "Another agent already works on this thread.",
    ),
    (
        "not_your_thread",
        "Seul l'agent qui s'en occupe, ou un superviseur, peut remettre cette conversation dans la file.",
        "Only the agent working on it, or a supervisor, can put this thread back in the queue.",
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
            include_str!("api/attachments.rs"),
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
