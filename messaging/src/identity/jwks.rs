//! The idp's key set, cached: kept `jwks_cache_secs`, and fetched again early when a token
//! names a `kid` the set lacks (a rotation) — at most once per `jwks_refetch_floor_secs`, so a
//! flood of tokens with made-up `kid`s cannot turn into a flood of fetches.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::JsonWebKey as _;
use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet};

use super::idp::{Idp, IdpError};

#[derive(Debug, Default)]
struct State {
    keys: Option<CoreJsonWebKeySet>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
}

/// The cached key set.
#[derive(Debug)]
pub struct KeySet {
    state: Mutex<State>,
    max_age: Duration,
    floor: Duration,
}

impl KeySet {
    /// An empty cache.
    pub fn new(max_age: Duration, floor: Duration) -> Self {
        Self {
            state: Mutex::default(),
            max_age,
            floor,
        }
    }

    /// The key with this `kid`, fetching the set when it is stale or lacks the kid (within the
    /// floor). `Ok(None)`: no such key.
    pub async fn key(&self, idp: &Idp, kid: &str) -> Result<Option<CoreJsonWebKey>, IdpError> {
        let fetch = {
            let mut state = self.lock();
            let fresh = state
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.max_age);
            let found = state.keys.as_ref().and_then(|keys| find(keys, kid));
            if fresh && found.is_some() {
                return Ok(found);
            }
            let may_fetch = state
                .attempted_at
                .is_none_or(|at| at.elapsed() >= self.floor);
            if !may_fetch {
                return Ok(found);
            }
            // Claimed under the same lock: of a burst of unknown kids, one fetches.
            state.attempted_at = Some(Instant::now());
            true
        };
        if fetch {
            let url = idp.endpoints().await?.jwks_uri.clone();
            let keys: CoreJsonWebKeySet = idp.get_json(&url, None).await?;
            let found = find(&keys, kid);
            let mut state = self.lock();
            state.keys = Some(keys);
            state.fetched_at = Some(Instant::now());
            return Ok(found);
        }
        Ok(None)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state half-written (plain fields).
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn find(keys: &CoreJsonWebKeySet, kid: &str) -> Option<CoreJsonWebKey> {
    keys.keys()
        .iter()
        .find(|k| k.key_id().is_some_and(|id| id.as_str() == kid))
        .cloned()
}
