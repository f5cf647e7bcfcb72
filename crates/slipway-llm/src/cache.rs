//! The response cache: in memory, least-recently-used eviction at a fixed number of entries, one hour to live.
//! Keys are SHA-256 over the user, the provider, base URL, model, messages, tools, tool choice and effective
//! sampling parameters, so an answer is reused only for the very same user asking the very same question of the
//! very same model.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use hashlink::LruCache;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::provider::ProviderConfig;
use crate::types::{ChatRequest, ChatResponse};

/// Lookups of the response cache since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Calls answered from the cache.
    pub hits: u64,
    /// Calls that looked and found nothing.
    pub misses: u64,
}

impl CacheStats {
    /// Hits as a percentage of lookups; 0 when there were none.
    pub fn hit_rate(&self) -> f64 {
        let lookups = self.hits + self.misses;
        if lookups == 0 { 0.0 } else { self.hits as f64 * 100.0 / lookups as f64 }
    }
}

/// A cache key.
pub(crate) type Key = [u8; 32];

struct Entry {
    response: ChatResponse,
    expires: Instant,
}

/// A bounded, expiring map of answers. Capacity 0 switches it off.
pub(crate) struct ResponseCache {
    entries: Option<Mutex<LruCache<Key, Entry>>>,
    ttl: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl ResponseCache {
    /// A cache of at most `capacity` answers, each kept for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: (capacity > 0).then(|| Mutex::new(LruCache::new(capacity))),
            ttl,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Whether the cache is on.
    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The live answer under the first of `keys` that has one (not counted: see [`Self::count`]).
    pub fn get(&self, keys: &[Key]) -> Option<ChatResponse> {
        let entries = self.entries.as_ref()?;
        let mut map = entries.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        for key in keys {
            match map.get(key) {
                Some(e) if e.expires > now => return Some(e.response.clone()),
                Some(_) => {
                    map.remove(key);
                }
                None => {}
            }
        }
        None
    }

    /// Counts one lookup of a call as a hit or a miss.
    pub fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Keeps `response` under `key`, evicting the least recently used answer when full.
    pub fn put(&self, key: Key, response: ChatResponse) {
        let Some(entries) = &self.entries else { return };
        let entry = Entry { response, expires: Instant::now() + self.ttl };
        entries.lock().unwrap_or_else(PoisonError::into_inner).insert(key, entry);
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats { hits: self.hits.load(Ordering::Relaxed), misses: self.misses.load(Ordering::Relaxed) }
    }

    /// Answers held now (expired ones included until they are looked up or evicted).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, |m| m.lock().unwrap_or_else(PoisonError::into_inner).len())
    }
}

/// The digest of the question: messages, tools and the request's own sampling parameters.
pub(crate) fn question_digest(request: &ChatRequest) -> Key {
    let mut h = Sha256::new();
    // Serializing plain data into a Vec cannot fail; an empty digest input would only make a useless key.
    h.update(serde_json::to_vec(request).unwrap_or_default());
    h.finalize().into()
}

/// The key of user `user`'s question for one link: who asks, who is asked (provider, base URL, model,
/// effective parameters).
pub(crate) fn key_for(user: i64, link: &ProviderConfig, request: &ChatRequest, question: &Key) -> Key {
    let params = link.params.under(request);
    let mut h = Sha256::new();
    h.update(user.to_le_bytes());
    for part in [link.provider.name(), link.base_url.as_str(), link.model.as_str()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(serde_json::to_vec(&params).unwrap_or_default());
    h.update(question);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Message, Usage};

    fn answer(text: &str) -> ChatResponse {
        ChatResponse {
            content: text.into(),
            tool_calls: vec![],
            finish_reason: Some("stop".into()),
            usage: Usage::default(),
            provider: "deepseek".into(),
            model: "deepseek-chat".into(),
            cached: false,
            latency_ms: 3,
        }
    }

    #[test]
    fn least_recently_used_answers_go_first() {
        let c = ResponseCache::new(2, Duration::from_secs(60));
        c.put([1; 32], answer("one"));
        c.put([2; 32], answer("two"));
        assert!(c.get(&[[1; 32]]).is_some(), "touch one");
        c.put([3; 32], answer("three"));
        assert_eq!(c.len(), 2);
        assert!(c.get(&[[2; 32]]).is_none(), "two was the least recently used");
        assert_eq!(c.get(&[[9; 32], [3; 32]]).unwrap().content, "three");
    }

    #[test]
    fn answers_expire_and_a_zero_capacity_cache_is_off() {
        let c = ResponseCache::new(4, Duration::ZERO);
        c.put([1; 32], answer("one"));
        assert!(c.get(&[[1; 32]]).is_none());
        let off = ResponseCache::new(0, Duration::from_secs(60));
        off.put([1; 32], answer("one"));
        assert!(!off.enabled() && off.get(&[[1; 32]]).is_none());
    }

    #[test]
    fn hit_rate_is_a_percentage() {
        assert_eq!(CacheStats::default().hit_rate(), 0.0);
        assert_eq!(CacheStats { hits: 1, misses: 3 }.hit_rate(), 25.0);
    }

    #[test]
    fn keys_differ_by_model_parameters_and_question() {
        let link = ProviderConfig::new("deepseek", None, None, Some("k")).unwrap();
        let q = ChatRequest { messages: vec![Message::user("hi")], ..ChatRequest::default() };
        let d = question_digest(&q);
        let base = key_for(1, &link, &q, &d);
        assert_eq!(base, key_for(1, &link, &q, &question_digest(&q.clone())));
        assert_ne!(base, key_for(2, &link, &q, &d), "another user");
        let other_model = ProviderConfig { model: "deepseek-reasoner".into(), ..link.clone() };
        assert_ne!(base, key_for(1, &other_model, &q, &d));
        let hot = ChatRequest { temperature: Some(1.5), ..q.clone() };
        assert_ne!(base, key_for(1, &link, &hot, &question_digest(&hot)));
        let other_q = ChatRequest { messages: vec![Message::user("hello")], ..ChatRequest::default() };
        assert_ne!(base, key_for(1, &link, &other_q, &question_digest(&other_q)));
    }
}
