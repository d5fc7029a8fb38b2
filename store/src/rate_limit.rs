//! A fleet-wide rate limit: GCRA (the generic cell rate algorithm) in one Lua script on Redis,
//! so every instance draws from the same allowance and N replicas together allow exactly the
//! configured rate. One round trip per check; Redis's clock, so instances' clocks do not matter.

use std::time::Duration;

use deadpool_redis::redis;
use deadpool_redis::{Config, Pool, Runtime};

/// `KEYS[1]` the bucket, `ARGV[1]` the emission interval (µs between requests at the rate),
/// `ARGV[2]` the burst tolerance (µs; `(burst - 1) × interval`). Returns 0 when the request
/// is allowed, else the µs until it would be.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then return allow_at - now end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return 0
";

pub struct RedisRateLimiter {
    pool: Pool,
    namespace: String,
    timeout: Duration,
}

impl RedisRateLimiter {
    /// `url` carries the password and database number (`redis://:secret@host:6379/3`).
    pub fn new(url: &str, namespace: &str) -> crate::Result<Self> {
        let pool = Config::from_url(url)
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|e| crate::Error::Corrupt(format!("invalid REDIS_URL: {e}")))?;
        Ok(Self {
            pool,
            namespace: namespace.to_string(),
            timeout: Duration::from_millis(100),
        })
    }

    /// Takes one request from `bucket`'s allowance of `per_second` (bursts of `burst`):
    /// `Ok(None)` when allowed, `Ok(Some(wait))` when refused, `Err` when Redis did not answer
    /// within 100 ms (the caller limits on its own meanwhile).
    pub async fn check(
        &self,
        bucket: &str,
        per_second: f64,
        burst: f64,
    ) -> crate::Result<Option<Duration>> {
        let interval = (1_000_000.0 / per_second).round().max(1.0) as u64;
        let tolerance = interval.saturating_mul(burst.max(1.0) as u64 - 1);
        let mut key = String::with_capacity(self.namespace.len() + 3 + bucket.len());
        key.push_str(&self.namespace);
        key.push_str("rl:");
        key.push_str(bucket);
        let run = async {
            let mut c = self
                .pool
                .get()
                .await
                .map_err(|e| crate::Error::Unavailable(format!("no Redis connection: {e}")))?;
            // EVAL with the script's text: the script is small, and a Redis that restarted
            // (or a new one) needs no loading step.
            let wait: u64 = redis::cmd("EVAL")
                .arg(GCRA)
                .arg(1)
                .arg(&key)
                .arg(interval)
                .arg(tolerance)
                .query_async(&mut *c)
                .await
                .map_err(|e| {
                    crate::Error::Unavailable(format!("Redis refused the rate limit: {e}"))
                })?;
            Ok::<_, crate::Error>(wait)
        };
        match tokio::time::timeout(self.timeout, run).await {
            Ok(Ok(0)) => Ok(None),
            Ok(Ok(us)) => Ok(Some(Duration::from_micros(us))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(crate::Error::Unavailable(
                "Redis did not answer the rate limit in time".into(),
            )),
        }
    }
}
