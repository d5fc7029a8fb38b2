#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Failed to open the embedded store at {path}")]
    Open {
        path: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("Failed to migrate the embedded store")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("Database query failed")]
    Query(#[from] sqlx::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// A server did not answer (in time).
    #[error("{0}")]
    Unavailable(String),
    #[error("Stored JSON is not valid")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
