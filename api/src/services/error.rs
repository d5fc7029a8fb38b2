//! What a use case can fail with. The HTTP layer maps each variant to a status and a stable
//! code (`crate::error`); the CLI prints it.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A domain or storage failure of the graph (not found, conflict, invalid id, unavailable…).
    #[error(transparent)]
    Graph(#[from] graph::Error),
    /// The models refused the request (a game dated before the history they hold…).
    #[error(transparent)]
    Forecast(#[from] forecast::Error),
    /// The model runtime failed (its graph reads, the engine, the version registry).
    #[error(transparent)]
    Runtime(#[from] runtime::Error),
    /// The time-series store failed; the cause is logged by whoever reports it, never shown.
    #[error("the time-series store is unavailable")]
    Store(#[from] store::Error),
    /// An input of the use case is not valid.
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// This instance cannot answer yet (its start-up replay is not done).
    #[error("{0}")]
    NotReady(&'static str),
    /// Anything else (a task that could not be joined, a registry file that cannot be read).
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<runtime::RegistryError> for Error {
    fn from(e: runtime::RegistryError) -> Self {
        Error::Runtime(e.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
