//! A notice put into words: a subject, a plain-text part and an HTML part (the two halves of a
//! multipart/alternative message, RFC 2046 §5.1.4), in the recipient's language. Messages live
//! in `locales/<lang>/mail.ftl`; one layout per format serves every notice
//! (`templates/mail/notice.txt`, `templates/mail/notice.html`, where askama escapes every value).

use askama::Template;

use super::Notice;
use crate::config::AssistanceCentre;
use crate::i18n::Lang;

/// A rendered notice (the kit's e-mail: subject, text, HTML).
pub use service_kit::mail::Email as Rendered;

/// Renders `notice` in `lang` for `name` (first and last name, for the greeting), giving the
/// help lines `help` (the recipient's, `assistance.rs`).
pub fn render(
    notice: &Notice,
    lang: Lang,
    name: &str,
    help: &[&AssistanceCentre],
) -> Result<Rendered, askama::Error> {
    let words = Words::of(notice);
    let args = |extra: &[(&'static str, String)]| extra.to_vec();
    let username = match notice {
        Notice::UsernameChanged { name } => name.clone(),
        Notice::UsernameReminder { username } => username.clone(),
        _ => String::new(),
    };
    let (password, hours) = match notice {
        Notice::AccessApproved { password, hours } => (password.clone(), hours.to_string()),
        _ => (String::new(), String::new()),
    };
    let subject = lang.t(words.subject);
    let body = Body {
        lang: lang.tag(),
        greeting: lang.t_args("mail-greeting", &args(&[("name", name.to_owned())])),
        paragraphs: words
            .paragraphs
            .iter()
            .map(|key| {
                let values = [
                    ("username", username.clone()),
                    ("password", password.clone()),
                    ("hours", hours.clone()),
                ];
                lang.t_args(key, &args(&values))
            })
            .collect(),
        action: words.action.map(|(label, href)| Action {
            label: lang.t(label),
            href: href.to_owned(),
        }),
        link_fallback: lang.t("mail-link-fallback"),
        signature: lang.t("mail-signature"),
        footer: [
            lang.t("mail-footer-automatic"),
            lang.t("mail-footer-not-you"),
        ]
        .into_iter()
        // The recipient's own help lines: a pharmacist's, another professional's, staff's.
        .chain(help.iter().map(|centre| centre.line(lang)))
        .collect(),
        subject: subject.clone(),
    };
    Ok(Rendered {
        text: TextMail { body: &body }.render()?,
        html: HtmlMail { body: &body }.render()?,
        subject,
    })
}

/// The message keys of one notice.
struct Words<'a> {
    subject: &'static str,
    paragraphs: &'static [&'static str],
    /// The button's label and the single-use link it opens.
    action: Option<(&'static str, &'a str)>,
}

impl<'a> Words<'a> {
    fn of(notice: &'a Notice) -> Self {
        let plain = |subject, paragraphs| Words {
            subject,
            paragraphs,
            action: None,
        };
        match notice {
            Notice::PasswordChanged => plain(
                "mail-password-changed-subject",
                &["mail-password-changed-body", "mail-password-changed-next"],
            ),
            Notice::PasswordRecovered => plain(
                "mail-password-recovered-subject",
                &[
                    "mail-password-recovered-body",
                    "mail-password-recovered-next",
                ],
            ),
            Notice::QuestionsChanged => plain(
                "mail-questions-changed-subject",
                &["mail-questions-changed-body", "mail-questions-changed-next"],
            ),
            Notice::UsernameChanged { .. } => plain(
                "mail-username-changed-subject",
                &["mail-username-changed-body", "mail-username-changed-next"],
            ),
            Notice::AccountLocked {
                until_help_desk: false,
                recover_online: true,
            } => plain(
                "mail-account-locked-subject",
                &["mail-account-locked-body", "mail-account-locked-next"],
            ),
            Notice::AccountLocked {
                until_help_desk: false,
                recover_online: false,
            } => plain(
                "mail-account-locked-subject",
                &["mail-account-locked-body", "mail-account-locked-next-call"],
            ),
            Notice::AccountLocked {
                until_help_desk: true,
                ..
            } => plain(
                "mail-account-locked-subject",
                &[
                    "mail-account-locked-help-desk-body",
                    "mail-account-locked-help-desk-next",
                ],
            ),
            Notice::RecoveryClosed => plain(
                "mail-recovery-closed-subject",
                &["mail-recovery-closed-body", "mail-recovery-closed-next"],
            ),
            Notice::VerifyAlias { link } => Words {
                subject: "mail-verify-alias-subject",
                paragraphs: &["mail-verify-alias-body", "mail-verify-alias-next"],
                action: Some(("mail-verify-alias-action", link)),
            },
            Notice::Enrolled => plain(
                "mail-enrolled-subject",
                &["mail-enrolled-body", "mail-enrolled-next"],
            ),
            Notice::AccessRequestReceived => plain(
                "mail-access-request-subject",
                &["mail-access-request-body", "mail-access-request-next"],
            ),
            Notice::AccessApproved { .. } => plain(
                "mail-access-approved-subject",
                &[
                    "mail-access-approved-body",
                    "mail-access-approved-password",
                    "mail-access-approved-next",
                ],
            ),
            Notice::UsernameReminder { .. } => plain(
                "mail-username-reminder-subject",
                &["mail-username-reminder-body", "mail-username-reminder-next"],
            ),
            Notice::SecondFactorChanged { added: true } => plain(
                "mail-second-factor-added-subject",
                &["mail-second-factor-added-body", "mail-second-factor-next"],
            ),
            Notice::SecondFactorChanged { added: false } => plain(
                "mail-second-factor-removed-subject",
                &["mail-second-factor-removed-body", "mail-second-factor-next"],
            ),
            Notice::AccessRefused => plain(
                "mail-access-refused-subject",
                &["mail-access-refused-body", "mail-access-refused-next"],
            ),
            Notice::AccessForm { link } => Words {
                subject: "mail-access-form-subject",
                paragraphs: &["mail-access-form-body", "mail-access-form-next"],
                action: Some(("mail-access-form-action", link)),
            },
            Notice::RecoveryLink { link } => Words {
                subject: "mail-recovery-link-subject",
                paragraphs: &["mail-recovery-link-body", "mail-recovery-link-next"],
                action: Some(("mail-recovery-link-action", link)),
            },
        }
    }
}

