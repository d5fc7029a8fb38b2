//! Response cache: an in-memory TTL cache for the embedded default (Redis comes with the
//! production backends). Keys are versioned so a bump invalidates everything at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// Backend name for health reports.
    fn name(&self) -> &'static str;
    async fn get(&self, key: &str) -> Option<Vec<u8>>;
    async fn put(&self, key: &str, value: Vec<u8>);
    /// Drops every key starting with `prefix`.
    async fn invalidate_prefix(&self, prefix: &str);
    async fn healthy(&self) -> bool;
    fn stats(&self) -> CacheStats;
}

/// Bounded in-process cache with a time-to-live.
pub struct MemoryCache {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<String, (Instant, Vec<u8>)>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl MemoryCache {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }
}

#[async_trait]
impl Cache for MemoryCache {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let mut map = self.entries.lock().expect("cache lock poisoned");
        let hit = match map.get(key) {
            Some((at, v)) if at.elapsed() < self.ttl => Some(v.clone()),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        };
        let counter = if hit.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    async fn put(&self, key: &str, value: Vec<u8>) {
        let mut map = self.entries.lock().expect("cache lock poisoned");
        if map.len() >= self.capacity && !map.contains_key(key) {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(key.to_string(), (Instant::now(), value));
    }

    async fn invalidate_prefix(&self, prefix: &str) {
        self.entries
            .lock()
            .expect("cache lock poisoned")
            .retain(|k, _| !k.starts_with(prefix));
    }

    async fn healthy(&self) -> bool {
        true
    }

    fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_expire_after_their_ttl_and_count_hits_and_misses() {
        let c = MemoryCache::new(Duration::from_millis(50), 10);
        c.put("a", b"1".to_vec()).await;
        assert_eq!(c.get("a").await.as_deref(), Some(&b"1"[..]));
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(c.get("a").await, None);
        assert_eq!(c.stats(), CacheStats { hits: 1, misses: 1 });
    }

    #[tokio::test]
    async fn invalidating_a_prefix_leaves_other_keys() {
        let c = MemoryCache::new(Duration::from_secs(60), 10);
        c.put("v1:game:KC", vec![1]).await;
        c.put("v1:team:KC", vec![2]).await;
        c.invalidate_prefix("v1:game:").await;
        assert_eq!(c.get("v1:game:KC").await, None);
        assert_eq!(c.get("v1:team:KC").await, Some(vec![2]));
    }
}
