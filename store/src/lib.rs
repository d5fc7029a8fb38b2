//! Persistence: the embedded SQLite store (through sqlx) that keeps the in-process graph, and
//! the response cache.

pub mod cache;
pub mod embedded;
pub mod error;

pub use cache::{Cache, CacheStats, MemoryCache};
pub use embedded::{EdgeWrite, NodeWrite, SqliteStore, WriteBatch, WriteStats};
pub use error::{Error, Result};
