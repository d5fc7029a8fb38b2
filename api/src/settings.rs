//! Typed settings, loaded once: defaults → config file → environment.

use std::path::PathBuf;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GraphBackend {
    Embedded,
    Neo4j,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    /// `development` (embedded default) or `production`.
    pub app_profile: Profile,
    /// Address the HTTP server listens on.
    pub bind_addr: String,
    /// Where the embedded store keeps its files.
    pub data_dir: PathBuf,
    /// Games file imported on first start when the store is empty: `bundled` (the file built
    /// into the binary), a path, or `none`.
    pub seed_file: String,
    /// Games per import transaction.
    pub import_batch_size: usize,
    /// Time-to-live of cached responses.
    pub cache_ttl_seconds: u64,
    /// Entries the in-memory cache holds at most.
    pub cache_capacity: usize,
    /// Megabytes of responses the in-memory cache (or Redis's in-process near tier) holds at most.
    pub cache_memory_mb: usize,
    /// With Redis: also keep hot responses in process memory, kept coherent across instances
    /// through Redis pub/sub invalidations.
    pub cache_near_tier: bool,
    /// `pretty` or `json` (json is the default in production).
    pub log_format: Option<LogFormat>,
    /// tracing filter, e.g. `info` or `api=debug,info`.
    pub log_level: String,
    /// HTTP worker threads (0 = one per core).
    pub http_workers: usize,
    /// Games per batch of `cache rebuild`.
    pub cache_batch_size: usize,
    /// `embedded` (in-process, persisted in SQLite) or `neo4j`.
    pub graph_backend: GraphBackend,
    pub neo4j_uri: String,
    pub neo4j_user: String,
    pub neo4j_password: Option<SecretString>,
    pub neo4j_batch_size: usize,
    pub neo4j_max_connections: usize,
    /// Bound on every Neo4j query or write transaction (0 means the 60 s default).
    pub neo4j_query_timeout_seconds: u64,
    /// PostgreSQL / TimescaleDB for the time series; unset = the embedded SQLite store.
    pub database_url: Option<SecretString>,
    pub db_pool_min: u32,
    pub db_pool_max: u32,
    pub db_statement_timeout_seconds: u64,
    /// Redis for the cache; unset = in-process cache.
    pub redis_url: Option<SecretString>,
    /// Prefix of every cache key; bump its version to invalidate everything.
    pub cache_namespace: String,
    /// Public base URL of the service (production requires https).
    pub public_base_url: String,
    /// Comma-separated CORS origins (production requires an explicit list).
    pub cors_origins: String,
    /// Secret for API keys (production requires it).
    pub api_secret: Option<SecretString>,
    /// Requests per second per key and per IP on the API (0 lifts the limit).
    pub rate_limit_per_second: f64,
    pub rate_limit_burst: f64,
    /// Requests per second per key and per IP on admin routes (0 lifts the limit).
    pub auth_rate_limit_per_second: f64,
    /// How long a verified API key is trusted before the store is asked again (revocations
    /// take effect within this time; 0 = ask every time).
    pub auth_cache_seconds: u64,
    /// How often served-request metrics are written to the time-series store.
    pub request_metrics_flush_seconds: u64,
    /// When set, `/metrics` is served only on this address (for Prometheus on the internal
    /// network), not on the public one. Required in production.
    pub metrics_bind_addr: Option<String>,
    /// How often dependency health is checked for the live stream's `health` events.
    pub health_watch_seconds: u64,
}

pub const ENV_KEYS: [&str; 35] = [
    "REQUEST_METRICS_FLUSH_SECONDS",
    "METRICS_BIND_ADDR",
    "HEALTH_WATCH_SECONDS",
    "AUTH_CACHE_SECONDS",
    "RATE_LIMIT_PER_SECOND",
    "RATE_LIMIT_BURST",
    "AUTH_RATE_LIMIT_PER_SECOND",
    "GRAPH_BACKEND",
    "NEO4J_URI",
    "NEO4J_USER",
    "NEO4J_PASSWORD",
    "NEO4J_BATCH_SIZE",
    "NEO4J_MAX_CONNECTIONS",
    "NEO4J_QUERY_TIMEOUT_SECONDS",
    "DATABASE_URL",
    "DB_POOL_MIN",
    "DB_POOL_MAX",
    "DB_STATEMENT_TIMEOUT_SECONDS",
    "REDIS_URL",
    "CACHE_NAMESPACE",
    "PUBLIC_BASE_URL",
    "CORS_ORIGINS",
    "API_SECRET",
    "CACHE_BATCH_SIZE",
    "APP_PROFILE",
    "BIND_ADDR",
    "DATA_DIR",
    "SEED_FILE",
    "IMPORT_BATCH_SIZE",
    "CACHE_TTL_SECONDS",
    "CACHE_CAPACITY",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "HTTP_WORKERS",
    "CONFIG_FILE",
];

