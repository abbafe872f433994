//! Secret answers: one Argon2id hash per question an account answered.

use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// Ids of the questions an account answered.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn answered(
    client: &impl GenericClient,
    account: Uuid,
) -> Result<Vec<String>, StoreError> {
    const SQL: &str =
        "SELECT question_id FROM secret_answers WHERE account_id = $1 ORDER BY question_id";
    let rows = sql::query(client, SQL, &[&account]).await?;
    rows.iter().map(|r| r.col(0)).collect()
}

/// The hashes of some of an account's answers, as (question id, PHC string).
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn hashes(
    client: &impl GenericClient,
    account: Uuid,
    question_ids: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    const SQL: &str = "SELECT question_id, phc FROM secret_answers \
                       WHERE account_id = $1 AND question_id = ANY($2)";
    let rows = sql::query(client, SQL, &[&account, &question_ids]).await?;
    rows.iter().map(|r| Ok((r.col(0)?, r.col(1)?))).collect()
}

/// Replaces every answer of an account (in the caller's transaction).
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn replace(
    client: &impl GenericClient,
    account: Uuid,
    answers: &[(String, String)],
) -> Result<(), StoreError> {
    const DELETE: &str = "DELETE FROM secret_answers WHERE account_id = $1";
    const INSERT: &str =
        "INSERT INTO secret_answers (account_id, question_id, phc) VALUES ($1, $2, $3)";
    sql::execute(client, DELETE, &[&account]).await?;
    for (question, phc) in answers {
        sql::execute(client, INSERT, &[&account, question, phc]).await?;
    }
    Ok(())
}
