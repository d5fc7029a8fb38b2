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
    // ── The HTTP server ──
    /// `development` (embedded default) or `production`.
    pub app_profile: Profile,
    /// Address the HTTP server listens on.
    pub bind_addr: String,
    /// HTTP worker threads (0 = one per core).
    pub http_workers: usize,
    /// On SIGTERM, how long `/readyz` answers 503 while everything else still serves, before
    /// the server stops taking connections and drains (time for a load balancer or a
    /// Kubernetes Service to stop sending new requests).
    pub shutdown_drain_seconds: u64,
    /// Public base URL of the service (production requires https).
    pub public_base_url: String,
    /// Comma-separated CORS origins (production requires an explicit list).
    pub cors_origins: String,

    // ── The embedded store and the games it starts with ──
    /// Where the embedded store keeps its files.
    pub data_dir: PathBuf,
    /// Games file imported on first start when the store is empty: `bundled` (the file built
    /// into the binary), a path, or `none`.
    pub seed_file: String,
    /// Games per import transaction.
    pub import_batch_size: usize,

    // ── The graph ──
    /// `embedded` (in-process, persisted in SQLite) or `neo4j`.
    pub graph_backend: GraphBackend,
    pub neo4j_uri: String,
    pub neo4j_user: String,
    pub neo4j_password: Option<SecretString>,
    pub neo4j_batch_size: usize,
    pub neo4j_max_connections: usize,
    /// Bound on every Neo4j query or write transaction (0 means the 60 s default).
    pub neo4j_query_timeout_seconds: u64,

    // ── The time series (PostgreSQL / TimescaleDB) ──
    /// PostgreSQL / TimescaleDB for the time series; unset = the embedded SQLite store.
    pub database_url: Option<SecretString>,
    pub db_pool_min: u32,
    pub db_pool_max: u32,
    pub db_statement_timeout_seconds: u64,

    // ── The response cache ──
    /// Redis for the cache; unset = in-process cache.
    pub redis_url: Option<SecretString>,
    /// Prefix of every cache key; bump its version to invalidate everything.
    pub cache_namespace: String,
    /// Time-to-live of cached responses.
    pub cache_ttl_seconds: u64,
    /// Entries the in-memory cache holds at most.
    pub cache_capacity: usize,
    /// Megabytes of responses the in-memory cache (or Redis's in-process near tier) holds at most.
    pub cache_memory_mb: usize,
    /// With Redis: also keep hot responses in process memory, kept coherent across instances
    /// through Redis pub/sub invalidations.
    pub cache_near_tier: bool,
    /// Games per batch of `cache rebuild`.
    pub cache_batch_size: usize,

    // ── API keys and rate limits ──
    /// Secret for API keys (production requires it).
    pub api_secret: Option<SecretString>,
    /// Requests per second per key and per IP on the API (0 lifts the limit).
    pub rate_limit_per_second: f64,
    pub rate_limit_burst: f64,
    /// Requests per second per key and per IP on admin routes (0 lifts the limit).
    pub auth_rate_limit_per_second: f64,
    /// With Redis: the limits are the fleet's (one Redis step per request); false keeps each
    /// instance's own limit even with Redis configured.
    pub rate_limit_fleet: bool,
    /// How long a verified API key is trusted before the store is asked again (revocations
    /// take effect within this time; 0 = ask every time).
    pub auth_cache_seconds: u64,

    // ── Telemetry ──
    /// `pretty` or `json` (json is the default in production).
    pub log_format: Option<LogFormat>,
    /// tracing filter, e.g. `info` or `api=debug,info`.
    pub log_level: String,
    /// When set, `/metrics` is served only on this address (for Prometheus on the internal
    /// network), not on the public one. Required in production.
    pub metrics_bind_addr: Option<String>,
    /// How often served-request metrics are written to the time-series store.
    pub request_metrics_flush_seconds: u64,
    /// How often the model checks the shared history generation and replays when another
    /// instance changed it (0 = only when a forecast finds it stale).
    pub history_poll_milliseconds: u64,
    /// With Redis: announce every new history generation on Redis pub/sub and replay as soon
    /// as another instance announces one.
    pub history_notify: bool,
    /// How often dependency health is checked for the live stream's `health` events.
    pub health_watch_seconds: u64,

    // ── Live season ──
    /// A schedule feed (CSV in any layout, or a spreadsheet) the service follows on its
    /// own; unset: no scheduler.
    pub schedule_feed_url: Option<String>,
    /// When the scheduler runs (cron, 5 fields or 6 with seconds; UTC).
    pub schedule_cron: String,
    /// Unplayed games starting within this many days are forecast after each run.
    pub forecast_horizon_days: u32,
    /// The date the scheduler takes as today (`YYYY-MM-DD`; unset: the real date) — for
    /// replaying a past season.
    pub schedule_today: Option<chrono::NaiveDate>,
    /// Apply changed final scores from the feed (refused and logged otherwise).
    pub schedule_accept_corrections: bool,
    /// At start, run the last scheduled time if no instance ran it (within the past week).
    pub schedule_run_at_start: bool,
    /// Bound on each attempt to fetch the feed.
    pub schedule_feed_timeout_seconds: u64,
    /// Attempts after the first when the feed fails (connection, timeout, 5xx).
    pub schedule_feed_retries: u32,
    /// A feed body larger than this is refused.
    pub schedule_feed_max_mb: usize,
}

