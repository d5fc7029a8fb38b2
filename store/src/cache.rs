//! Response cache: an in-memory TTL cache for the embedded default (Redis comes with the
//! production backends, with this one as its near tier). Keys are versioned so a bump
//! invalidates everything at once. Values are [`Bytes`], so a hit hands out the stored body
//! without copying it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
pub use bytes::Bytes;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Hits answered from process memory (all of them for the in-memory cache).
    pub memory_hits: u64,
    /// For a cache with a near tier: whether it is answering now.
    pub near_tier_up: Option<bool>,
}

#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// Backend name for health reports.
    fn name(&self) -> &'static str;
    async fn get(&self, key: &str) -> Option<Bytes>;
    async fn put(&self, key: &str, value: Bytes);
    /// Drops every key starting with `prefix`.
    async fn invalidate_prefix(&self, prefix: &str);
    async fn healthy(&self) -> bool;
    fn stats(&self) -> CacheStats;
    /// Claims `key` for `ttl` if nobody holds it: `true` for the one caller (of the whole
    /// fleet, with Redis) that gets it. Single-flight for expensive results: the claimer
    /// computes and puts, the others wait for the value. A cache that cannot answer says
    /// `true` (compute here rather than wait on nothing).
    async fn claim(&self, key: &str, ttl: Duration) -> bool;
    /// Gives up a claim made with [`Cache::claim`] (its work failed): the next claimer gets it.
    async fn release(&self, key: &str);
}

/// Bounded in-process cache with a time-to-live, limited both in entries and in bytes, on
/// [`moka`] (concurrent, sharded; no global lock on reads). Moka keeps one weighted budget:
/// an entry weighs its size in bytes, but never less than an equal share of the budget
/// (`max_bytes / capacity`), so the byte budget also bounds the number of entries. Eviction
/// is least recently used (a new entry is always admitted, as a response cache wants).
pub struct MemoryCache {
    entries: moka::sync::Cache<String, Bytes>,
    max_bytes: usize,
    /// Claimed keys and when each claim lapses.
    claims: Mutex<HashMap<String, Instant>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// The byte budget of a [`MemoryCache`] made with [`MemoryCache::new`].
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

impl MemoryCache {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self::with_byte_limit(ttl, capacity, DEFAULT_CACHE_BYTES)
    }

    /// At most `capacity` entries and `max_bytes` of values; past either, the least recently
    /// used entries go.
    pub fn with_byte_limit(ttl: Duration, capacity: usize, max_bytes: usize) -> Self {
        let max_bytes = max_bytes.max(1);
        let floor = (max_bytes / capacity.max(1)).max(1);
        let entries = moka::sync::Cache::builder()
            .max_capacity(max_bytes as u64)
            .weigher(move |_: &String, v: &Bytes| {
                u32::try_from(v.len().max(floor)).unwrap_or(u32::MAX)
            })
            .time_to_live(ttl)
            .eviction_policy(moka::policy::EvictionPolicy::lru())
            .build();
        Self {
            entries,
            max_bytes,
            claims: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The entry under `key` if it is still fresh, without counting a hit or a miss.
    pub fn peek(&self, key: &str) -> Option<Bytes> {
        self.entries.get(key)
    }

    /// Stores `value` (nothing if it alone exceeds the byte budget).
    pub fn insert(&self, key: &str, value: Bytes) {
        if value.len() > self.max_bytes {
            return;
        }
        self.entries.insert(key.to_string(), value);
    }

    /// Drops every entry whose key starts with `prefix`.
    pub fn remove_prefix(&self, prefix: &str) {
        let doomed: Vec<std::sync::Arc<String>> = self
            .entries
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k)
            .collect();
        for k in doomed {
            self.entries.invalidate(k.as_str());
        }
    }

    /// Drops everything.
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    /// Entries and bytes held (after the cache's pending evictions).
    pub fn size(&self) -> (usize, usize) {
        self.entries.run_pending_tasks();
        let bytes = self.entries.iter().map(|(_, v)| v.len()).sum();
        (self.entries.entry_count() as usize, bytes)
    }
}

#[async_trait]
impl Cache for MemoryCache {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn get(&self, key: &str) -> Option<Bytes> {
        let hit = self.peek(key);
        let counter = if hit.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    async fn put(&self, key: &str, value: Bytes) {
        self.insert(key, value);
    }

