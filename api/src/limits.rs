//! Rate limits per API key and per client IP. With Redis the limit is the fleet's: one atomic
//! GCRA step in Redis per request ([`store::RedisRateLimiter`]), so N replicas together allow
//! exactly the configured rate. Without Redis, or while it does not answer, each instance
//! limits on its own (a `governor` keyed GCRA in memory): the limit never lifts, it only
//! becomes per instance, and `/health` and `nflp_rate_limiter_fleet_up` say so.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::metrics::Metrics;

/// Who a rate limit applies to.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Client {
    Ip(std::net::IpAddr),
    /// An API key, by id.
    Key(String),
    Unknown,
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Client::Ip(ip) => write!(f, "ip:{ip}"),
            Client::Key(id) => write!(f, "key:{id}"),
            Client::Unknown => f.write_str("unknown"),
        }
    }
}

/// The fleet side of a limiter: Redis, and whether it answered last time.
struct Fleet {
    redis: Arc<store::RedisRateLimiter>,
    up: AtomicBool,
    metrics: Arc<Metrics>,
}

/// One limit (`per_second`, bursts of `burst`) applied to every client separately;
/// `per_second == 0` lifts it.
pub struct Limiter {
    /// Names the limit's buckets in Redis (`api`, `admin`).
    scope: &'static str,
    per_second: f64,
    burst: f64,
    local: Option<DefaultKeyedRateLimiter<Client>>,
    fleet: Option<Fleet>,
}

/// How a limiter limits now (for `/health`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Off,
    /// Per instance, by design (no Redis).
    Local,
    /// Fleet-wide through Redis.
    Fleet,
    /// Per instance because Redis does not answer.
    Fallback,
}

/// Seconds a refused client is told to wait (at least 1, as `Retry-After` counts seconds).
fn retry_after(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

impl Limiter {
    pub fn new(scope: &'static str, per_second: f64, burst: f64) -> Self {
        let burst = burst.max(1.0);
        let local = (per_second > 0.0).then(|| {
            let quota = Quota::with_period(Duration::from_secs_f64(1.0 / per_second))
                .expect("a positive rate has a positive period")
                .allow_burst(
                    NonZeroU32::new(burst.min(f64::from(u32::MAX)) as u32)
                        .unwrap_or(NonZeroU32::MIN),
                );
            RateLimiter::keyed(quota)
        });
        Self {
            scope,
            per_second,
            burst,
            local,
            fleet: None,
        }
    }

    /// Limits fleet-wide through `redis`, falling back to this instance's own limit while it
    /// does not answer.
    pub fn with_fleet(
        mut self,
        redis: Arc<store::RedisRateLimiter>,
        metrics: Arc<Metrics>,
    ) -> Self {
        metrics.set_rate_limiter_fleet_up(true);
        self.fleet = Some(Fleet {
            redis,
            up: AtomicBool::new(true),
            metrics,
        });
        self
    }

    /// Whether a limit applies at all.
    pub fn limits(&self) -> bool {
        self.per_second > 0.0
    }

    pub fn mode(&self) -> Mode {
        match (&self.local, &self.fleet) {
            (None, _) => Mode::Off,
            (Some(_), None) => Mode::Local,
            (Some(_), Some(f)) if f.up.load(Ordering::Relaxed) => Mode::Fleet,
            (Some(_), Some(_)) => Mode::Fallback,
        }
    }

    /// Takes one request from `client`'s allowance, or says how many seconds until there is one.
    pub async fn check(&self, client: &Client) -> Result<(), u64> {
        let Some(local) = &self.local else {
            return Ok(());
        };
        if let Some(f) = &self.fleet {
            let bucket = format!("{}:{client}", self.scope);
            match f.redis.check(&bucket, self.per_second, self.burst).await {
                Ok(verdict) => {
                    if !f.up.swap(true, Ordering::Relaxed) {
                        tracing::info!(scope = self.scope, "rate limits are fleet-wide again");
                        f.metrics.set_rate_limiter_fleet_up(true);
                    }
                    return verdict.map_or(Ok(()), |wait| Err(retry_after(wait)));
                }
                Err(e) => {
                    if f.up.swap(false, Ordering::Relaxed) {
                        tracing::warn!(scope = self.scope, error = %e, "Redis does not answer: rate limits are per instance until it does");
                        f.metrics.set_rate_limiter_fleet_up(false);
                    }
                }
            }
        }
        if local.len() > 100_000 {
            // Bound memory: forget clients whose allowance has refilled.
            local.retain_recent();
        }
        local.check_key(client).map_err(|not_until| {
            retry_after(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_client_gets_its_burst_then_a_retry_time_and_others_are_not_affected() {
        let r = Limiter::new("api", 2.0, 3.0);
        let a = Client::Key("a".into());
        for _ in 0..3 {
            assert!(r.check(&a).await.is_ok());
        }
        assert_eq!(
            r.check(&a).await,
            Err(1),
            "the fourth waits for the next half second"
        );
        assert!(r.check(&Client::Key("b".into())).await.is_ok());
        assert_eq!(r.mode(), Mode::Local);
    }

    #[tokio::test]
    async fn a_rate_of_zero_lifts_the_limit() {
        let r = Limiter::new("api", 0.0, 1.0);
        for _ in 0..100 {
            assert!(r.check(&Client::Unknown).await.is_ok());
        }
        assert_eq!(r.mode(), Mode::Off);
        assert!(!r.limits());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        for (ms, secs) in [(1, 1), (999, 1), (1000, 1), (1001, 2), (2500, 3)] {
            assert_eq!(retry_after(Duration::from_millis(ms)), secs, "{ms} ms");
        }
    }
}
