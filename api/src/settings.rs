//! Typed settings, loaded once: defaults → config file → environment.

use std::path::PathBuf;

use anyhow::Context;
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
    /// `pretty` or `json` (json is the default in production).
    pub log_format: Option<LogFormat>,
    /// tracing filter, e.g. `info` or `api=debug,info`.
    pub log_level: String,
    /// HTTP worker threads (0 = one per core).
    pub http_workers: usize,
}

pub const ENV_KEYS: [&str; 11] = [
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
            .set_default("log_level", "info")?
            .set_default("http_workers", 0)?;
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
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("invalid configuration:\n  - {}", problems.join("\n  - "))
        }
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
        let s = load(&[
            ("BIND_ADDR", "127.0.0.1:9000"),
            ("APP_PROFILE", "production"),
        ])
        .unwrap();
        assert_eq!(s.bind_addr, "127.0.0.1:9000");
        assert_eq!(s.log_format(), LogFormat::Json);
        let err = load(&[("IMPORT_BATCH_SIZE", "0")]).unwrap_err();
        assert!(format!("{err:#}").contains("IMPORT_BATCH_SIZE"));
        assert!(load(&[("APP_PROFILE", "staging")]).is_err());
    }
}
