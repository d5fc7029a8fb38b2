//! The model runtime: what turns the stored games into forecasts, between the pure models
//! (`forecast`) and the service (`api`). No HTTP here, and no knowledge of how it is served.
//!
//! # Layout
//!
//! | file | owns | may call |
//! |---|---|---|
//! | [`snapshot`] | an engine replayed through a date, its id tables, season-end ratings, walk-forward quality | `forecast`, [`shape`] |
//! | [`shape`] | one engine forecast as prediction records with memory provenance | `forecast`, `graph` types |
//! | [`view`] | the engine's view of many games at once (ratings, probabilities, margins): the simulator's entry | [`snapshot`] |
//! | [`odds`] | a season's simulator inputs: the games played, the unplayed games' outlooks, the strengths' posterior | [`view`], `season` |
//! | [`odds_backtest`] | the playoff odds scored at weeks of past seasons, per simulator setting | [`snapshot`], [`view`], [`odds`] |
//! | [`predictor`] | one instance's runtime: locks, catch-up with the shared generation, background rebuilds, model switches | [`snapshot`], [`registry`], [`view`], the `Graph` trait |
//! | [`registry`] | model versions, the `current` pointer and rollback (files or the shared graph) | [`backtest`] (a version's metrics), the `Graph` trait |
//! | [`backtest`] | the walk-forward back-test of a games file | [`snapshot`] |
//! | [`evaluation`] | rolling origin, windows, the home-advantage report | [`backtest`] |
//! | [`quality`] | the leaderboard, reliability diagrams and category scores of a snapshot | [`snapshot`], [`backtest`] |
//! | [`error`] | what the runtime fails with ([`registry::RegistryError`] for the registry) | |
//!
//! The rows form a layering: nothing calls upward (`scripts/check-cycles` proves there is no
//! import cycle). Everything but [`predictor`] is synchronous and pure.

pub mod backtest;
pub mod error;
pub mod evaluation;
pub mod odds;
pub mod odds_backtest;
pub mod predictor;
pub mod quality;
pub mod registry;
pub mod shape;
pub mod snapshot;
pub mod view;

pub use error::RegistryError;
pub use error::{Error, Result};
pub use predictor::{NoTelemetry, Predictor, Rebuild, Telemetry};
pub use registry::{ModelVersion, Registry, DEFAULT_VERSION};
pub use shape::{GameForecast, CONSENSUS};
pub use snapshot::Snapshot;
pub use view::{GameOutlook, TeamRating, View};
