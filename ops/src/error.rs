use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Failed to {verb} {path}: {source}")]
    Io {
        verb: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Failed to serialise YAML: {0}")]
    Yaml(#[from] serde_norway::Error),
    #[error("Failed to serialise JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{tool} is not installed ({hint})")]
    MissingTool { tool: String, hint: String },
    #[error("{what} failed:\n{output}")]
    Validation { what: String, output: String },
    #[error("phase `{phase}` failed: {reason}")]
    Phase { phase: String, reason: String },
    #[error("{0}")]
    Invalid(String),
    #[error("Failed to {what}: {source}")]
    Net {
        what: String,
        source: std::io::Error,
    },
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
}

impl Error {
    pub fn io(verb: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            verb,
            path: path.to_path_buf(),
            source,
        }
    }
}