impl Settings {
    /// Loads settings: built-in defaults, then the TOML file named by `CONFIG_FILE` (if any),
    /// then the environment variables in [`ENV_KEYS`].
    pub fn load() -> anyhow::Result<Self> {
        Self::load_from(|k| std::env::var(k).ok())
    }

    pub fn load_from(env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut b = config::Config::builder()
            .set_default("app_profile", "development")?
            .set_default("bind_addr", "0.0.0.0:8000")?
            .set_default("data_dir", "./var")?
            .set_default("seed_file", "bundled")?
            .set_default("import_batch_size", 1000)?
            .set_default("cache_ttl_seconds", 1800)?
            .set_default("cache_capacity", 10_000)?
            .set_default("cache_memory_mb", 64)?
            .set_default("cache_near_tier", true)?
            .set_default("log_level", "info")?
            .set_default("http_workers", 0)?
            .set_default("graph_backend", "embedded")?
            .set_default("neo4j_uri", "bolt://127.0.0.1:7687")?
            .set_default("neo4j_user", "neo4j")?
            .set_default("neo4j_batch_size", 1000)?
            .set_default("neo4j_max_connections", 16)?
            .set_default("neo4j_query_timeout_seconds", 60)?
            .set_default("db_pool_min", 10)?
            .set_default("db_pool_max", 50)?
            .set_default("db_statement_timeout_seconds", 60)?
            .set_default("cache_namespace", "nflp:v1:")?
            .set_default("cache_batch_size", 5000)?
            .set_default("public_base_url", "http://localhost:8000")?
            .set_default("cors_origins", "*")?
            .set_default("rate_limit_per_second", 10.0)?
            .set_default("rate_limit_burst", 20.0)?
            .set_default("auth_rate_limit_per_second", 5.0)?
            .set_default("auth_cache_seconds", 5)?
            .set_default("request_metrics_flush_seconds", 10)?
            .set_default("health_watch_seconds", 5)?;
        if let Some(file) = env("CONFIG_FILE") {
            b = b.add_source(config::File::with_name(&file).required(true));
        }
        for key in ENV_KEYS.iter().filter(|k| **k != "CONFIG_FILE") {
            if let Some(v) = env(key) {
                b = b.set_override(key.to_ascii_lowercase(), v)?;
            }
        }
        let s: Settings = b
            .build()
            .context("Failed to read configuration")?
            .try_deserialize()
            .context("Failed to parse configuration")?;
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        if self.import_batch_size == 0 || self.import_batch_size > 100_000 {
            problems.push("IMPORT_BATCH_SIZE must be between 1 and 100000".to_string());
        }
        if self.bind_addr.parse::<std::net::SocketAddr>().is_err() && !self.bind_addr.contains(':')
        {
            problems.push(format!("BIND_ADDR '{}' is not host:port", self.bind_addr));
        }
        if self.db_pool_min > self.db_pool_max {
            problems.push("DB_POOL_MIN must not exceed DB_POOL_MAX".to_string());
        }
        if self.app_profile == Profile::Production {
            problems.extend(self.production_problems());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("invalid configuration:\n  - {}", problems.join("\n  - "))
        }
    }