/// What both layouts show.
struct Body {
    lang: &'static str,
    subject: String,
    greeting: String,
    paragraphs: Vec<String>,
    action: Option<Action>,
    link_fallback: String,
    signature: String,
    footer: Vec<String>,
}

struct Action {
    label: String,
    href: String,
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct TextMail<'a> {
    body: &'a Body,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct HtmlMail<'a> {
    body: &'a Body,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const LINK: &str = "https://idp.example/recovery/link?token=abc&x=1";

    /// The help lines of config/default.toml.
    fn lines() -> Vec<AssistanceCentre> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
        crate::config::Config::figment(&dir, "test")
            .extract_inner::<crate::config::RecoveryConfig>("recovery")
            .unwrap()
            .assistance
    }

    /// Renders for a pharmacist.
    fn render(notice: &Notice, lang: Lang, name: &str) -> Result<Rendered, askama::Error> {
        let all = lines();
        let pharmacist = crate::assistance::Audience {
            account_type: Some("professional".into()),
            profession: Some("pharmacien".into()),
        };
        super::render(notice, lang, name, &pharmacist.centres(&all))
    }

    fn every_notice() -> Vec<Notice> {
        vec![
            Notice::PasswordChanged,
            Notice::PasswordRecovered,
            Notice::QuestionsChanged,
            Notice::UsernameChanged {
                name: "marie.tremblay@example.org".into(),
            },
            Notice::AccountLocked {
                until_help_desk: false,
                recover_online: true,
            },
            Notice::AccountLocked {
                until_help_desk: false,
                recover_online: false,
            },
            Notice::AccountLocked {
                until_help_desk: true,
                recover_online: true,
            },
            Notice::RecoveryClosed,
            Notice::VerifyAlias { link: LINK.into() },
            Notice::RecoveryLink { link: LINK.into() },
            Notice::AccessRequestReceived,
            Notice::AccessForm { link: LINK.into() },
            Notice::Enrolled,
            Notice::AccessApproved {
                password: "k7qm-x2pf-9hts-c4wn-r8ye".into(),
                hours: 72,
            },
            Notice::AccessRefused,
            Notice::UsernameReminder {
                username: "IP12345".into(),
            },
            Notice::SecondFactorChanged { added: true },
            Notice::SecondFactorChanged { added: false },
        ]
    }

    #[test]
    fn every_notice_renders_in_both_languages_without_a_missing_message() {
        for lang in [Lang::Fr, Lang::En] {
            for notice in every_notice() {
                let mail = render(&notice, lang, "Marie Tremblay").unwrap();
                let case = format!("{notice:?} in {lang:?}");
                assert!(!mail.subject.trim().is_empty(), "{case}: subject");
                assert!(
                    mail.text.contains("Marie Tremblay"),
                    "{case}: text greeting"
                );
                assert!(
                    mail.html.contains("Marie Tremblay"),
                    "{case}: html greeting"
                );
                for part in [&mail.subject, &mail.text, &mail.html] {
                    // A missing message renders as its key.
                    assert!(
                        !part.contains("mail-"),
                        "{case}: untranslated key in {part}"
                    );
                    assert!(!part.contains("{ $"), "{case}: unfilled argument in {part}");
                }
                assert!(
                    mail.html
                        .contains(&format!("<html lang=\"{}\">", lang.tag())),
                    "{case}: html language"
                );
                assert!(
                    mail.text.contains("418 643-9025"),
                    "{case}: the pharmacists' line"
                );
                assert!(
                    !mail.text.contains("418 643-8210"),
                    "{case}: not the other professionals' line"
                );
            }
        }
    }

