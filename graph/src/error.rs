//! What the graph fails with; a malformed import row is a [`RowError`].

/// A malformed row: the line in the file (1 = header), the field and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, field '{}': {}",
            self.line, self.field, self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{kind} '{id}' was not found")]
    NotFound { kind: &'static str, id: String },
    #[error("{kind} '{id}' already exists")]
    Conflict { kind: &'static str, id: String },
    /// A prediction made from an older history than the one stored under its id.
    #[error("prediction '{id}' is stored from history generation {stored}; this forecast was made from generation {offered}, an older history")]
    Stale {
        id: String,
        stored: u64,
        offered: u64,
    },
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("the games file has {} malformed row(s); first: {}", .0.len(), .0[0])]
    Malformed(Vec<RowError>),
    #[error("Failed to read the games file")]
    Csv(#[from] csv::Error),
    #[error("the graph backend is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("Neo4j query failed")]
    Neo4j(#[source] neo4rs::Error),
    #[error("stored data could not be decoded")]
    Decode(#[from] serde_json::Error),
}

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        Error::NotFound {
            kind,
            id: id.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