/// Variables read from the environment that are not settings themselves.
pub const CONFIG_FILE: &str = "CONFIG_FILE";

impl Settings {
    /// Loads settings: built-in defaults, then the TOML file named by `CONFIG_FILE` (if any),
    /// then the process environment.
    pub fn load() -> anyhow::Result<Self> {
        Self::load_from(std::env::vars())
    }

    /// Loads settings from defaults, the `CONFIG_FILE` (if `env` names one) and `env`. Every
    /// variable whose lower-cased name is a field sets that field (the `config` crate's
    /// environment source): there is no hand-kept list of keys that a new field could miss.
    pub fn load_from(env: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Self> {
        let env: std::collections::HashMap<String, String> = env.into_iter().collect();
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
            .set_default("rate_limit_fleet", true)?
            .set_default("auth_cache_seconds", 1)?
            .set_default("request_metrics_flush_seconds", 10)?
            .set_default("health_watch_seconds", 5)?
            .set_default("history_poll_milliseconds", 1000)?
            .set_default("shutdown_drain_seconds", 0)?
            .set_default("history_notify", true)?
            .set_default("schedule_cron", "*/30 * * * *")?
            .set_default("forecast_horizon_days", 8)?
            .set_default("schedule_accept_corrections", false)?
            .set_default("schedule_run_at_start", true)?
            .set_default("schedule_feed_timeout_seconds", 30)?
            .set_default("schedule_feed_retries", 3)?
            .set_default("schedule_feed_max_mb", 64)?;
        if let Some(file) = env.get(CONFIG_FILE) {
            b = b.add_source(config::File::with_name(file).required(true));
        }
        let s: Settings = b
            .add_source(config::Environment::default().source(Some(env.into_iter().collect())))
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
        if let Err(e) = self.schedule_cron.parse::<croner::Cron>() {
            problems.push(format!(
                "SCHEDULE_CRON '{}' is not a cron expression: {e}",
                self.schedule_cron
            ));
        }
        if let Some(url) = &self.schedule_feed_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                problems.push(format!("SCHEDULE_FEED_URL '{url}' is not an http(s) URL"));
            }
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
        Settings::load_from(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    /// Everything a settings value holds, secrets included (its `Debug` hides them).
    fn fingerprint(s: &Settings) -> String {
        let secret = |v: &Option<SecretString>| v.as_ref().map(|s| s.expose_secret().to_string());
        format!(
            "{s:?} {:?} {:?} {:?} {:?}",
            secret(&s.neo4j_password),
            secret(&s.database_url),
            secret(&s.redis_url),
            secret(&s.api_secret)
        )
    }

    /// The variables of the README's configuration table.
    fn documented() -> Vec<String> {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("## Configuration")
            .nth(1)
            .and_then(|t| t.split("\n## ").next())
            .expect("the README has a Configuration section");
        let mut vars = Vec::new();
        for line in table.lines().filter(|l| l.starts_with("| `")) {
            let first = line.split('|').nth(1).unwrap_or_default();
            for name in first.split('`').skip(1).step_by(2) {
                vars.push(name.to_string());
            }
        }
        vars
    }

    /// A complete production configuration in development: every other value is valid with it.
    const BASE: [(&str, &str); 8] = [
        ("PUBLIC_BASE_URL", "https://nfl.example.com"),
        ("CORS_ORIGINS", "https://nfl.example.com"),
        ("API_SECRET", "0123456789abcdef0123"),
        ("REDIS_URL", "redis://:pw@redis:6379/0"),
        ("GRAPH_BACKEND", "neo4j"),
        ("NEO4J_PASSWORD", "secret"),
        ("DATABASE_URL", "postgres://u:p@db/nfl"),
        ("METRICS_BIND_ADDR", "0.0.0.0:9102"),
    ];

    /// A value for every documented variable that differs from what [`BASE`] and the
    /// defaults give it.
    const CHANGED: [(&str, &str); 49] = [
        ("APP_PROFILE", "production"),
        ("BIND_ADDR", "127.0.0.1:9000"),
        ("DATA_DIR", "/srv/nflp"),
        ("SEED_FILE", "none"),
        ("IMPORT_BATCH_SIZE", "250"),
        ("CACHE_TTL_SECONDS", "60"),
        ("CACHE_CAPACITY", "77"),
        ("CACHE_MEMORY_MB", "8"),
        ("CACHE_NEAR_TIER", "false"),
        ("LOG_FORMAT", "json"),
        ("LOG_LEVEL", "debug"),
        ("HTTP_WORKERS", "3"),
        ("SHUTDOWN_DRAIN_SECONDS", "5"),
        ("GRAPH_BACKEND", "embedded"),
        ("NEO4J_URI", "bolt://neo4j:7687"),
        ("NEO4J_USER", "nflp"),
        ("NEO4J_PASSWORD", "another"),
        ("NEO4J_BATCH_SIZE", "500"),
        ("NEO4J_MAX_CONNECTIONS", "4"),
        ("NEO4J_QUERY_TIMEOUT_SECONDS", "9"),
        ("HEALTH_WATCH_SECONDS", "2"),
        ("METRICS_BIND_ADDR", "127.0.0.1:9999"),
        ("DATABASE_URL", "postgres://u:p@other/nfl"),
        ("DB_POOL_MIN", "2"),
        ("DB_POOL_MAX", "70"),
        ("DB_STATEMENT_TIMEOUT_SECONDS", "11"),
        ("REDIS_URL", "redis://:pw@other:6379/1"),
        ("CACHE_NAMESPACE", "nflp:v9:"),
        ("CACHE_BATCH_SIZE", "100"),
        ("PUBLIC_BASE_URL", "https://other.example.com"),
        (
            "CORS_ORIGINS",
            "https://a.example.com,https://b.example.com",
        ),
        ("API_SECRET", "fedcba9876543210fedcba"),
        ("RATE_LIMIT_PER_SECOND", "3.5"),
        ("RATE_LIMIT_BURST", "7"),
        ("AUTH_RATE_LIMIT_PER_SECOND", "1"),
        ("RATE_LIMIT_FLEET", "false"),
        ("AUTH_CACHE_SECONDS", "0"),
        ("REQUEST_METRICS_FLUSH_SECONDS", "30"),
        ("HISTORY_POLL_MILLISECONDS", "250"),
        ("HISTORY_NOTIFY", "false"),
        ("SCHEDULE_FEED_URL", "https://feeds.example.com/games.csv"),
        ("SCHEDULE_CRON", "0 6 * * *"),
        ("FORECAST_HORIZON_DAYS", "3"),
        ("SCHEDULE_TODAY", "2018-09-05"),
        ("SCHEDULE_ACCEPT_CORRECTIONS", "true"),
        ("SCHEDULE_RUN_AT_START", "false"),
        ("SCHEDULE_FEED_TIMEOUT_SECONDS", "5"),
        ("SCHEDULE_FEED_RETRIES", "0"),
        ("SCHEDULE_FEED_MAX_MB", "2"),
    ];

    #[test]
    fn every_documented_setting_takes_effect_from_the_environment() {
        let documented = documented();
        assert!(documented.len() >= 30, "{documented:?}");
        let base = load(&BASE).expect("the base configuration loads");
        for var in &documented {
            let value = CHANGED
                .iter()
                .find(|(k, _)| k == var)
                .unwrap_or_else(|| panic!("{var} is documented but this test has no value for it"))
                .1;
            let mut pairs = BASE.to_vec();
            pairs.push((var.as_str(), value));
            let changed = load(&pairs).unwrap_or_else(|e| panic!("{var}={value}: {e:#}"));
            assert_ne!(
                fingerprint(&changed),
                fingerprint(&base),
                "{var}={value} changed nothing: documented but ignored"
            );
        }
        for (var, _) in CHANGED {
            assert!(
                documented.iter().any(|d| d == var),
                "{var} is not in the README"
            );
        }
    }

    #[test]
    fn every_setting_is_documented_in_the_readme() {
        let documented = documented();
        let shown = format!("{:#?}", load(&[]).unwrap());
        let fields: Vec<&str> = shown
            .lines()
            .filter_map(|l| l.strip_prefix("    "))
            .filter(|l| !l.starts_with(' '))
            .filter_map(|l| l.split(':').next())
            .collect();
        assert!(fields.len() >= 30, "{fields:?}");
        for f in fields {
            let var = f.to_ascii_uppercase();
            assert!(
                documented.contains(&var),
                "setting {f} is not documented as {var}"
            );
        }
    }

    #[test]
    fn the_environment_overrides_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nflp.toml");
        std::fs::write(&file, "cache_capacity = 123\nhttp_workers = 5\n").unwrap();
        let path = file.display().to_string();
        let s = load(&[("CONFIG_FILE", &path), ("HTTP_WORKERS", "7")]).unwrap();
        assert_eq!(s.cache_capacity, 123, "from the file");
        assert_eq!(s.http_workers, 7, "the environment wins");
        let missing = load(&[("CONFIG_FILE", "/nonexistent/nflp.toml")]).unwrap_err();
        assert!(format!("{missing:#}").contains("nflp"), "{missing:#}");
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
