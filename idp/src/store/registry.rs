//! The client registry as the endpoints see it: registrations read from Postgres and kept in
//! this node for `clients.cache_secs` (5 s by default), so token, introspection and
//! authorization requests do not each pay a database round trip for a row that changes a few
//! times a year. The price, documented for the security team: a removed, edited or disabled
//! client or a rotated secret takes up to that long to take effect on every other node (the
//! security console's node forgets its copy at once). `0` disables the cache.
//!
//! It sits in the store, beside `clients`, because it is a copy of that table and nothing
//! more: the application state holds it and every feature reads clients through it.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use moka::sync::Cache;

use super::StoreError;
use super::clients::{self, Client};

/// Entries kept at most (a bound against lookups of made-up client ids).
const MAX_ENTRIES: u64 = 1024;

/// Cached client registrations (including "no such client").
#[derive(Debug, Clone)]
pub struct Registry {
    db: Pool,
    /// `None` when `clients.cache_secs = 0`: every lookup reads Postgres.
    entries: Option<Cache<String, Option<Arc<Client>>>>,
}

impl Registry {
    /// A registry over the pool with entries living `ttl` (zero: no caching).
    pub fn new(db: Pool, ttl: Duration) -> Self {
        let entries = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .time_to_live(ttl)
                .build()
        });
        Self { db, entries }
    }

    /// The client `id`, from this node's cache or Postgres.
    pub async fn get(&self, id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        if let Some(found) = self.entries.as_ref().and_then(|e| e.get(id)) {
            return Ok(found);
        }
        let db = self.db.get().await?;
        let client = clients::get(&db, id).await?.map(Arc::new);
        if let Some(entries) = &self.entries {
            entries.insert(id.to_owned(), client.clone());
        }
        Ok(client)
    }

    /// Forgets this node's copy of `id` (the security console changed it here; other nodes
    /// follow within `clients.cache_secs`).
    pub fn forget(&self, id: &str) {
        if let Some(entries) = &self.entries {
            entries.invalidate(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseConfig;

    async fn registry(ttl: Duration) -> (Registry, deadpool_postgres::Pool, String) {
        let url = std::env::var("IDP_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let schema = format!("registry_{}", uuid::Uuid::new_v4().simple());
        let config = DatabaseConfig {
            url,
            pool_size: 2,
            schema: Some(schema.clone()),
        };
        let pool = crate::store::pool(&config).unwrap();
        crate::store::migrate(&pool, &config).await.unwrap();
        (Registry::new(pool.clone(), ttl), pool, schema)
    }

    fn client(id: &str) -> Client {
        crate::store::clients::example(id)
    }

    #[tokio::test]
    async fn a_removed_client_is_forgotten_once_its_entry_expires() {
        let (registry, pool, schema) = registry(Duration::from_millis(300)).await;
        let db = pool.get().await.unwrap();
        clients::insert(&db, &client("rp")).await.unwrap();
        assert!(registry.get("rp").await.unwrap().is_some());
        clients::delete(&db, "rp").await.unwrap();
        assert!(
            registry.get("rp").await.unwrap().is_some(),
            "served from this node's cache"
        );
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert!(
            registry.get("rp").await.unwrap().is_none(),
            "gone once the entry expired"
        );
        db.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn with_a_zero_lifetime_every_lookup_reads_postgres() {
        let (registry, pool, schema) = registry(Duration::ZERO).await;
        let db = pool.get().await.unwrap();
        assert!(registry.get("late").await.unwrap().is_none());
        clients::insert(&db, &client("late")).await.unwrap();
        assert!(
            registry.get("late").await.unwrap().is_some(),
            "an unknown id is not cached either"
        );
        db.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
    }
}
