//! The forecasting domain: a walk-forward history of played games, sixteen expert models (and
//! the market, for games with lines) that
//! read it, a learned consensus, and the metrics a back-test scores them with.
//!
//! Nothing here performs I/O: callers hand games in date order and ask for forecasts. Every
//! forecast uses only games dated strictly before the target game, and is deterministic.

// Numeric code walks parallel arrays (experts, features) by index on purpose.
#![allow(clippy::needless_range_loop)]

pub mod categories;
pub mod engine;
pub mod error;
pub mod experts;
pub mod history;
pub mod metrics;
pub mod params;
pub mod prob;
pub mod sim;
pub mod stacking;
pub mod state_space;
pub mod versus_market;

pub use categories::{Category, CategoryOutcome};
pub use engine::{ConsensusForecast, Engine, ExpertForecast, MemoryRef, MemoryUse, Outlook};
pub use error::{Error, Result};
pub use experts::{Expert, ExpertSpec, EXPERTS};
pub use history::{History, Lines, Matchup, Played, TeamIx};
pub use params::Params;
