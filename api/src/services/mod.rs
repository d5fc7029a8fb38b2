//! The application layer: one function per use case. The HTTP handlers, the CLI and (as it
//! lands) the scheduler call these, so each state change has one path, and its cache
//! invalidation, metrics and events are written once, here. No HTTP here.
//!
//! | use case | function |
//! |---|---|
//! | forecast a game and record it | [`forecasts::record_forecast`] |
//! | record a final score | [`games::record_result`] |
//! | add an upcoming game | [`games::add_game`] |
//! | switch the running model version | [`models::switch_model`] |
//! | import a games file | [`imports::import_games`] |
//! | forecast and store a range of seasons walk-forward | [`backfill::backfill`] |
//! | keep the store current from a schedule feed | [`ingest::plan`], [`ingest::apply`] |
//! | a prediction's or a game's provenance as W3C PROV | [`provenance::prediction_document`], [`provenance::game_document`] |

pub mod backfill;
pub mod cache_keys;
mod error;
pub mod events;
pub mod forecasts;
pub mod games;
pub mod imports;
pub mod ingest;
pub mod models;
pub mod provenance;

use std::sync::Arc;

use graph::Graph;
use store::{Cache, Series};

pub use error::{Error, Result};
pub use events::{Event, Events};

use crate::metrics::Metrics;
use crate::predictor::Predictor;

/// What the use cases work with: the stores, the model, metrics and the event bus.
pub struct Services {
    pub graph: Arc<dyn Graph>,
    pub series: Arc<dyn Series>,
    pub cache: Arc<dyn Cache>,
    pub predictor: Arc<Predictor>,
    pub registry: crate::models::Registry,
    pub metrics: Arc<Metrics>,
    pub events: Events,
    /// Announces new history generations to the fleet (with Redis and `HISTORY_NOTIFY`).
    pub notifier: Option<Arc<store::RedisNotifier>>,
}

impl Services {
    /// Tells the other instances that the shared history moved to `generation`, so they
    /// replay ahead of their next request (best effort: they also poll and check).
    pub async fn announce(&self, generation: u64) {
        if let Some(n) = &self.notifier {
            n.publish(generation).await;
        }
    }
}
