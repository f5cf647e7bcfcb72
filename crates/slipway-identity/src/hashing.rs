//! argon2id password hashing off the async runtime, bounded so logins cannot starve other requests or
//! exhaust memory, with a dummy hash so an unknown user costs the same time as a wrong password.
//!
//! Each hash needs 19 MiB of working memory. Allocating and freeing it per hash on the blocking pool leaves
//! most of it resident in per-thread allocator arenas (hundreds of MiB under a login flood), so the buffers
//! are pooled while hashes follow each other: at most one per concurrent hash, reused for every hash after,
//! released after `IDLE_RELEASE` (10 s) without a hash. A lone hash (the first after an idle spell, such as the
//! bootstrap administrator's on a node's very first start) pools nothing: its buffer is freed as soon as the
//! hash is done. Being the process' first allocation of that size, it is above glibc's mmap threshold, a
//! mapping of its own that goes straight back to the system: no 19 MiB held for 10 s on an otherwise idle node.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use slipway_core::Error;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::phc::Phc;

/// The hash every unknown user is checked against: only its parameters matter, since checking it costs one
/// full hash and the answer is "no" whatever the password.
const DUMMY: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2xpcHdheS1kdW1teS1zYWx0$ZHVtbXkgaGFzaCBmb3IgdW5rbm93biB1c2Vycy4uLi4";
const SALT_LEN: usize = 16;
/// Pooled buffers are released after this long without a hash, so an idle node gives the memory back.
const IDLE_RELEASE: Duration = Duration::from_secs(10);
const HASH_LEN: usize = 32;

/// Hashes and verifies passwords off the async runtime.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
    hashes: Arc<AtomicU64>,
    /// A hash ran within [`IDLE_RELEASE`], so the next one's buffer is worth keeping.
    warm: Arc<AtomicBool>,
    idle_release: Duration,
}

/// How many hashes may run at once: half the cores, so hashing never takes the whole machine.
pub fn default_concurrency() -> usize {
    (std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get) / 2).max(1)
}

fn params(m: u32, t: u32, p: u32) -> Result<Params, Error> {
    Params::new(m, t, p, Some(HASH_LEN)).map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))
}

