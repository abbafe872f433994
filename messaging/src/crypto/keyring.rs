//! The keyring: the master key and the KEKs it has unsealed (a small cache: a KEK changes
//! only at rotation, and a retired one is no longer referenced by any thread).

use std::time::Duration;

use deadpool_postgres::Pool;
use uuid::Uuid;

use super::{CryptoError, DataKey, Kek, MasterKey};
use crate::store::{GenericClient, keks};

/// Opens and makes data keys.
#[derive(Debug, Clone)]
pub struct Keyring {
    master: MasterKey,
    keks: moka::sync::Cache<Uuid, Kek>,
}

/// A new thread's data key and how it is stored.
#[derive(Debug)]
pub struct NewThreadKey {
    /// The key, to seal the first message.
    pub key: DataKey,
    /// The KEK that wraps it.
    pub kek_id: Uuid,
    /// The wrapped key.
    pub wrapped: Vec<u8>,
}

impl Keyring {
    /// A keyring over `master`.
    pub fn new(master: MasterKey) -> Self {
        Self {
            master,
            keks: moka::sync::Cache::builder()
                .max_capacity(64)
                .time_to_live(Duration::from_secs(300))
                .build(),
        }
    }

    /// Seals a small secret (a session's refresh token) under the master key for `aad`.
    pub fn seal_secret(&self, aad: &[u8], secret: &str) -> Result<Vec<u8>, CryptoError> {
        service_kit::seal::seal(self.master.bytes(), aad, secret.as_bytes()).map_err(|source| {
            CryptoError::Refused {
                what: "a session secret",
                source,
            }
        })
    }

    /// Opens a secret sealed by [`Keyring::seal_secret`].
    pub fn open_secret(&self, aad: &[u8], sealed: &[u8]) -> Result<String, CryptoError> {
        let refused = |source| CryptoError::Refused {
            what: "a session secret",
            source,
        };
        let plain = service_kit::seal::unseal(self.master.bytes(), aad, sealed).map_err(refused)?;
        String::from_utf8(plain.to_vec())
            .map_err(|_| refused(service_kit::seal::SealError::Refused))
    }

    /// The master key (rotation seals new KEKs with it).
    pub(super) fn master(&self) -> &MasterKey {
        &self.master
    }

    /// Makes the database's first KEK when it has none (start-up; idempotent, safe on two
    /// nodes starting at once).
    pub async fn ensure_active(&self, pool: &Pool) -> Result<(), CryptoError> {
        let db = pool.get().await.map_err(crate::store::StoreError::from)?;
        if keks::active_for_share(&db).await?.is_some() {
            return Ok(());
        }
        let (kek, sealed) = Kek::generate(&self.master)?;
        if keks::insert_first(&db, kek.id, &sealed).await? {
            tracing::info!(kek = %kek.id, "first key-encryption key made");
        }
        Ok(())
    }

    /// A data key for a new thread, wrapped under the active KEK — which stays locked until
    /// the caller's transaction ends (see `keks::active_for_share`).
    pub async fn new_thread_key(
        &self,
        tx: &impl GenericClient,
        thread: Uuid,
    ) -> Result<NewThreadKey, CryptoError> {
        self.wrap_thread_key(tx, thread, DataKey::generate()?).await
    }

    /// [`Keyring::new_thread_key`] for a data key made earlier (a thread whose files were
    /// sealed before it was written).
    pub async fn wrap_thread_key(
        &self,
        tx: &impl GenericClient,
        thread: Uuid,
        key: DataKey,
    ) -> Result<NewThreadKey, CryptoError> {
        // A rotation committing while this waited for the lock leaves the old KEK `retiring`
        // and the new one outside this statement's snapshot: the next statement sees it.
        let stored = match keks::active_for_share(tx).await? {
            Some(stored) => stored,
            None => keks::active_for_share(tx)
                .await?
                .ok_or(CryptoError::NoActiveKek)?,
        };
        let kek = self.kek(stored)?;
        let wrapped = kek.wrap(thread, &key)?;
        Ok(NewThreadKey {
            key,
            kek_id: kek.id,
            wrapped,
        })
    }

    /// A thread's data key from its stored form.
    pub async fn thread_key(
        &self,
        db: &impl GenericClient,
        thread: Uuid,
        kek_id: Uuid,
        wrapped: &[u8],
    ) -> Result<DataKey, CryptoError> {
        let kek = self.kek_by_id(db, kek_id).await?;
        kek.unwrap_key(thread, wrapped)
    }

    /// An unsealed KEK by id, from the cache or the database.
    pub(super) async fn kek_by_id(
        &self,
        db: &impl GenericClient,
        id: Uuid,
    ) -> Result<Kek, CryptoError> {
        if let Some(kek) = self.keks.get(&id) {
            return Ok(kek);
        }
        let stored = keks::get(db, id).await?.ok_or(CryptoError::KekGone(id))?;
        self.kek(stored)
    }

    fn kek(&self, stored: keks::StoredKek) -> Result<Kek, CryptoError> {
        if let Some(kek) = self.keks.get(&stored.id) {
            return Ok(kek);
        }
        let sealed = stored.sealed.ok_or(CryptoError::KekGone(stored.id))?;
        let kek = Kek::unseal(&self.master, stored.id, &sealed)?;
        self.keks.insert(kek.id, kek.clone());
        Ok(kek)
    }
}
