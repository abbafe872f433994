//! Everything the idp keeps. Postgres holds what must last (one file per table group, plain
//! async functions over `&impl GenericClient`, SQL in consts); Redis holds what is short-lived
//! and shared by every node (codes, counters, revocations, pending authorization requests).

pub mod access_requests;
pub mod accounts;
pub mod audit;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod counters;
pub mod delegations;
pub mod email_proofs;
pub mod ephemeral;
pub mod kv;
pub mod nips;
pub mod outbox;
pub mod passkeys;
pub mod passwords;
pub mod pending;
pub mod professionals;
pub mod questions;
pub mod refresh;
pub mod registry;
pub mod revoked;
pub mod roles;
pub mod second_factors;
pub mod sessions;
pub mod windows;

#[cfg(test)]
mod pg_tests;

use std::fmt;

use deadpool_postgres::Pool;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::row::RowIndex;
use tokio_postgres::types::FromSql;

use crate::config::DatabaseConfig;
use crate::error::BoxError;

pub use deadpool_postgres::GenericClient;
pub use kv::Kv;

mod embedded {
    refinery::embed_migrations!("../migrations");
}

pub(crate) use service_kit::pg::sql;

/// A failure reaching or using a store. Each variant keeps its cause as `source()`; log it with
/// [`Chain`](crate::error::Chain) to see the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Postgres refused or failed a statement.
    #[error("postgres statement failed")]
    Postgres(#[from] tokio_postgres::Error),
    /// No pooled connection could be had.
    #[error("no postgres connection from the pool")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// Redis failed.
    #[error("redis command failed")]
    Redis(#[from] redis::RedisError),
    /// A column of a row did not have the type the code expects (a schema and code mismatch).
    #[error("column `{column}` did not decode")]
    Column {
        /// The column, by name or position.
        column: String,
        /// What tokio-postgres said.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A stored value did not decode, or a value could not be encoded for storing.
    #[error("corrupt stored value")]
    Corrupt(#[source] BoxError),
}

impl StoreError {
    /// Whether a store is away (Redis, no pooled connection, Postgres restarting or failing
    /// over): the request is answered 503 with Retry-After, never 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Pool(_) => true,
            StoreError::Redis(e) => service_kit::redis::is_unavailable(e),
            StoreError::Postgres(e) => service_kit::pg::is_unavailable(e),
            StoreError::Column { .. } | StoreError::Corrupt(_) => false,
        }
    }

    /// What a broken unique or check constraint means to the person who asked for the write;
    /// `None` for every other failure. The one place constraint names become meanings.
    pub fn conflict(&self) -> Option<Conflict> {
        let StoreError::Postgres(e) = self else {
            return None;
        };
        let db = e.as_db_error()?;
        let code = db.code();
        if *code != SqlState::UNIQUE_VIOLATION && *code != SqlState::CHECK_VIOLATION {
            return None;
        }
        Conflict::of_constraint(db.constraint()?)
    }
}

/// A write refused by a named constraint (migrations name every constraint), in the words of
/// the person who asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The login name (a username or an e-mail alias) already belongs to an account.
    LoginNameTaken,
    /// A client with this id is already registered.
    ClientIdTaken,
    /// The account type is neither `professional` nor `staff`.
    AccountType,
    /// The client's id_token algorithm is not one the provider signs with.
    IdTokenAlg,
    /// The passkey is already registered (to this account or another).
    PasskeyTaken,
}

impl Conflict {
    /// The meaning of a constraint by its name in `migrations/`; `None` for a constraint no
    /// person can break (a bug if it fires).
    pub fn of_constraint(name: &str) -> Option<Self> {
        Some(match name {
            "account_names_pkey" => Conflict::LoginNameTaken,
            "clients_pkey" => Conflict::ClientIdTaken,
            "accounts_type_check" => Conflict::AccountType,
            "clients_id_token_alg_check" => Conflict::IdTokenAlg,
            "passkeys_credential_key" => Conflict::PasskeyTaken,
            _ => return None,
        })
    }
}

/// Lets an error type that takes a [`StoreError`] take, with `?`, the infrastructure errors a
/// store error wraps (a pool checkout, a transaction's begin or commit), mapped the way its
/// `From<StoreError>` maps them: `store::via_store_error!(PageError);` next to the type.
macro_rules! via_store_error {
    ($t:ty) => {
        impl From<deadpool_postgres::PoolError> for $t {
            fn from(e: deadpool_postgres::PoolError) -> Self {
                $crate::store::StoreError::from(e).into()
            }
        }
        impl From<tokio_postgres::Error> for $t {
            fn from(e: tokio_postgres::Error) -> Self {
                $crate::store::StoreError::from(e).into()
            }
        }
        impl From<redis::RedisError> for $t {
            fn from(e: redis::RedisError) -> Self {
                $crate::store::StoreError::from(e).into()
            }
        }
    };
}
pub(crate) use via_store_error;

/// Reads a column without panicking: a type mismatch is a [`StoreError::Column`] naming the
/// column (the kit's reader, answering the idp's error so call sites need no conversion).
pub(crate) trait RowExt {
    /// The column `idx` (a name or a position) as a `T`.
    fn col<'a, I, T>(&'a self, idx: I) -> Result<T, StoreError>
    where
        I: RowIndex + fmt::Display + Copy,
        T: FromSql<'a>;
}

impl RowExt for Row {
    fn col<'a, I, T>(&'a self, idx: I) -> Result<T, StoreError>
    where
        I: RowIndex + fmt::Display + Copy,
        T: FromSql<'a>,
    {
        service_kit::pg::RowExt::col(self, idx).map_err(|e| StoreError::Column {
            column: e.column,
            source: e.source,
        })
    }
}

/// Builds the connection pool; with `schema` set, every connection uses it as search path.
pub fn pool(config: &DatabaseConfig) -> anyhow::Result<Pool> {
    service_kit::pg::pool(
        &config.url,
        config.schema.as_deref(),
        config.pool_size,
        "idp",
        "database.url",
    )
}

/// Applies the embedded migrations (creating the schema first when one is configured).
pub async fn migrate(pool: &Pool, config: &DatabaseConfig) -> anyhow::Result<()> {
    service_kit::pg::migrate(
        pool,
        config.schema.as_deref(),
        embedded::migrations::runner(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn every_constraint_with_a_meaning_is_named_in_the_migrations() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut sql = String::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            sql.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
        let cases = [
            ("account_names_pkey", Conflict::LoginNameTaken),
            ("clients_pkey", Conflict::ClientIdTaken),
            ("accounts_type_check", Conflict::AccountType),
            ("clients_id_token_alg_check", Conflict::IdTokenAlg),
        ];
        for (name, meaning) in cases {
            assert_eq!(Conflict::of_constraint(name), Some(meaning), "{name}");
            assert!(
                sql.contains(&format!("CONSTRAINT {name}")),
                "{name} is not a constraint of the migrations"
            );
        }
    }

    #[test]
    fn a_constraint_no_person_can_break_has_no_meaning() {
        for name in ["sso_sessions_sid_key", "consents_pkey", "accounts_pkey", ""] {
            assert_eq!(Conflict::of_constraint(name), None, "{name}");
        }
    }

    #[test]
    fn a_corrupt_value_keeps_what_did_not_decode_as_its_source() {
        let json = serde_json::from_str::<u8>("x").unwrap_err();
        let e = StoreError::Corrupt(json.into());
        let source = e.source().expect("a source");
        assert!(source.is::<serde_json::Error>(), "{source:?}");
        assert_eq!(e.conflict(), None);
    }
}
