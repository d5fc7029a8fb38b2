//! What the model runtime can fail with: the stores it reads, the engine, and its own
//! invariants. The service maps each variant to a status and a stable code.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the games, teams or history generation from the graph failed.
    #[error(transparent)]
    Graph(#[from] graph::Error),
    /// The engine refused (a game dated before the history it holds…).
    #[error(transparent)]
    Forecast(#[from] forecast::Error),
    /// The model version registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A season the simulator cannot set up: no alignment known, or a game whose team is not
    /// in the season's alignment.
    #[error(transparent)]
    Season(#[from] season::standings::StandingsError),
    /// A game names a team the model's team table lacks.
    #[error("team of game {game} missing from the model's team table")]
    UnknownTeam { game: String },
    /// The engine produced something the domain rejects (a bug, never the input's fault).
    #[error("{0}")]
    Engine(String),
    /// The active model changed while a caller's snapshot was replayed.
    #[error("the model switched to {version} while the history was replayed; run again")]
    Switched { version: String },
    /// A replay or forecast task on the blocking pool could not be joined.
    #[error("a model task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What the model version registry ([`crate::registry`]) can fail with.
/// Messages are what an operator reads at the CLI.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("'{0}' is not a valid model version id")]
    InvalidId(String),
    #[error("model version {0} already exists")]
    Exists(String),
    #[error("no model version {0}")]
    NotFound(String),
    #[error("there is no previous model version to roll back to")]
    NoPrevious,
    #[error("the model pointer kept changing under concurrent activations; try again")]
    Contended,
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Parse {
        what: String,
        source: serde_json::Error,
    },
    #[error("{what}: {source}")]
    Graph { what: String, source: graph::Error },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
