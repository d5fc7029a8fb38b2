//! Read-through cache on Redis (deadpool-redis): TTL, versioned key namespace, prefix
//! invalidation, hit/miss counts. Any Redis failure degrades to a miss, never to an error.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis::{self, AsyncCommands};
use deadpool_redis::{Config, Pool, Runtime};

use crate::cache::{Cache, CacheStats};

pub struct RedisCache {
    pool: Pool,
    /// Every key starts with this (e.g. `nflp:v1:`): bump the version to invalidate all.
    namespace: String,
    ttl: Duration,
    timeout: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
    up: AtomicBool,
}

impl RedisCache {
    /// `url` carries the password and database number (`redis://:secret@host:6379/3`).
    pub fn new(url: &str, namespace: &str, ttl: Duration) -> crate::Result<Self> {
        let pool = Config::from_url(url)
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|e| crate::Error::Corrupt(format!("invalid REDIS_URL: {e}")))?;
        Ok(Self {
            pool,
            namespace: namespace.to_string(),
            ttl,
            timeout: Duration::from_millis(250),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            up: AtomicBool::new(true),
        })
    }

    fn key(&self, k: &str) -> String {
        format!("{}{k}", self.namespace)
    }

    async fn conn(&self) -> Option<deadpool_redis::Connection> {
        match tokio::time::timeout(self.timeout, self.pool.get()).await {
            Ok(Ok(c)) => Some(c),
            _ => {
                self.mark(false);
                None
            }
        }
    }

    fn mark(&self, up: bool) {
        if self.up.swap(up, Ordering::Relaxed) != up {
            if up {
                tracing::info!("redis cache recovered");
            } else {
                tracing::warn!("redis cache unavailable; serving without cache");
            }
        }
    }

    /// Deletes every key of this namespace; returns how many.
    pub async fn clear(&self) -> crate::Result<u64> {
        let Some(mut c) = self.conn().await else {
            return Ok(0);
        };
        let keys: Vec<String> = scan(&mut c, &format!("{}*", self.namespace))
            .await
            .unwrap_or_default();
        if keys.is_empty() {
            return Ok(0);
        }
        let n: u64 = c
            .del(keys)
            .await
            .map_err(|e| crate::Error::Corrupt(e.to_string()))?;
        Ok(n)
    }
}

async fn scan(
    c: &mut deadpool_redis::Connection,
    pattern: &str,
) -> redis::RedisResult<Vec<String>> {
    let mut cursor: u64 = 0;
    let mut out = Vec::new();
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(500)
            .query_async(c)
            .await?;
        out.extend(keys);
        if next == 0 {
            return Ok(out);
        }
        cursor = next;
    }
}

#[async_trait]
impl Cache for RedisCache {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let hit = match self.conn().await {
            Some(mut c) => {
                match tokio::time::timeout(self.timeout, c.get::<_, Option<Vec<u8>>>(self.key(key)))
                    .await
                {
                    Ok(Ok(v)) => {
                        self.mark(true);
                        v
                    }
                    _ => {
                        self.mark(false);
                        None
                    }
                }
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
        if let Some(mut c) = self.conn().await {
            let secs = self.ttl.as_secs().max(1);
            let r = tokio::time::timeout(
                self.timeout,
                c.set_ex::<_, _, ()>(self.key(key), value, secs),
            )
            .await;
            self.mark(matches!(r, Ok(Ok(()))));
        }
    }

    async fn invalidate_prefix(&self, prefix: &str) {
        if let Some(mut c) = self.conn().await {
            if let Ok(keys) = scan(&mut c, &format!("{}*", self.key(prefix))).await {
                if !keys.is_empty() {
                    let _: redis::RedisResult<u64> = c.del(keys).await;
                }
            }
        }
    }

    async fn healthy(&self) -> bool {
        let ok = match self.conn().await {
            Some(mut c) => matches!(
                tokio::time::timeout(
                    self.timeout,
                    redis::cmd("PING").query_async::<String>(&mut c)
                )
                .await,
                Ok(Ok(_))
            ),
            None => false,
        };
        self.mark(ok);
        ok
    }

    fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}