    async fn invalidate_prefix(&self, prefix: &str) {
        self.remove_prefix(prefix);
    }

    async fn healthy(&self) -> bool {
        true
    }

    async fn claim(&self, key: &str, ttl: Duration) -> bool {
        let now = Instant::now();
        let mut claims = self.claims.lock().expect("claims lock poisoned");
        claims.retain(|_, until| *until > now);
        if claims.contains_key(key) {
            return false;
        }
        claims.insert(key.to_string(), now + ttl);
        true
    }

    async fn release(&self, key: &str) {
        self.claims
            .lock()
            .expect("claims lock poisoned")
            .remove(key);
    }

    fn stats(&self) -> CacheStats {
        let hits = self.hits.load(Ordering::Relaxed);
        CacheStats {
            hits,
            misses: self.misses.load(Ordering::Relaxed),
            memory_hits: hits,
            near_tier_up: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_expire_after_their_ttl_and_count_hits_and_misses() {
        let c = MemoryCache::new(Duration::from_millis(50), 10);
        c.put("a", Bytes::from_static(b"1")).await;
        assert_eq!(c.get("a").await.as_deref(), Some(&b"1"[..]));
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(c.get("a").await, None);
        assert_eq!(
            c.stats(),
            CacheStats {
                hits: 1,
                misses: 1,
                memory_hits: 1,
                near_tier_up: None
            }
        );
    }

    #[tokio::test]
    async fn a_claim_is_won_once_until_it_lapses() {
        let c = MemoryCache::new(Duration::from_secs(60), 10);
        let ttl = Duration::from_millis(50);
        assert!(c.claim("odds", ttl).await);
        assert!(!c.claim("odds", ttl).await);
        assert!(c.claim("other", ttl).await);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(c.claim("odds", ttl).await);
        c.release("odds").await;
        assert!(
            c.claim("odds", ttl).await,
            "a released claim is free at once"
        );
    }

    #[tokio::test]
    async fn invalidating_a_prefix_leaves_other_keys() {
        let c = MemoryCache::new(Duration::from_secs(60), 10);
        c.put("v1:game:KC", Bytes::from_static(&[1])).await;
        c.put("v1:team:KC", Bytes::from_static(&[2])).await;
        c.invalidate_prefix("v1:game:").await;
        assert_eq!(c.get("v1:game:KC").await, None);
        assert_eq!(c.get("v1:team:KC").await, Some(Bytes::from_static(&[2])));
    }

    #[tokio::test]
    async fn a_full_cache_stays_within_its_byte_budget_and_keeps_the_newest_entry() {
        let c = MemoryCache::with_byte_limit(Duration::from_secs(60), 1000, 10_000);
        for i in 0..50 {
            c.put(&format!("k{i}"), Bytes::from(vec![0u8; 1_000])).await;
            let (_, bytes) = c.size();
            assert!(bytes <= 10_000, "{bytes} bytes held after {i} puts");
        }
        assert_eq!(c.get("k49").await.map(|b| b.len()), Some(1_000));
        let (n, bytes) = c.size();
        assert_eq!(bytes, n * 1_000, "the byte count matches the entries");
    }

    #[tokio::test]
    async fn a_full_cache_stays_within_its_entry_limit() {
        let c = MemoryCache::with_byte_limit(Duration::from_secs(60), 8, 1 << 20);
        for i in 0..100 {
            c.put(&format!("k{i}"), Bytes::from_static(b"x")).await;
            assert!(c.size().0 <= 8);
        }
        assert!(c.get("k99").await.is_some());
    }

    #[tokio::test]
    async fn a_value_larger_than_the_budget_is_not_kept_and_replacing_a_key_counts_once() {
        let c = MemoryCache::with_byte_limit(Duration::from_secs(60), 10, 100);
        c.put("big", Bytes::from(vec![0u8; 101])).await;
        assert_eq!(c.get("big").await, None);
        c.put("a", Bytes::from(vec![0u8; 60])).await;
        c.put("a", Bytes::from(vec![0u8; 60])).await;
        assert_eq!(c.size(), (1, 60));
    }
}
