//! A fleet-wide rate limit: GCRA (the generic cell rate algorithm) in one Lua script on Redis,
//! so every instance draws from the same allowance and N replicas together allow exactly the
//! configured rate. One round trip per check; Redis's clock, so instances' clocks do not matter.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

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
    /// One multiplexed connection: concurrent checks are pipelined on it (no pool to wait
    /// for, fewer reads and writes on both sides), and it reconnects on its own.
    conn: ConnectionManager,
    /// EVALSHA of the script, loading it first where Redis does not know it (a restart).
    script: Script,
    namespace: String,
    timeout: Duration,
}

impl RedisRateLimiter {
    /// `url` carries the password and database number (`redis://:secret@host:6379/3`).
    /// Connects on the first check, so a Redis that is down at startup only means per-instance
    /// limits until it answers. Must be called within a Tokio runtime.
    pub fn new(url: &str, namespace: &str) -> crate::Result<Self> {
        let timeout = Duration::from_millis(100);
        let client = redis::Client::open(url)
            .map_err(|e| crate::Error::Corrupt(format!("invalid REDIS_URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(|e| {
            crate::Error::Unavailable(format!("Failed to set up the Redis connection: {e}"))
        })?;
        Ok(Self {
            conn,
            script: Script::new(GCRA),
            namespace: namespace.to_string(),
            timeout,
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
        let mut conn = self.conn.clone();
        let mut invocation = self.script.key(&key);
        invocation.arg(interval).arg(tolerance);
        let run = invocation.invoke_async::<u64>(&mut conn);
        match tokio::time::timeout(self.timeout, run).await {
            Ok(Ok(0)) => Ok(None),
            Ok(Ok(us)) => Ok(Some(Duration::from_micros(us))),
            Ok(Err(e)) => Err(crate::Error::Unavailable(format!(
                "Redis refused the rate limit: {e}"
            ))),
            Err(_) => Err(crate::Error::Unavailable(
                "Redis did not answer the rate limit in time".into(),
            )),
        }
    }
}
