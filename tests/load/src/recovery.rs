//! The recovery scenario: « Mot de passe oublié? » up to the new-password page — the username,
//! the questions page, three right answers (three Argon2id checks on the server). Each worker
//! recovers its own account (`IP7770<n>`, seeded here with the demo answers), so workers never
//! share a challenge; no password is changed, so the accounts can be used again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail, ensure};
use reqwest::StatusCode;
use reqwest::header;

use crate::flows::{CSRF_COOKIE, Target, hidden_input, set_cookie};

const RECOVERY_COOKIE: &str = "__Host-idp_recovery";

/// An account a worker recovers, with the answer to each question text it may be asked.
#[derive(Debug)]
pub struct Account {
    username: String,
    answers: HashMap<String, String>,
}

/// Seeds `n` accounts with the demo answers (idempotent: existing accounts are reused and their
/// answers, failures and locks reset).
pub async fn seed(config_dir: &Path, env: &str, n: usize) -> anyhow::Result<Vec<Arc<Account>>> {
    use idp::questions::answer;
    let config = idp::config::Config::load(config_dir, env)?;
    let pool = idp::store::pool(&config.database)?;
    let db = pool.get().await?;
    let hasher =
        idp::password::Hasher::new(config.password, 2, std::time::Duration::from_secs(60))?;
    let mut hashed = Vec::new();
    let mut answers = HashMap::new();
    for (id, raw) in idp::dev::DEMO_ANSWERS {
        let question = config
            .secret_questions
            .find(id)
            .with_context(|| format!("demo question {id} not in the catalogue"))?;
        let normalised = answer::normalise(raw).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let input = answer::hash_input(id, &normalised).context("answer too long")?;
        hashed.push((id.to_owned(), hasher.hash(&input).await?));
        answers.insert(question.fr.clone(), raw.to_owned());
    }
    let mut accounts = Vec::with_capacity(n);
    for i in 0..n {
        let username = format!("IP7770{i}");
        let user = idp::admin::users::NewUser {
            username: username.clone(),
            password: idp::dev::DEMO_PROFESSIONAL.1.to_owned(),
            given_name: "Banc".into(),
            family_name: "D'essai".into(),
            email: None,
            profession: Some("pharmacien".into()),
            account_type: "professional".into(),
        };
        match idp::admin::users::add(&db, &hasher, idp::admin::users::Rules::of(&config), user)
            .await
        {
            Ok(_) | Err(idp::admin::users::AddUserError::Taken) => {}
            Err(e) => bail!("bench account {username}: {e}"),
        }
        let found = idp::store::accounts::find_by_login_name(&db, &username.to_lowercase())
            .await?
            .context("bench account not found after adding it")?;
        idp::store::questions::replace(&db, found.account.id, &hashed).await?;
        db.execute(
            "UPDATE accounts SET recovery_failures = 0, recovery_closed_at = NULL, locked_at = NULL WHERE id = $1",
            &[&found.account.id],
        )
        .await?;
        accounts.push(Arc::new(Account {
            username,
            answers: answers.clone(),
        }));
    }
    Ok(accounts)
}

/// One recovery attempt: the name, the questions page, the right answers, and the redirect to
/// the new-password page.
pub async fn attempt(
    target: &Target,
    http: &reqwest::Client,
    account: &Account,
) -> anyhow::Result<()> {
    let asked = open(target, http, &account.username).await?;
    let mut answers = Vec::new();
    for label in &asked.labels {
        let answer = account
            .answers
            .iter()
            .find(|(question, _)| label.contains(question.as_str()))
            .map(|(_, answer)| answer.clone())
            .with_context(|| format!("no answer for the question {label:?}"))?;
        answers.push(answer);
    }
    let response = asked.answer(target, http, &answers).await?;
    let next = target.redirect_target(response, "answers").await?;
    ensure!(
        next.path() == "/recovery/password",
        "answers: sent to {next}"
    );
    Ok(())
}

