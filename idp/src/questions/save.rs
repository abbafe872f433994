//! Setting a user's secret questions: every rule checked on the whole form first (distinct
//! questions from the catalogue, answers normalised and checked, no two answers alike), then
//! each answer hashed, then in one transaction the answers, the notice and the audit event.

use std::collections::HashSet;

use super::answer::{self, AnswerRefusal, Forbidden};
use crate::domain::Password;
use crate::mail::{self, Notice, Recipient};
use crate::password::{HashError, Verdict};
use crate::state::AppState;
use crate::store::accounts::{self, Account};
use crate::store::{StoreError, audit, passwords, questions};
use crate::web::{PageError, Requester};

/// One row of the form as submitted.
#[derive(Debug, Clone, Default)]
pub struct Pick {
    /// The question id chosen.
    pub question: String,
    /// The answer typed.
    pub answer: String,
}

/// What is wrong with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowError {
    /// No question, or one not in the catalogue.
    NoQuestion,
    /// The same question as an earlier row.
    DuplicateQuestion,
    /// The answer was refused.
    Answer(AnswerRefusal),
}

impl RowError {
    /// The message key.
    pub fn message_key(self) -> &'static str {
        match self {
            RowError::NoQuestion => "questions-error-pick",
            RowError::DuplicateQuestion => "questions-error-duplicate",
            RowError::Answer(refusal) => refusal.message_key(),
        }
    }
}

/// What is known of the account's password, which no answer may equal.
#[derive(Debug, Clone, Copy)]
pub enum KnownPassword<'a> {
    /// Typed in the same form (account settings): compared as text.
    Typed(&'a str),
    /// Only its hash (the restricted state): each answer is verified against it, as typed.
    Hash(&'a str),
}

/// Why answers could not be saved (answers the rules refuse are an answer, not an error).
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Postgres or Redis failed: the transaction wrote nothing.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The hashing pool is saturated or failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// An answer past the checks was still too long to hash: a bug.
    #[error("an answer too long to hash passed the checks")]
    Unhashable,
}

crate::store::via_store_error!(SaveError);

impl From<SaveError> for PageError {
    fn from(e: SaveError) -> Self {
        match e {
            SaveError::Store(e) => e.into(),
            SaveError::Hash(e) => e.into(),
            SaveError::Unhashable => PageError::internal(e),
        }
    }
}

/// Checks, hashes and stores the answers. `Ok(Err(rows))` lists the rows to fix (index, error).
#[tracing::instrument(skip_all, fields(account = %account.id))]
pub async fn save(
    app: &AppState,
    account: &Account,
    picks: &[Pick],
    known: KnownPassword<'_>,
    requester: &Requester,
) -> Result<Result<(), Vec<(usize, RowError)>>, SaveError> {
    let password = match known {
        KnownPassword::Typed(password) => Some(password),
        KnownPassword::Hash(_) => None,
    };
    let config = &app.config.secret_questions;
    let names = {
        let db = app.db.get().await?;
        accounts::names(&db, account.id).await?
    };
    let forbidden = Forbidden {
        names: &names,
        given_name: &account.given_name,
        family_name: &account.family_name,
        email: account.email.as_deref(),
        password,
    };
    let mut errors = Vec::new();
    let mut chosen = HashSet::new();
    let mut answers = HashSet::new();
    let mut normalised = Vec::with_capacity(picks.len());
    for (i, pick) in picks.iter().enumerate() {
        if config.find(&pick.question).is_none() {
            errors.push((i, RowError::NoQuestion));
        } else if !chosen.insert(pick.question.as_str()) {
            errors.push((i, RowError::DuplicateQuestion));
        }
        let question = config.find(&pick.question);
        let checked = answer::normalise(&pick.answer).and_then(|a| {
            answer::check(&a, config.min_answer_chars, forbidden, question).map(|()| a)
        });
        match checked {
            Err(refusal) => errors.push((i, RowError::Answer(refusal))),
            Ok(a) if !answers.insert(a.clone()) => {
                errors.push((i, RowError::Answer(AnswerRefusal::Repeated)));
            }
            Ok(a) => normalised.push((pick.question.clone(), a)),
        }
    }
    if picks.len() != config.required && errors.is_empty() {
        errors.push((picks.len(), RowError::NoQuestion));
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    if let KnownPassword::Hash(phc) = known {
        // An Argon2id verification per answer, only once every other rule holds.
        for (i, pick) in picks.iter().enumerate() {
            let Ok(typed) = Password::parse(&pick.answer) else {
                continue;
            };
            if app.hasher.verify(&typed, Some(phc)).await? != Verdict::Mismatch {
                errors.push((i, RowError::Answer(AnswerRefusal::Password)));
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
    }
    let mut hashed = Vec::with_capacity(normalised.len());
    for (question, answer) in &normalised {
        let input = answer::hash_input(question, answer).ok_or(SaveError::Unhashable)?;
        hashed.push((question.clone(), app.hasher.hash(&input).await?));
    }
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    questions::replace(&tx, account.id, &hashed).await?;
    passwords::set_questions_pending(&tx, account.id, false).await?;
    if let Some(to) = Recipient::of(account) {
        mail::enqueue(&tx, &to, &Notice::QuestionsChanged).await?;
    }
    let event = audit::Event {
        kind: "questions_changed",
        outcome: "success",
        account_id: Some(account.id),
        client_id: None,
        ip: Some(requester.ip),
        user_agent: requester.user_agent.as_deref(),
        detail: serde_json::json!({ "count": hashed.len() }),
    };
    audit::record(&tx, &event).await?;
    tx.commit().await?;
    Ok(Ok(()))
}
