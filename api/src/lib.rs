//! The prediction API: actix-web server, CLI commands and the prediction service.

pub mod auth;
pub mod cli;
pub mod error;
pub mod fallback;
pub mod limits;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod prov;
pub mod routes;
pub mod scheduler;
pub mod services;
pub mod settings;
pub mod startup;
pub mod state;
pub mod telemetry;

/// The games file shipped with the product (FiveThirtyEight, MIT; see data/LICENSE-nfl_games.txt).
pub const BUNDLED_GAMES: &[u8] = include_bytes!("../../data/nfl_games.csv");