/// One attempt for a name that is no account (a new one each time, so no decoy closes): the
/// name, the decoy questions, answers, and the refusal a real wrong set gets (400). Its cost
/// beside `attempt`'s is the point: the same three Argon2id verifications.
pub async fn attempt_unknown(target: &Target, http: &reqwest::Client) -> anyhow::Result<()> {
    let mut digits = [0u8; 4];
    aws_lc_rs::rand::fill(&mut digits).map_err(|_| anyhow::anyhow!("no randomness"))?;
    let name = format!("IP9{:010}", u32::from_le_bytes(digits));
    let asked = open(target, http, &name).await?;
    let answers: Vec<String> = (1..=asked.labels.len())
        .map(|n| format!("Réponse de banc {n}"))
        .collect();
    let response = asked.answer(target, http, &answers).await?;
    let status = response.status();
    ensure!(
        status == StatusCode::BAD_REQUEST,
        "decoy answers: {status}, not the refusal of a wrong set"
    );
    Ok(())
}

/// A recovery at its questions page.
struct Asked {
    /// The cookies of the recovery (CSRF and the recovery's own).
    cookies: String,
    /// The questions page's CSRF field.
    csrf: String,
    /// The label of each answer field, in order.
    labels: Vec<String>,
}

/// The start page, the name, and the questions page it leads to (three questions).
async fn open(target: &Target, http: &reqwest::Client, username: &str) -> anyhow::Result<Asked> {
    let response = http.get(target.url("/recovery")?).send().await?;
    let csrf_cookie = set_cookie(response.headers(), CSRF_COOKIE).context("no CSRF cookie")?;
    let page = response.text().await?;
    let csrf = hidden_input(&page, "csrf").context("recovery page: no csrf field")?;
    let csrf_header = format!("{CSRF_COOKIE}={csrf_cookie}");

    let response = http
        .post(target.url("/recovery")?)
        .header(header::COOKIE, &csrf_header)
        .header(header::ORIGIN, target.origin.clone())
        .form(&[("csrf", csrf.as_str()), ("username", username)])
        .send()
        .await?;
    let status = response.status();
    let recovery_cookie = set_cookie(response.headers(), RECOVERY_COOKIE)
        .with_context(|| format!("username: {status} without a recovery cookie"))?;
    let next = target
        .redirect_target(response, "recovery username")
        .await?;
    ensure!(
        next.path() == "/recovery/questions",
        "username: sent to {next}"
    );
    let cookies = format!("{csrf_header}; {RECOVERY_COOKIE}={recovery_cookie}");

    let response = http
        .get(target.url("/recovery/questions")?)
        .header(header::COOKIE, &cookies)
        .send()
        .await?;
    let status = response.status();
    let page = response.text().await?;
    ensure!(status == StatusCode::OK, "questions page: {status}");
    let csrf = hidden_input(&page, "csrf").context("no csrf")?;
    let labels: Vec<String> = (1..)
        .map_while(|n| label(&page, &format!("answer_{n}")))
        .collect();
    ensure!(
        labels.len() == 3,
        "three questions expected, got {}",
        labels.len()
    );
    Ok(Asked {
        cookies,
        csrf,
        labels,
    })
}

impl Asked {
    /// Posts `answers`, in the order of the fields; the raw answer.
    async fn answer(
        &self,
        target: &Target,
        http: &reqwest::Client,
        answers: &[String],
    ) -> anyhow::Result<reqwest::Response> {
        let mut form = vec![("csrf".to_owned(), self.csrf.clone())];
        for (n, answer) in answers.iter().enumerate() {
            form.push((format!("answer_{}", n + 1), answer.clone()));
        }
        Ok(http
            .post(target.url("/recovery/questions")?)
            .header(header::COOKIE, &self.cookies)
            .header(header::ORIGIN, target.origin.clone())
            .form(&form)
            .send()
            .await?)
    }
}

/// The text of `<label for="ID">…</label>`, HTML entities decoded.
fn label(page: &str, id: &str) -> Option<String> {
    let marker = format!("<label for=\"{id}\">");
    let start = page.find(&marker)? + marker.len();
    let end = page.get(start..)?.find("</label>")? + start;
    Some(
        page.get(start..end)?
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_read_and_decoded() {
        let page = r#"<label for="answer_1">Question 1 : Sur quelle rue habitiez-vous à l&#39;âge de dix ans?</label>"#;
        assert_eq!(
            label(page, "answer_1").unwrap(),
            "Question 1 : Sur quelle rue habitiez-vous à l'âge de dix ans?"
        );
        assert!(label(page, "answer_2").is_none());
    }
}
