//! The prediction graph: experts, teams, games, memories and predictions, and the relations
//! PREDICTED, USED_IN and TEAM_MATCHUP. [`Graph`] is the one interface every backend
//! implements; [`embedded::EmbeddedGraph`] is the in-process backend persisted through the
//! embedded store.

pub mod domain;
pub mod embedded;
pub mod error;
mod group;
pub mod ids;
pub mod import;
pub mod neo4j;
pub mod reconcile;
pub mod schedule;
pub mod sheets;
pub mod spreadspoke;
pub mod teams;

use async_trait::async_trait;
use chrono::NaiveDate;

pub use domain::*;
pub use error::{Error, Result};
pub use import::{ImportBatch, RowError};

/// Progress callback for long operations: called with the number of items done so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Send + Sync);

#[async_trait]
pub trait Graph: Send + Sync + 'static {
    /// Backend name for health reports.
    fn backend(&self) -> &'static str;

    async fn list_experts(&self) -> Result<Vec<Expert>>;
    async fn get_expert(&self, id: &ExpertId) -> Result<Expert>;
    async fn list_teams(&self, include_inactive: bool) -> Result<Vec<Team>>;
    async fn get_team(&self, id: &TeamId) -> Result<Team>;

    /// Adds an upcoming game; fails with `Conflict` if the id exists.
    async fn create_game(&self, game: Game) -> Result<Game>;
    async fn get_game(&self, id: &GameId) -> Result<Game>;
    /// A game by its id or by any of its aliases (the ids schedule feeds give it).
    async fn find_game(&self, id_or_alias: &str) -> Result<Game>;
    async fn list_games(&self, filter: &GameFilter, page: PageRequest) -> Result<Page<Game>>;
    /// Final games dated strictly before `before` (all of them when `None`), oldest first.
    async fn final_games_before(&self, before: Option<NaiveDate>) -> Result<Vec<Game>>;
    async fn count_games(&self) -> Result<u64>;
    /// The history generation: it grows with every committed change to the games (a game
    /// added, moved or given a result, an import that changed anything), in the same
    /// transaction as the change, so a model built after reading generation `g` holds every
    /// change up to `g`. Prediction writes leave it alone.
    async fn history_generation(&self) -> Result<u64>;

    /// Writes an import batch in transactions of `batch_size` games; idempotent.
    async fn import(
        &self,
        batch: &ImportBatch,
        batch_size: usize,
        progress: Progress<'_>,
    ) -> Result<ImportStats>;

    /// Records a played game's final score, all or nothing: the game, the memory of it that
    /// experts retrieve and its two teams' head-to-head record are written, and the history
    /// generation moves. The same score again changes nothing. `NotFound` for an unknown game.
    async fn record_result(&self, id: &GameId, score: FinalScore) -> Result<Game>;

    /// Records predictions and the memories each used, all or nothing. A prediction with an
    /// existing id is replaced together with its USED_IN links, unless the stored one was made
    /// from a newer history generation: then nothing is written and the error is `Stale`
    /// (compare-and-set, so a stale instance never overwrites a fresher forecast).
    async fn record_predictions(&self, records: &[PredictionRecord]) -> Result<()>;
    /// Links memories to an existing prediction (replacing its previous links).
    async fn record_memory_usage(
        &self,
        prediction_id: &PredictionId,
        memories: &[(Memory, MemoryUsage)],
    ) -> Result<()>;
    async fn get_prediction(&self, id: &PredictionId) -> Result<Prediction>;
    /// Which of `ids` are stored predictions (one indexed lookup each; any order).
    async fn stored_prediction_ids(&self, ids: &[PredictionId]) -> Result<Vec<PredictionId>>;
    async fn game_predictions(&self, game: &GameId) -> Result<Vec<Prediction>>;
    /// An expert's predictions in (creation time, id) order: page `page.page`, or, with
    /// `after`, the `page.per_page` that follow that cursor (at any depth for the cost of the
    /// first; `page.page` is then not used and the page says 0). `next` is set when more follow.
    async fn expert_predictions(
        &self,
        expert: &ExpertId,
        page: PageRequest,
        after: Option<&Cursor>,
    ) -> Result<Page<Prediction>>;
    async fn provenance(&self, prediction_id: &PredictionId) -> Result<Provenance>;

    /// Saves a model version's document (its parameters and metrics, as JSON text) under
    /// `id`; `Conflict` if the id is taken.
    async fn save_model_version(&self, id: &ModelVersion, doc: &str) -> Result<()>;
    /// A saved model version's document; `NotFound` if there is none.
    async fn model_version(&self, id: &ModelVersion) -> Result<String>;
    /// Every saved model version's document.
    async fn model_versions(&self) -> Result<Vec<String>>;
    async fn model_pointer(&self) -> Result<ModelPointer>;
    /// Replaces the model pointer with `next` if it still is `expected` (compare-and-set;
    /// `Conflict` otherwise), moving the history generation in the same transaction so that
    /// every instance replays with the new version.
    async fn set_model_pointer(&self, expected: &ModelPointer, next: &ModelPointer) -> Result<()>;

    /// Checks that the backend answers.
    async fn health(&self) -> Result<()>;
}

/// The expert nodes (the sixteen models and the market), from the forecasting crate's roster.
pub fn expert_nodes() -> Vec<Expert> {
    forecast::EXPERTS
        .iter()
        .map(|e| e.spec())
        .map(|e| Expert {
            id: ExpertId::parse(e.id).expect("roster ids are valid"),
            name: e.name.into(),
            personality: e.personality.into(),
            decision_style: e.decision_style.into(),
            method: e.method.into(),
        })
        .collect()
}