    #[test]
    fn french_by_default_and_english_on_request() {
        let fr = render(&Notice::PasswordChanged, Lang::default(), "Marie Tremblay").unwrap();
        assert_eq!(fr.subject, "Votre mot de passe a été modifié");
        assert!(
            fr.text.starts_with("Bonjour Marie Tremblay,\n"),
            "{}",
            fr.text
        );
        assert!(
            fr.text
                .contains("Ce courriel vous est envoyé automatiquement.")
        );
        assert!(
            fr.text.contains("Pharmaciens : 418 643-9025 (Québec)"),
            "{}",
            fr.text
        );

        let en = render(&Notice::PasswordChanged, Lang::En, "Marie Tremblay").unwrap();
        assert_eq!(en.subject, "Your password was changed");
        assert!(
            en.text.starts_with("Hello Marie Tremblay,\n"),
            "{}",
            en.text
        );
        assert!(en.text.contains("This e-mail was sent automatically."));
    }

    #[test]
    fn the_text_part_is_paragraphs_separated_by_blank_lines() {
        let mail = render(&Notice::QuestionsChanged, Lang::Fr, "Marie Tremblay").unwrap();
        let expected = "Bonjour Marie Tremblay,\n\n\
            Les questions secrètes de votre compte des services en ligne et leurs réponses ont été modifiées.\n\n\
            Elles vous permettront de remplacer votre mot de passe en ligne si vous l'oubliez.\n\n\
            Services en ligne de la Régie\n\n-----\n\
            Ce courriel vous est envoyé automatiquement. Veuillez ne pas y répondre.\n";
        assert!(mail.text.starts_with(expected), "{}", mail.text);
    }

    #[test]
    fn a_link_is_offered_as_a_button_and_as_plain_text() {
        for notice in [
            Notice::VerifyAlias { link: LINK.into() },
            Notice::RecoveryLink { link: LINK.into() },
        ] {
            let mail = render(&notice, Lang::Fr, "Marie Tremblay").unwrap();
            assert!(mail.text.contains(&format!("\n{LINK}\n")), "{}", mail.text);
            let escaped = LINK.replace('&', "&#38;");
            assert!(
                mail.html.contains(&format!("<a href=\"{escaped}\"")),
                "{}",
                mail.html
            );
        }
        let plain = render(&Notice::PasswordChanged, Lang::Fr, "Marie Tremblay").unwrap();
        assert!(!plain.html.contains("<a "), "no link in a plain notice");
    }

    #[test]
    fn html_escapes_names_and_usernames() {
        let hostile = "<script>alert(1)</script> & \"Tremblay\"";
        let notice = Notice::UsernameChanged {
            name: "<img src=x onerror=alert(1)>@example.org".into(),
        };
        let mail = render(&notice, Lang::Fr, hostile).unwrap();
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(!mail.html.contains("<img"), "{}", mail.html);
        assert!(mail.html.contains("&#60;script&#62;"), "{}", mail.html);
        assert!(mail.html.contains("&#60;img src=x"), "{}", mail.html);
        // The text part is not HTML: it shows the name as it is.
        assert!(mail.text.contains(hostile));
    }

    #[test]
    fn staff_get_their_own_line_and_the_lock_notice_fits_the_account() {
        let all = lines();
        let staff = crate::assistance::Audience {
            account_type: Some("staff".into()),
            profession: None,
        };
        let locked = Notice::AccountLocked {
            until_help_desk: false,
            recover_online: false,
        };
        let mail = super::render(&locked, Lang::Fr, "Luc Gagnon", &staff.centres(&all)).unwrap();
        assert!(
            mail.text
                .contains("Personnel administratif et utilisateurs du SELAT"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("faites le 1 pour les services en ligne"));
        assert!(!mail.text.contains("Pharmaciens"), "{}", mail.text);
        assert!(
            !mail.text.contains("Mot de passe oublié"),
            "no questions set: the notice does not send them to recovery: {}",
            mail.text
        );
        assert!(
            mail.text.contains("mot de passe temporaire"),
            "{}",
            mail.text
        );
        let with_questions = Notice::AccountLocked {
            until_help_desk: false,
            recover_online: true,
        };
        let mail = super::render(
            &with_questions,
            Lang::Fr,
            "Luc Gagnon",
            &staff.centres(&all),
        )
        .unwrap();
        assert!(
            mail.text.contains("« Mot de passe oublié? »"),
            "{}",
            mail.text
        );
    }

    #[test]
    fn a_new_username_is_named_in_the_notice() {
        let notice = Notice::UsernameChanged {
            name: "marie.tremblay@example.org".into(),
        };
        let mail = render(&notice, Lang::En, "Marie Tremblay").unwrap();
        assert!(
            mail.text
                .contains("with the username marie.tremblay@example.org."),
            "{}",
            mail.text
        );
    }
}
