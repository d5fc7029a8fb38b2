//! The application layer: one function per use case. The HTTP handlers, the CLI and (as it
//! lands) the scheduler call these, so each state change has one path, and its cache
//! invalidation, metrics and events are written once, here. No HTTP here.
//!
//! | use case | function |
//! |---|---|
//! | forecast a game and record it | [`forecasts::record_forecast`] |
//! | record a final score | [`games::record_result`] |
//! | add an upcoming game | [`games::add_game`] |
//! | forecast the coming games (`api forecast --upcoming`) | [`forecasts::forecast_upcoming`] |
//! | switch the running model version | [`models::switch_model`] |
//! | import a games file | [`imports::import_games`] |
//! | forecast and store a range of seasons walk-forward | [`backfill::backfill`] |
//! | keep the store current from a schedule feed | [`ingest::plan`], [`ingest::apply`] |
//! | simulate the rest of a season: playoff odds (fleet-wide single flight), what-if with fixed results | [`odds::simulate`], [`odds::cached_run`] |
//! | the coming week's games that matter, a team's rooting guide | [`leverage::week_leverage`], [`leverage::rooting`] |
//! | a prediction's or a game's provenance as W3C PROV | [`provenance::prediction_document`], [`provenance::game_document`] |
//!
//! Reads go through here too: the catalogue ([`catalog`]), games ([`games::get_game`],
//! [`games::list_games`], [`games::upcoming`]), stored forecasts ([`forecasts::stored_forecast`],
//! [`forecasts::get_prediction`], [`forecasts::game_history`]), provenance graphs, the model's
//! quality ([`quality`]), this week's games and results ([`week`]), a team's season ([`teams`]), a season's standings and seeds ([`standings`]), its playoff odds ([`odds`]), feed runs ([`ingest::runs`]) and the service's own health and
//! metrics ([`health`]).
//!
//! # What may call what
//!
//! - A route (`crate::routes`) parses its input into domain types, calls one function of this
//!   module, and shapes the answer. It never names a store, the cache, the model runtime or
//!   the event bus: no `services.graph`, `.series`, `.cache`, `.predictor`, `.registry`,
//!   `.metrics`, `.events` or `.notifier` in `routes/` (`api/tests/api/layering.rs` fails on one).
//! - A use case here may call the stores (`graph`, `store`), the model runtime (`runtime`),
//!   the other use cases and the event bus; never `crate::routes`, `crate::state` or
//!   anything of actix-web.
//! - The model runtime (`runtime` crate) never calls back into this module: it reports
//!   through `runtime::Telemetry` and returns `runtime::Error`.

pub mod backfill;
pub mod cache_keys;
pub mod catalog;
mod error;
pub mod events;
pub mod forecasts;
pub mod games;
pub mod health;
pub mod impact;
pub mod imports;
pub mod ingest;
pub mod leverage;
pub mod models;
pub mod odds;
pub mod provenance;
pub mod quality;
pub mod standings;
pub mod teams;
pub mod week;

use std::sync::Arc;

use graph::Graph;
use store::{Cache, Series};

pub use error::{Error, Result};
pub use events::{Event, Events};

use crate::metrics::Metrics;
use runtime::Predictor;

/// What the use cases work with: the stores, the model, metrics and the event bus. A clone
/// shares them all (every field is a handle), for work a use case leaves running.
#[derive(Clone)]
pub struct Services {
    pub graph: Arc<dyn Graph>,
    pub series: Arc<dyn Series>,
    pub cache: Arc<dyn Cache>,
    pub predictor: Arc<Predictor>,
    pub registry: runtime::registry::Registry,
    pub metrics: Arc<Metrics>,
    pub events: Events,
    /// Announces new history generations to the fleet (with Redis and `HISTORY_NOTIFY`).
    pub notifier: Option<Arc<store::RedisNotifier>>,
}

impl Services {
    /// The model version this instance forecasts with.
    pub fn model_version(&self) -> String {
        self.predictor.version()
    }

    /// Subscribes to the event stream (bounded; a slow reader is told what it missed).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<str>> {
        self.events.subscribe()
    }

    /// Tells the other instances that the shared history moved to `generation`, so they
    /// replay ahead of their next request (best effort: they also poll and check).
    pub async fn announce(&self, generation: u64) {
        if let Some(n) = &self.notifier {
            n.publish(generation).await;
        }
    }
}