    /// What production refuses to start with.
    pub fn production_problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !self.public_base_url.starts_with("https://") {
            p.push(format!(
                "PUBLIC_BASE_URL must be https (is '{}')",
                self.public_base_url
            ));
        }
        if self
            .cors_origins
            .split(',')
            .any(|o| o.trim() == "*" || o.trim().is_empty())
        {
            p.push("CORS_ORIGINS must list explicit origins (no '*')".to_string());
        }
        if self
            .api_secret
            .as_ref()
            .is_none_or(|s| s.expose_secret().len() < 16)
        {
            p.push("API_SECRET must be set (16 characters or more)".to_string());
        }
        match &self.redis_url {
            None => p.push(
                "REDIS_URL must be set: production does not run on the in-process cache"
                    .to_string(),
            ),
            Some(u) if !u.expose_secret().contains('@') => p.push(
                "REDIS_URL must carry a password (redis://:PASSWORD@host:6379/0)".to_string(),
            ),
            Some(_) => {}
        }
        if self.graph_backend == GraphBackend::Embedded {
            p.push(
                "GRAPH_BACKEND must be neo4j: production does not run on the embedded graph"
                    .to_string(),
            );
        }
        if self.database_url.is_none() {
            p.push(
                "DATABASE_URL must be set: production does not run on the embedded store"
                    .to_string(),
            );
        }
        if self.neo4j_password.is_none() && self.graph_backend == GraphBackend::Neo4j {
            p.push("NEO4J_PASSWORD must be set".to_string());
        }
        if self.metrics_bind_addr.is_none() {
            p.push(
                "METRICS_BIND_ADDR must be set: production serves /metrics on a separate, internal port"
                    .to_string(),
            );
        }
        p
    }

    pub fn log_format(&self) -> LogFormat {
        self.log_format.unwrap_or(match self.app_profile {
            Profile::Production => LogFormat::Json,
            Profile::Development => LogFormat::Pretty,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_from(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_serve_the_embedded_default_on_port_8000() {
        let s = load(&[]).unwrap();
        assert_eq!(s.bind_addr, "0.0.0.0:8000");
        assert_eq!(s.data_dir, PathBuf::from("./var"));
        assert_eq!(s.app_profile, Profile::Development);
        assert_eq!(s.log_format(), LogFormat::Pretty);
    }

    #[test]
    fn environment_overrides_defaults_and_bad_values_are_named() {
        let s = load(&[("BIND_ADDR", "127.0.0.1:9000"), ("LOG_FORMAT", "json")]).unwrap();
        assert_eq!(s.bind_addr, "127.0.0.1:9000");
        assert_eq!(s.log_format(), LogFormat::Json);
        let err = load(&[("IMPORT_BATCH_SIZE", "0")]).unwrap_err();
        assert!(format!("{err:#}").contains("IMPORT_BATCH_SIZE"));
        assert!(load(&[("APP_PROFILE", "staging")]).is_err());
    }

    #[test]
    fn production_refuses_to_start_naming_each_problem() {
        let err = format!("{:#}", load(&[("APP_PROFILE", "production")]).unwrap_err());
        for needle in [
            "PUBLIC_BASE_URL",
            "CORS_ORIGINS",
            "API_SECRET",
            "REDIS_URL",
            "GRAPH_BACKEND",
            "DATABASE_URL",
            "METRICS_BIND_ADDR",
        ] {
            assert!(err.contains(needle), "{needle} missing from: {err}");
        }
        let ok = load(&[
            ("APP_PROFILE", "production"),
            ("PUBLIC_BASE_URL", "https://nfl.example.com"),
            ("CORS_ORIGINS", "https://nfl.example.com"),
            ("API_SECRET", "0123456789abcdef0123"),
            ("REDIS_URL", "redis://:pw@redis:6379/0"),
            ("GRAPH_BACKEND", "neo4j"),
            ("NEO4J_PASSWORD", "secret"),
            ("DATABASE_URL", "postgres://u:p@db/nfl"),
            ("METRICS_BIND_ADDR", "0.0.0.0:9102"),
        ]);
        assert_eq!(
            ok.expect("a complete production config loads").log_format(),
            LogFormat::Json
        );
    }

    #[test]
    fn secrets_never_print() {
        let s = load(&[
            ("DATABASE_URL", "postgres://u:hunter2@db/nfl"),
            ("REDIS_URL", "redis://:hunter3@r:6379"),
        ])
        .unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("hunter3"),
            "{shown}"
        );
    }
}