impl Hasher {
    /// A hasher that runs at most `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            buffers: Arc::default(),
            hashes: Arc::default(),
            warm: Arc::default(),
            idle_release: IDLE_RELEASE,
        }
    }

    /// Computes argon2id of `password` with `salt` and `params` on the blocking pool, in a pooled buffer; the
    /// buffer goes back to the pool unless this is a lone hash.
    async fn compute(&self, password: &str, salt: Vec<u8>, params: Params) -> Result<Vec<u8>, Error> {
        let _permit =
            self.permits.acquire().await.map_err(|_| Error::Internal("password hasher is shut down".into()))?;
        let password = password.as_bytes().to_vec();
        let buffers = Arc::clone(&self.buffers);
        let keep = self.warm.swap(true, Ordering::Relaxed);
        let result = tokio::task::spawn_blocking(move || {
            let blocks_needed = params.block_count();
            let pooled = buffers.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let mut blocks =
                pooled.filter(|b| b.len() == blocks_needed).unwrap_or_else(|| vec![Block::default(); blocks_needed]);
            let mut out = vec![0u8; HASH_LEN];
            let result = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password_into_with_memory(&password, &salt, &mut out, &mut blocks)
                .map(|()| out)
                .map_err(|e| Error::Internal(format!("password hashing failed: {e}")));
            if keep {
                buffers.lock().unwrap_or_else(PoisonError::into_inner).push(blocks);
            }
            result
        })
        .await
        .map_err(|e| Error::Internal(format!("hashing task failed: {e}")))?;
        self.release_when_idle();
        result
    }

    /// Drops the pooled buffers if no other hash ends within [`IDLE_RELEASE`]; the next hash is a lone one.
    fn release_when_idle(&self) {
        let seen = self.hashes.fetch_add(1, Ordering::Relaxed) + 1;
        let (hashes, buffers, warm) = (Arc::clone(&self.hashes), Arc::clone(&self.buffers), Arc::clone(&self.warm));
        let idle = self.idle_release;
        tokio::spawn(async move {
            tokio::time::sleep(idle).await;
            if hashes.load(Ordering::Relaxed) == seen {
                warm.store(false, Ordering::Relaxed);
                buffers.lock().unwrap_or_else(PoisonError::into_inner).clear();
            }
        });
    }

    /// The argon2id PHC string of a password (19 MiB, 2 iterations, 1 lane: the OWASP recommendation).
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let mut salt = vec![0u8; SALT_LEN];
        rand::rng().fill_bytes(&mut salt);
        let (m, t, p) = (Params::DEFAULT_M_COST, Params::DEFAULT_T_COST, Params::DEFAULT_P_COST);
        let hash = self.compute(password, salt.clone(), params(m, t, p)?).await?;
        Ok(Phc { m, t, p, salt, hash }.format())
    }

    /// Whether `password` matches `phc`; with `None` it checks against a dummy hash and returns `false`, taking
    /// the same time as a real check.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool, Error> {
        let real = phc.is_some();
        let Some(stored) = Phc::parse(phc.unwrap_or(DUMMY)) else {
            return Err(Error::Internal("stored password hash is not an argon2id PHC string".into()));
        };
        let computed = self.compute(password, stored.salt.clone(), params(stored.m, stored.t, stored.p)?).await?;
        Ok(real && bool::from(computed.as_slice().ct_eq(&stored.hash)))
    }
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::phc::PasswordHash;
    use argon2::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_the_dummy_never_matches() {
        let h = Hasher::new(2);
        let phc = h.hash("Admin123!").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(h.verify("Admin123!", Some(&phc)).await.unwrap());
        assert!(!h.verify("admin123!", Some(&phc)).await.unwrap());
        assert!(!h.verify("anything", None).await.unwrap());
        assert!(h.verify("x", Some("not a phc string")).await.is_err());
        assert_ne!(h.hash("Admin123!").await.unwrap(), phc, "every hash has its own salt");
        assert_eq!(h.buffers.lock().unwrap().len(), 1, "one buffer, reused");
    }

    #[tokio::test]
    async fn hashes_interoperate_with_the_argon2_crate() {
        let h = Hasher::new(1);
        let ours = h.hash("Secret123!").await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"Secret123!", &parsed).is_ok(), "the crate accepts our hashes");
        let theirs = Argon2::default().hash_password(b"Secret123!").unwrap().to_string();
        assert!(h.verify("Secret123!", Some(&theirs)).await.unwrap(), "we accept the crate's hashes");
    }

    #[tokio::test]
    async fn lone_hashes_keep_nothing_and_idle_buffers_are_released() {
        let h = Hasher { idle_release: Duration::from_millis(300), ..Hasher::new(1) };
        h.hash("a").await.unwrap();
        assert_eq!(h.buffers.lock().unwrap().len(), 0, "a lone hash frees its buffer at once");
        h.hash("b").await.unwrap();
        assert_eq!(h.buffers.lock().unwrap().len(), 1, "kept while hashes follow each other");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(h.buffers.lock().unwrap().len(), 0, "released once idle");
        h.hash("c").await.unwrap();
        assert_eq!(h.buffers.lock().unwrap().len(), 0, "the first hash after an idle spell is a lone one again");
        h.hash("d").await.unwrap();
        assert_eq!(h.buffers.lock().unwrap().len(), 1);
    }

    #[test]
    fn the_dummy_has_the_default_cost() {
        let d = Phc::parse(DUMMY).unwrap();
        assert_eq!((d.m, d.t, d.p), (Params::DEFAULT_M_COST, Params::DEFAULT_T_COST, Params::DEFAULT_P_COST));
    }
}
