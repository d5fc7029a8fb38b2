//! Persistence: the embedded SQLite store (through sqlx) that keeps the in-process graph, and
//! the response cache.

pub mod cache;
pub mod embedded;
pub mod error;
pub mod ingest_log;
pub mod keys;
pub mod notify;
pub mod odds_log;
pub mod postgres;
pub mod rate_limit;
pub mod redis_cache;
pub mod series;

pub use cache::{Cache, CacheStats, MemoryCache};
pub use embedded::{EdgeWrite, NodeWrite, SqliteStore, WriteBatch, WriteStats};
pub use error::{Error, Result};
pub use ingest_log::{IngestLog, IngestRun};
pub use keys::{KeyRecord, KeyStore};
pub use notify::RedisNotifier;
pub use odds_log::{OddsLog, OddsRunRecord};
pub use postgres::{PgSettings, PgStore};
pub use rate_limit::RedisRateLimiter;
pub use redis_cache::RedisCache;
pub use series::{PredictionPoint, RatingPoint, RequestMetric, Series};
