//! Against a real Postgres (`IDP_TEST_DATABASE_URL`, default the local `postgres` database),
//! in a throw-away schema built by the real migrations: what a broken constraint means, and
//! that a failure keeps its cause.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::error::Error as _;

use deadpool_postgres::Pool;
use tokio_postgres::NoTls;

use super::accounts::{self, NewAccount};
use super::clients::{self, Client};
use super::{Conflict, RowExt as _, StoreError};
use crate::config::DatabaseConfig;
use crate::error::Chain;

fn database(schema: &str) -> DatabaseConfig {
    DatabaseConfig {
        url: std::env::var("IDP_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        pool_size: 2,
        schema: Some(schema.to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_errors_against_postgres() {
    // Real Postgres is part of the test environment (scripts/test starts it): no skipping.
    let url = database("").url;
    let (admin, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("postgres at {url} is required: {e}"));
    tokio::spawn(connection);
    let mut suffix = [0u8; 6];
    aws_lc_rs::rand::fill(&mut suffix).unwrap();
    let hex: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let schema = format!("store_test_{hex}");
    let pool = super::pool(&database(&schema)).unwrap();
    super::migrate(&pool, &database(&schema)).await.unwrap();

    let result = tokio::spawn(scenarios(pool)).await;
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic.into_panic());
    }
}

async fn scenarios(pool: Pool) {
    a_taken_login_name_in_any_case_is_login_name_taken(&pool).await;
    an_unknown_account_type_is_account_type(&pool).await;
    a_taken_client_id_is_client_id_taken(&pool).await;
    a_column_of_the_wrong_type_is_an_error_naming_it_not_a_panic(&pool).await;
}

fn account<'a>(username: &'a str, account_type: &'a str) -> NewAccount<'a> {
    NewAccount {
        username,
        given_name: "A",
        family_name: "B",
        email: None,
        profession: None,
        account_type,
        phc: "$argon2id$not-checked-here",
    }
}

async fn a_taken_login_name_in_any_case_is_login_name_taken(pool: &Pool) {
    let db = pool.get().await.unwrap();
    accounts::insert(&db, &account("IP1234", "professional"))
        .await
        .unwrap();
    let again = accounts::insert(&db, &account("ip1234", "professional"))
        .await
        .unwrap_err();
    assert_eq!(
        again.conflict(),
        Some(Conflict::LoginNameTaken),
        "{again:?}"
    );
}

async fn an_unknown_account_type_is_account_type(pool: &Pool) {
    let db = pool.get().await.unwrap();
    let refused = accounts::insert(&db, &account("IP5678", "robot"))
        .await
        .unwrap_err();
    assert_eq!(
        refused.conflict(),
        Some(Conflict::AccountType),
        "{refused:?}"
    );
}

async fn a_taken_client_id_is_client_id_taken(pool: &Pool) {
    let db = pool.get().await.unwrap();
    let client = Client {
        id_token_alg: "ES256".into(),
        first_party: false,
        ..clients::example("rp")
    };
    clients::insert(&db, &client).await.unwrap();
    let again = clients::insert(&db, &client).await.unwrap_err();
    assert_eq!(again.conflict(), Some(Conflict::ClientIdTaken), "{again:?}");
    let bad_alg = Client {
        id: "rp2".into(),
        id_token_alg: "none".into(),
        ..client
    };
    let refused = clients::insert(&db, &bad_alg).await.unwrap_err();
    assert_eq!(
        refused.conflict(),
        Some(Conflict::IdTokenAlg),
        "{refused:?}"
    );
}

async fn a_column_of_the_wrong_type_is_an_error_naming_it_not_a_panic(pool: &Pool) {
    let db = pool.get().await.unwrap();
    let row = db.query_one("SELECT 7::int4 AS n", &[]).await.unwrap();
    let e = row.col::<_, String>("n").unwrap_err();
    assert!(
        matches!(&e, StoreError::Column { column, .. } if column == "n"),
        "{e:?}"
    );
    let source = e.source().expect("the cause is kept");
    assert!(source.is::<tokio_postgres::Error>(), "{source:?}");
    assert!(
        Chain(&e)
            .to_string()
            .starts_with("column `n` did not decode: ")
    );
    assert_eq!(e.conflict(), None, "a decoding failure is no conflict");
}
